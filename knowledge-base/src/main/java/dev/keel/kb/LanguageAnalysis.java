package dev.keel.kb;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.WordlistLoader;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.util.IOUtils;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Chooses how text is cut into terms by the language of the article. Each language family has its
 * own Lucene fields ({@code text.en}, {@code text.cjk}, ...), so an article is indexed with the
 * analyzer of its locale and a question is analyzed once per family and matched against that
 * family's fields only: terms of one analyzer never meet terms of another.
 */
public final class LanguageAnalysis implements Closeable {
    /** A group of locales that share an analyzer. */
    public enum Family {
        /** English: Snowball stemming and stop words. */
        EN,
        /** Chinese, Japanese, Korean: overlapping character bigrams, so multi-character words match without a dictionary. */
        CJK,
        /** Everything else: Unicode word boundaries, lower case, no stemming. */
        STD;

        public String suffix() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The family of a language tag such as {@code en-GB}, {@code ja} or {@code zh-Hant}. */
        public static Family of(String locale) {
            String language = locale == null ? "" : locale.toLowerCase(Locale.ROOT).split("[-_]", 2)[0];
            return switch (language) {
                case "en", "" -> EN;
                case "zh", "ja", "ko" -> CJK;
                default -> STD;
            };
        }
    }

    /** The analyzed fields of a passage; each exists once per family. */
    static final List<String> TEXT_FIELDS = List.of("title", "heading", "text");

    private final Map<Family, Analyzer> analyzers = new HashMap<>();
    private final Analyzer perField;

    public LanguageAnalysis() {
        analyzers.put(Family.EN, new EnglishAnalyzer(englishStopWords()));
        analyzers.put(Family.CJK, new CJKAnalyzer());
        analyzers.put(Family.STD, new StandardAnalyzer());
        Map<String, Analyzer> byField = new HashMap<>();
        for (Family family : Family.values()) {
            for (String field : TEXT_FIELDS) {
                byField.put(field(field, family), analyzers.get(family));
            }
        }
        perField = new PerFieldAnalyzerWrapper(new StandardAnalyzer(), byField);
    }

    static String field(String base, Family family) {
        return base + "." + family.suffix();
    }

    /** Whether a text contains Han, Hiragana, Katakana or Hangul characters. */
    static boolean hasCjk(String text) {
        return text.codePoints().anyMatch(cp -> {
            Character.UnicodeScript script = Character.UnicodeScript.of(cp);
            return script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                    || script == Character.UnicodeScript.KATAKANA || script == Character.UnicodeScript.HANGUL;
        });
    }

    /** The analyzer an index writer uses: each family's fields get that family's analyzer. */
    Analyzer indexAnalyzer() {
        return perField;
    }

    /** Distinct terms of a text in order of first appearance, at most {@code max}. */
    public List<String> terms(Family family, String text, int max) {
        Set<String> terms = new LinkedHashSet<>();
        try (TokenStream stream = analyzers.get(family).tokenStream(field("text", family), text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            stream.reset();
            while (stream.incrementToken() && terms.size() < max) {
                terms.add(term.toString());
            }
            stream.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ArrayList<>(terms);
    }

    /**
     * Snowball's English stop list: it also drops the pronouns and auxiliaries of questions ("how do
     * I", "my"), which Lucene's short default list keeps and which otherwise dominate short questions.
     */
    private static CharArraySet englishStopWords() {
        try (Reader words = IOUtils.getDecodingReader(SnowballFilter.class, "english_stop.txt", StandardCharsets.UTF_8)) {
            return WordlistLoader.getSnowballWordSet(words);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        perField.close();
        analyzers.values().forEach(Analyzer::close);
    }
}
