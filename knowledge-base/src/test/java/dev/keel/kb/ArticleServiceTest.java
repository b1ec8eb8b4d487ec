package dev.keel.kb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Live editing (CASES K-INDEX-CONSISTENCY): the index follows the store on every change, at once,
 * and after a crash or restart.
 */
class ArticleServiceTest {
    @TempDir
    Path dir;

    private static Article refunds(String window, int sections) {
        String body = IntStream.rangeClosed(1, sections)
                .mapToObj(i -> "## Refund rule " + i + "\n\nRefunds are possible within " + window + " of purchase, case " + i + ".")
                .collect(Collectors.joining("\n\n"));
        return new Article("refund-window", "Refund window", "en", List.of("billing"), null, Article.Status.PUBLISHED, body);
    }

    /** CASES BUG-08: an edit that shortens an article leaves none of its old passages behind. */
    @Test
    void anEditIsSearchableAtOnceAndNoOldPassageSurvives() throws Exception {
        try (ArticleService service = open()) {
            ArticleStore.Stored v1 = service.create(refunds("30 days", 6));
            assertThat(passagesOf(service, "refund-window")).hasSize(6);

            service.update(refunds("14 days", 2), v1.version());

            List<Passage> now = passagesOf(service, "refund-window");
            assertThat(now).hasSize(2).allSatisfy(p -> assertThat(p.text()).contains("14 days").doesNotContain("30 days"));
            for (KnowledgeBase.Mode mode : KnowledgeBase.Mode.values()) {
                SearchResult found = service.knowledgeBase().search("how long is the refund window 30 days", 5, mode);
                assertThat(found.hits()).allSatisfy(h -> assertThat(h.passage().text()).doesNotContain("30 days"));
            }
        }
    }

    /**
     * A search keeps what it reads of each index segment for the segment's life. An edit must be read from the new
     * segment while the old one lives on (with the edited article's passage deleted in it), every hit must carry its
     * own article, and closing the index must let go of everything kept.
     */
    @Test
    void anEditIsReadFreshWhileTheOldSegmentLivesOnAndClosingLetsGoOfWhatSearchesKept() throws Exception {
        int before = PassageIndex.cachedSegments();
        try (KnowledgeBase kb = KnowledgeBase.inMemory(Embedder.shared())) {
            // enough other articles that one deleted passage does not get the old segment merged away
            List<Article> first = new java.util.ArrayList<>(List.of(refunds("30 days", 1), new Article("shipping",
                    "Shipping times", "en", List.of(), null, Article.Status.PUBLISHED, "Parcels arrive within 5 working days of dispatch.")));
            for (String topic : List.of("passwords", "invoices", "addresses", "newsletters", "gift cards", "warranty", "loyalty points", "cookies")) {
                first.add(new Article(topic.replace(' ', '-'), "About " + topic, "en", List.of(), null, Article.Status.PUBLISHED,
                        "Everything about " + topic + " is explained on this page."));
            }
            kb.index(first);
            assertThat(kb.search("refund window days", 5, KnowledgeBase.Mode.BM25).hits().get(0).passage().text())
                    .contains("30 days");

            kb.index(refunds("14 days", 1));
            assertThat(kb.segmentCount()).isEqualTo(2);
            for (KnowledgeBase.Mode mode : KnowledgeBase.Mode.values()) {
                List<SearchHit> hits = kb.search("refund window days", 5, mode).hits();
                assertThat(hits).filteredOn(h -> h.articleId().equals("refund-window")).singleElement()
                        .satisfies(h -> assertThat(h.passage().text()).contains("14 days").doesNotContain("30 days"));
                assertThat(hits).allSatisfy(h -> assertThat(h.passage().articleId()).isEqualTo(h.articleId()));
            }

            kb.remove("shipping");
            kb.index(new Article("returns", "Returns", "en", List.of(), null, Article.Status.PUBLISHED,
                    "Returns are accepted within 45 days."));
            SearchHit returns = kb.search("returns accepted days", 1, KnowledgeBase.Mode.BM25).hits().get(0);
            assertThat(returns.articleId()).isEqualTo("returns");
            assertThat(returns.passage().text()).contains("45 days");
            assertThat(PassageIndex.cachedSegments()).isGreaterThan(before);
        }
        assertThat(PassageIndex.cachedSegments()).isEqualTo(before);
    }

    @Test
    void aDeletedArticleIsNeverFoundAgain() throws Exception {
        try (ArticleService service = open()) {
            ArticleStore.Stored legacy = service.create(new Article("legacy-discount", "Legacy discount code LEGACY10", "en",
                    List.of(), null, Article.Status.PUBLISHED, "Use the code LEGACY10 at checkout."));
            assertThat(service.knowledgeBase().search("LEGACY10 code", 3).hits()).extracting(SearchHit::articleId).contains("legacy-discount");
            service.delete("legacy-discount", legacy.version());
            for (KnowledgeBase.Mode mode : KnowledgeBase.Mode.values()) {
                assertThat(service.knowledgeBase().search("LEGACY10 discount code", 5, mode).hits())
                        .noneSatisfy(h -> assertThat(h.passage().text()).contains("LEGACY10"));
            }
        }
    }

    @Test
    void draftsAreNotSearchedUntilPublished() throws Exception {
        try (ArticleService service = open()) {
            ArticleStore.Stored draft = service.create(refunds("14 days", 1).withStatus(Article.Status.DRAFT));
            assertThat(passagesOf(service, "refund-window")).isEmpty();
            service.publish("refund-window", draft.version());
            assertThat(passagesOf(service, "refund-window")).hasSize(1);
        }
    }

    @Test
    void revertRestoresAnEarlierVersionAsANewOne() throws Exception {
        try (ArticleService service = open()) {
            ArticleStore.Stored v1 = service.create(refunds("30 days", 1));
            ArticleStore.Stored v2 = service.update(refunds("14 days", 1), v1.version());
            ArticleStore.Stored v3 = service.revert("refund-window", 1, v2.version());
            assertThat(v3.version()).isEqualTo(3);
            assertThat(v3.article().body()).contains("30 days");
            assertThat(service.store().revisions("refund-window")).extracting(ArticleStore.Revision::version).containsExactly(2, 1);
            assertThat(passagesOf(service, "refund-window")).allSatisfy(p -> assertThat(p.text()).contains("30 days"));
        }
    }

    @Test
    void aStaleVersionIsRefusedAndChangesNothing() throws Exception {
        try (ArticleService service = open()) {
            ArticleStore.Stored v1 = service.create(refunds("30 days", 1));
            service.update(refunds("14 days", 1), v1.version());
            assertThatThrownBy(() -> service.update(refunds("7 days", 1), v1.version())).isInstanceOf(VersionConflictException.class);
            assertThat(service.get("refund-window").orElseThrow().article().body()).contains("14 days");
            assertThat(passagesOf(service, "refund-window")).allSatisfy(p -> assertThat(p.text()).contains("14 days"));
        }
    }

    /** The process dies after the store was written but before the index saw the change: the store wins at the next start. */
    @Test
    void aCrashBetweenStoreWriteAndIndexCommitIsRepairedAtStart() throws Exception {
        try (ArticleService service = open()) {
            service.create(refunds("30 days", 3));
            service.create(new Article("gone", "Old promotion", "en", List.of(), null, Article.Status.PUBLISHED, "Summer promotion."));
        }
        // the store changes behind the index's back, as when a save completed and the index update did not
        ArticleStore store = ArticleStore.open(dir.resolve("articles"), dir.resolve("data/kb-revisions"));
        store.save(refunds("14 days", 1), 1);
        store.delete("gone", 1);

        try (ArticleService restarted = open()) {
            assertThat(passagesOf(restarted, "refund-window")).hasSize(1)
                    .allSatisfy(p -> assertThat(p.text()).contains("14 days"));
            assertThat(passagesOf(restarted, "gone")).isEmpty();
        }
    }

    @Test
    void changesSurviveARestartWithoutReindexing() throws Exception {
        try (ArticleService service = open()) {
            service.create(refunds("14 days", 2));
        }
        try (ArticleService restarted = open()) {
            assertThat(restarted.knowledgeBase().synchronize(
                    restarted.list().stream().map(ArticleStore.Stored::article).toList())).isZero();
            assertThat(passagesOf(restarted, "refund-window")).hasSize(2);
        }
    }

    private ArticleService open() throws java.io.IOException {
        return ArticleService.open(dir.resolve("articles"), dir.resolve("data"), Embedder.shared());
    }

    /** Every passage the index holds for an article, whatever the query. */
    private static List<Passage> passagesOf(ArticleService service, String articleId) {
        return service.knowledgeBase().passagesOf(articleId);
    }
}
