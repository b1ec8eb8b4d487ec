package dev.keel.kb;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The articles as files: one Markdown file per article in a folder, the source of truth that the
 * search index follows. Every write goes to a temporary file that is flushed and then moved over
 * the old one, so a crash leaves either the old or the new article, never half of one. Before a
 * file is replaced or deleted its text is kept as a revision, so every earlier version can be
 * listed, read and restored.
 *
 * <p>Each file carries its version number in the front matter; a change names the version it was
 * based on and is refused with {@link VersionConflictException} if another change came first.
 * Writes are serialized by the caller ({@link ArticleService}).
 */
public final class ArticleStore {
    /** A version of an article and when it was written. */
    public record Stored(Article article, int version, Instant saved) {
    }

    /** An earlier version kept in the revision folder. */
    public record Revision(int version, Instant saved, String title, Article.Status status) {
    }

    private final Path folder;
    private final Path revisions;
    /** Article id to its file; files keep the name they were imported with. */
    private final Map<String, Path> files = new TreeMap<>();

    private ArticleStore(Path folder, Path revisions) {
        this.folder = folder;
        this.revisions = revisions;
    }

    /**
     * @param folder    the article files (created if missing)
     * @param revisions where earlier versions are kept, one sub-folder per article
     */
    public static ArticleStore open(Path folder, Path revisions) throws IOException {
        Files.createDirectories(folder);
        Files.createDirectories(revisions);
        ArticleStore store = new ArticleStore(folder, revisions);
        store.deleteLeftoverTempFiles();
        for (Path file : markdownFiles(folder)) {
            Article a = store.read(file).article();
            Path other = store.files.put(a.id(), file);
            if (other != null) {
                throw new IOException("two articles have the id '" + a.id() + "': " + other.getFileName() + " and " + file.getFileName());
            }
        }
        return store;
    }

    public Path folder() {
        return folder;
    }

    public List<Stored> list() throws IOException {
        List<Stored> all = new ArrayList<>();
        for (Path file : files.values()) {
            all.add(read(file));
        }
        return all;
    }

    public Optional<Stored> get(String id) throws IOException {
        Path file = files.get(id);
        return file == null ? Optional.empty() : Optional.of(read(file));
    }

    /**
     * Saves an article as a new version.
     *
     * @param expectedVersion the version the change was based on, 0 to create a new article, or
     *                        null to overwrite whatever is there (imports)
     * @throws VersionConflictException when the stored version is not the expected one
     * @throws InvalidArticleException  when a field is not acceptable
     */
    public Stored save(Article article, Integer expectedVersion) throws IOException {
        ArticleRules.check(article);
        Optional<Stored> current = get(article.id());
        int currentVersion = current.map(Stored::version).orElse(0);
        if (expectedVersion != null && expectedVersion != currentVersion) {
            throw new VersionConflictException(article.id(), expectedVersion, currentVersion);
        }
        Path file = files.getOrDefault(article.id(), folder.resolve(article.id() + ".md"));
        if (current.isPresent()) {
            keepRevision(article.id(), file, currentVersion);
        }
        int version = currentVersion + 1;
        writeAtomically(file, ArticleWriter.write(article, version));
        files.put(article.id(), file);
        return read(file);
    }

    /** Deletes an article; its last version is kept as a revision, so it can be restored. */
    public void delete(String id, Integer expectedVersion) throws IOException {
        Stored current = get(id).orElseThrow(() -> new ArticleNotFoundException(id));
        if (expectedVersion != null && expectedVersion != current.version()) {
            throw new VersionConflictException(id, expectedVersion, current.version());
        }
        Path file = files.get(id);
        keepRevision(id, file, current.version());
        Files.delete(file);
        files.remove(id);
    }

    /** Earlier versions of an article, newest first (a deleted article's versions too). */
    public List<Revision> revisions(String id) throws IOException {
        Path dir = revisionDir(id);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Revision> found = new ArrayList<>();
        for (Path file : markdownFiles(dir)) {
            Stored s = read(file);
            found.add(new Revision(s.version(), s.saved(), s.article().title(), s.article().status()));
        }
        found.sort(Comparator.comparingInt(Revision::version).reversed());
        return found;
    }

    /** One earlier version of an article. */
    public Optional<Article> revision(String id, int version) throws IOException {
        Path file = revisionDir(id).resolve(version + ".md");
        return Files.isRegularFile(file) ? Optional.of(read(file).article()) : Optional.empty();
    }

    /** Copies every article file of a folder into the store, each as a new version. */
    public List<Stored> importFolder(Path source) throws IOException {
        List<Stored> imported = new ArrayList<>();
        for (Article a : ArticleFolder.read(source)) {
            imported.add(save(a, null));
        }
        return imported;
    }

    /** Writes the current version of every article into a folder as {@code <id>.md}. */
    public int exportTo(Path target) throws IOException {
        Files.createDirectories(target);
        List<Stored> all = list();
        for (Stored s : all) {
            writeAtomically(target.resolve(s.article().id() + ".md"), ArticleWriter.write(s.article(), s.version()));
        }
        return all.size();
    }

    private void keepRevision(String id, Path file, int version) throws IOException {
        Path dir = revisionDir(id);
        Files.createDirectories(dir);
        writeAtomically(dir.resolve(version + ".md"), Files.readString(file, StandardCharsets.UTF_8));
    }

    private Path revisionDir(String id) {
        return revisions.resolve(id);
    }

    private Stored read(Path file) throws IOException {
        ArticleParser.Versioned v = ArticleParser.parseVersioned(file.getFileName().toString(),
                Files.readString(file, StandardCharsets.UTF_8));
        return new Stored(v.article(), v.version(), Files.getLastModifiedTime(file).toInstant());
    }

    /** Temp file in the same folder, flushed to disk, then moved over the target in one step. */
    private static void writeAtomically(Path target, String text) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(StandardCharsets.UTF_8.encode(text));
            channel.force(true);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A crash during a write can leave a temp file behind; the article itself is intact. */
    private void deleteLeftoverTempFiles() throws IOException {
        try (Stream<Path> list = Files.list(folder)) {
            for (Path p : list.filter(p -> p.getFileName().toString().endsWith(".md.tmp")).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static List<Path> markdownFiles(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().endsWith(".md") && !p.getFileName().toString().startsWith("."))
                    .filter(Files::isRegularFile).sorted().toList();
        }
    }
}
