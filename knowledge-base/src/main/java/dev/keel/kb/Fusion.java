package dev.keel.kb;

import dev.keel.kb.PassageIndex.Scored;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns passage lists into one ranking of articles. Each list is first collapsed to articles (an
 * article scores as its best passage), then the rankings are fused: BM25 over the passages, the
 * embedding of the passages, and the embedding of the article title alone (help-centre titles are
 * often the question itself, phrased by someone else). Fusion is either by reciprocal rank or by a
 * weighted blend of scores: BM25 divided by the best BM25 score of the query, cosine similarities
 * as they are, so a clear semantic match is not flattened by normalisation.
 *
 * @param method        how the rankings are combined
 * @param lexicalWeight weight of the BM25 score in the blend
 * @param titleWeight   weight of the title similarity in the blend (passage similarity gets the rest)
 * @param rrfK          the damping constant of reciprocal rank fusion
 */
record Fusion(Method method, double lexicalWeight, double titleWeight, int rrfK) {
    enum Method { RRF, BLEND }

    /** The setting that measured best on the StackFAQ evaluation. */
    static final Fusion DEFAULT = new Fusion(Method.BLEND, 0.02, 0.40, 60);

    /** An article and the passage that earned its place. */
    record Ranked(Scored best, double score) {
    }

    /** One list on its own, collapsed to articles, best first. */
    static List<Ranked> collapse(List<Scored> passages) {
        Map<String, Ranked> byArticle = new LinkedHashMap<>();
        for (Scored s : passages) {
            byArticle.merge(s.articleId(), new Ranked(s, s.score()),
                    (a, b) -> a.score() >= b.score() ? a : b);
        }
        List<Ranked> ranked = new ArrayList<>(byArticle.values());
        ranked.sort(Comparator.comparingDouble(Ranked::score).reversed());
        return ranked;
    }

    List<Ranked> fuse(List<Scored> lexical, List<Scored> passages, List<Scored> titles) {
        List<Ranked> lex = collapse(lexical);
        List<Ranked> pas = collapse(passages);
        List<Ranked> tit = collapse(titles);
        Map<String, Double> scores = new HashMap<>();
        if (method == Method.RRF) {
            addRanks(lex, scores);
            addRanks(pas, scores);
            addRanks(tit, scores);
        } else {
            double top = lex.isEmpty() ? 1 : lex.get(0).score();
            lex.forEach(r -> scores.merge(id(r), lexicalWeight * r.score() / top, Double::sum));
            pas.forEach(r -> scores.merge(id(r), (1 - lexicalWeight - titleWeight) * cosine(r), Double::sum));
            tit.forEach(r -> scores.merge(id(r), titleWeight * cosine(r), Double::sum));
        }
        // the passage shown for an article: the best lexical one (it holds the question's words), else the closest
        Map<String, Scored> best = new LinkedHashMap<>();
        lex.forEach(r -> best.putIfAbsent(id(r), r.best()));
        pas.forEach(r -> best.putIfAbsent(id(r), r.best()));
        tit.forEach(r -> best.putIfAbsent(id(r), r.best()));
        List<Ranked> fused = new ArrayList<>();
        best.forEach((id, passage) -> fused.add(new Ranked(passage, scores.get(id))));
        fused.sort(Comparator.comparingDouble(Ranked::score).reversed());
        return fused;
    }

    private static String id(Ranked r) {
        return r.best().articleId();
    }

    /** Lucene reports a cosine match as (1 + cos) / 2. */
    private static double cosine(Ranked r) {
        return 2 * r.score() - 1;
    }

    private void addRanks(List<Ranked> ranked, Map<String, Double> scores) {
        for (int i = 0; i < ranked.size(); i++) {
            scores.merge(id(ranked.get(i)), 1.0 / (rrfK + i + 1), Double::sum);
        }
    }
}
