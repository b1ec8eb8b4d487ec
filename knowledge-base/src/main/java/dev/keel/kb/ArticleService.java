package dev.keel.kb;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Article editing with search kept in step: every change is written to the {@link ArticleStore}
 * first (the source of truth), then applied to the {@link KnowledgeBase} index, whose searcher is
 * refreshed before the call returns, so a published edit is searchable at once on this node.
 * Should the process die between the two steps, {@link #open} finds the difference at the next
 * start and re-indexes from the store.
 *
 * <p>Changes are serialized: the version check, the file write and the index update of one change
 * complete before the next change starts.
 */
public final class ArticleService implements AutoCloseable {
    private final ArticleStore store;
    private final KnowledgeBase kb;
    private final Object writeLock = new Object();

    public ArticleService(ArticleStore store, KnowledgeBase kb) {
        this.store = store;
        this.kb = kb;
    }

    /**
     * Opens the store and its persistent index, then repairs the index from the store.
     *
     * @param articles  the article files
     * @param dataDir   where the index ({@code kb-index}) and earlier revisions ({@code kb-revisions}) live
     */
    public static ArticleService open(Path articles, Path dataDir, Embedder embedder) throws IOException {
        ArticleStore store = ArticleStore.open(articles, dataDir.resolve("kb-revisions"));
        KnowledgeBase kb = KnowledgeBase.open(dataDir.resolve("kb-index"), embedder);
        try {
            kb.synchronize(store.list().stream().map(ArticleStore.Stored::article).toList());
        } catch (IOException | RuntimeException e) {
            kb.close();
            throw e;
        }
        return new ArticleService(store, kb);
    }

    public KnowledgeBase knowledgeBase() {
        return kb;
    }

    public ArticleStore store() {
        return store;
    }

    public List<ArticleStore.Stored> list() throws IOException {
        return store.list();
    }

    public Optional<ArticleStore.Stored> get(String id) throws IOException {
        return store.get(id);
    }

    /** Creates an article; fails with a conflict if the id is taken. */
    public ArticleStore.Stored create(Article article) throws IOException {
        return save(article, 0);
    }

    /** Saves a new version based on {@code expectedVersion}. */
    public ArticleStore.Stored update(Article article, int expectedVersion) throws IOException {
        return save(article, expectedVersion);
    }

    /** Publishes the current version (a no-op apart from the new version if it already was). */
    public ArticleStore.Stored publish(String id, int expectedVersion) throws IOException {
        synchronized (writeLock) {
            ArticleStore.Stored current = store.get(id).orElseThrow(() -> new ArticleNotFoundException(id));
            return save(current.article().withStatus(Article.Status.PUBLISHED), expectedVersion);
        }
    }

    /** Restores an earlier version as a new version, keeping the one it replaces as a revision. */
    public ArticleStore.Stored revert(String id, int toVersion, int expectedVersion) throws IOException {
        synchronized (writeLock) {
            Article old = store.revision(id, toVersion)
                    .orElseThrow(() -> new ArticleNotFoundException(id + "' version '" + toVersion));
            return save(old, expectedVersion);
        }
    }

    public void delete(String id, int expectedVersion) throws IOException {
        synchronized (writeLock) {
            store.delete(id, expectedVersion);
            kb.remove(id);
        }
    }

    private ArticleStore.Stored save(Article article, int expectedVersion) throws IOException {
        synchronized (writeLock) {
            ArticleStore.Stored saved = store.save(article, expectedVersion);
            kb.index(saved.article());
            return saved;
        }
    }

    @Override
    public void close() throws IOException {
        kb.close();
    }
}
