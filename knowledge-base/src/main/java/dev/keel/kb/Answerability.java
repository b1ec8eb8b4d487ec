package dev.keel.kb;

import dev.keel.kb.LanguageAnalysis.Family;
import org.apache.lucene.search.IndexSearcher;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How sure retrieval is that the top article answers the question, from 0 to 1, so the escalation
 * policy can say "not covered" instead of quoting a near miss. Two kinds of evidence are combined:
 *
 * <ul>
 *   <li>coverage: the IDF-weighted share of the question's terms that occur in the top passage or
 *       its titles. Words the knowledge base has never seen weigh the most, so an off-topic
 *       question scores low even when it shares common words;</li>
 *   <li>closeness: the cosine similarity of question and top passage, mapped from the range where
 *       unrelated texts fall ({@code floor}) to the range of clear answers ({@code ceiling}).
 *       Embedding models rate any two English sentences somewhat similar, hence the floor.</li>
 * </ul>
 *
 * Without a query vector (BM25 only) the score is the coverage alone.
 *
 * @param coverageWeight share of coverage in the score
 * @param floor          cosine at or below which closeness is 0
 * @param ceiling        cosine at or above which closeness is 1
 */
record Answerability(double coverageWeight, double floor, double ceiling) {

    /**
     * Calibrated per model on StackFAQ questions and off-topic questions (see the README): each
     * model has its own range of cosine similarities for unrelated and for matching texts.
     */
    static Answerability of(Embedder.Model model) {
        return switch (model) {
            case BGE_SMALL_EN_V15_Q -> new Answerability(0.5, 0.55, 0.85);
            case ALL_MINILM_L6_V2 -> new Answerability(0.5, 0.25, 0.65);
        };
    }

    /** @param topDoc the top passage's document number in {@code searcher} */
    double of(IndexSearcher searcher, LanguageAnalysis analysis, Map<Family, List<String>> terms, Passage top, int topDoc,
              float[] queryVector) throws IOException {
        double coverage = coverage(searcher, analysis, terms, top);
        if (queryVector == null) {
            return coverage;
        }
        double cosine = PassageIndex.cosine(searcher, topDoc, queryVector);
        double closeness = Math.max(0, Math.min(1, (cosine - floor) / (ceiling - floor)));
        return coverageWeight * coverage + (1 - coverageWeight) * closeness;
    }

    /** The best coverage over the language families the question was analyzed in. */
    private static double coverage(IndexSearcher searcher, LanguageAnalysis analysis, Map<Family, List<String>> terms,
                                   Passage passage) throws IOException {
        String passageText = passage.title() + "\n" + passage.heading() + "\n" + passage.text();
        int docCount = Math.max(1, searcher.getIndexReader().numDocs());
        double best = 0;
        for (Map.Entry<Family, List<String>> family : terms.entrySet()) {
            Set<String> present = new HashSet<>(analysis.terms(family.getKey(), passageText, Integer.MAX_VALUE));
            double total = 0;
            double covered = 0;
            for (String term : family.getValue()) {
                int df = PassageIndex.docFreq(searcher, family.getKey(), term);
                double idf = Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
                total += idf;
                if (present.contains(term)) {
                    covered += idf;
                }
            }
            best = Math.max(best, total == 0 ? 0 : covered / total);
        }
        return best;
    }
}
