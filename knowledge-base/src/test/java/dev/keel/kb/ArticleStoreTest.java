package dev.keel.kb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArticleStoreTest {
    @TempDir
    Path dir;

    private ArticleStore store() throws Exception {
        return ArticleStore.open(dir.resolve("articles"), dir.resolve("revisions"));
    }

    private static Article article(String title) {
        return new Article("a1", title, "en", List.of("billing"), "https://help.example.test/a1", Article.Status.DRAFT, "Body of " + title);
    }

    @Test
    void savesRoundTripThroughTheFileFormatAndCountVersions() throws Exception {
        ArticleStore store = store();
        assertThat(store.save(article("First"), 0).version()).isEqualTo(1);
        assertThat(store.save(article("Second"), 1).version()).isEqualTo(2);
        ArticleStore reopened = store();
        ArticleStore.Stored current = reopened.get("a1").orElseThrow();
        assertThat(current.version()).isEqualTo(2);
        assertThat(current.article()).isEqualTo(article("Second"));
        assertThat(reopened.revisions("a1")).extracting(ArticleStore.Revision::title).containsExactly("First");
        assertThat(reopened.revision("a1", 1)).contains(article("First"));
    }

    @Test
    void writesLeaveNoTemporaryFilesAndLeftoversAreCleanedAtOpen() throws Exception {
        ArticleStore store = store();
        store.save(article("First"), 0);
        Files.writeString(dir.resolve("articles/.a1.md.tmp"), "---\nid: half");
        store();
        try (Stream<Path> files = Files.list(dir.resolve("articles"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("a1.md");
        }
    }

    @Test
    void refusesStaleVersionsAndTakenIds() throws Exception {
        ArticleStore store = store();
        store.save(article("First"), 0);
        assertThatThrownBy(() -> store.save(article("Again"), 0)).isInstanceOf(VersionConflictException.class);
        store.save(article("Second"), 1);
        assertThatThrownBy(() -> store.save(article("Late"), 1)).isInstanceOf(VersionConflictException.class);
        assertThatThrownBy(() -> store.delete("a1", 1)).isInstanceOf(VersionConflictException.class);
        assertThat(store.get("a1").orElseThrow().article().title()).isEqualTo("Second");
    }

    @Test
    void namesTheFieldThatIsWrong() throws Exception {
        ArticleStore store = store();
        assertThatThrownBy(() -> store.save(new Article("../etc/passwd", "t", "en", List.of(), null, "b"), 0))
                .isInstanceOfSatisfying(InvalidArticleException.class, e -> assertThat(e.field()).isEqualTo("id"));
        assertThatThrownBy(() -> store.save(new Article("ok", " ", "en", List.of(), null, "b"), 0))
                .isInstanceOfSatisfying(InvalidArticleException.class, e -> assertThat(e.field()).isEqualTo("title"));
        assertThatThrownBy(() -> store.save(new Article("ok", "t", "english please", List.of(), null, "b"), 0))
                .isInstanceOfSatisfying(InvalidArticleException.class, e -> assertThat(e.field()).isEqualTo("locale"));
        assertThatThrownBy(() -> store.save(new Article("ok", "t", "en", List.of(), "javascript:alert(1)", "b"), 0))
                .isInstanceOfSatisfying(InvalidArticleException.class, e -> assertThat(e.field()).isEqualTo("url"));
        assertThat(store.list()).isEmpty();
    }

    @Test
    void deletedArticlesKeepTheirRevisions() throws Exception {
        ArticleStore store = store();
        store.save(article("First"), 0);
        store.delete("a1", 1);
        assertThat(store.get("a1")).isEmpty();
        assertThat(store.revision("a1", 1)).contains(article("First"));
    }

    @Test
    void importsAndExportsFolders() throws Exception {
        ArticleStore store = store();
        assertThat(store.importFolder(Larkspur.FOLDER)).hasSize(Larkspur.articles().size());
        Path out = dir.resolve("export");
        assertThat(store.exportTo(out)).isEqualTo(Larkspur.articles().size());
        assertThat(ArticleFolder.read(out)).containsExactlyInAnyOrderElementsOf(Larkspur.articles());
    }
}
