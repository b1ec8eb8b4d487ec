package dev.keel.kb;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The query embedding cache gives the vector the model would have given. */
class EmbedderTest {
    private final Embedder embedder = Embedder.shared();

    @AfterEach
    void noCache() {
        embedder.queryCache(0);
    }

    @Test
    void aQuestionDifferingOnlyInCaseAndSpacingGetsTheVectorTheModelGivesIt() {
        embedder.queryCache(0);
        float[] fresh = embedder.embedQuery("How do I reset my password?");

        embedder.queryCache(8);
        embedder.embedQuery("  how do I RESET my \t password?\n");
        float[] cached = embedder.embedQuery("How do I reset my password?");

        assertThat(cached).containsExactly(fresh);
    }

    @Test
    void changingAReturnedVectorLeavesTheCachedOneAlone() {
        embedder.queryCache(8);
        float[] first = embedder.embedQuery("Can I change my billing date?");
        float[] kept = first.clone();
        first[0] = 42f;

        assertThat(embedder.embedQuery("Can I change my billing date?")).containsExactly(kept);
    }

    @Test
    void aCacheOfNoEntriesStillEmbeds() {
        embedder.queryCache(0);
        assertThat(embedder.embedQuery("Where is my order?")).hasSize(embedder.dimension());
    }
}
