package dev.keel.kb;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an article along its structure: one passage per section ({@code #}-headings), and a long
 * section into runs of whole paragraphs of at most {@link #MAX_CHARS} characters.
 */
public final class Chunker {
    static final int MAX_CHARS = 1200;

    private Chunker() {
    }

    public static List<Passage> chunk(Article article) {
        List<Passage> passages = new ArrayList<>();
        String heading = "";
        StringBuilder section = new StringBuilder();
        boolean inFence = false;
        for (String line : article.body().split("\n", -1)) {
            if (line.strip().startsWith("```")) {
                inFence = !inFence;
            }
            if (!inFence && line.matches("^#{1,6}\\s+.*")) {
                addSection(article, heading, section.toString(), passages);
                heading = line.replaceFirst("^#{1,6}\\s+", "").strip();
                section.setLength(0);
            } else {
                section.append(line).append('\n');
            }
        }
        addSection(article, heading, section.toString(), passages);
        if (passages.isEmpty()) {
            passages.add(new Passage(article.id() + "#0", article.id(), article.title(), "", ""));
        }
        return passages;
    }

    private static void addSection(Article article, String heading, String text, List<Passage> out) {
        String body = text.strip();
        if (body.isEmpty()) {
            return;
        }
        StringBuilder run = new StringBuilder();
        for (String paragraph : body.split("\n\\s*\n")) {
            String p = paragraph.strip();
            if (run.length() > 0 && run.length() + p.length() + 2 > MAX_CHARS) {
                out.add(passage(article, heading, run.toString(), out.size()));
                run.setLength(0);
            }
            if (run.length() > 0) {
                run.append("\n\n");
            }
            run.append(p);
        }
        if (run.length() > 0) {
            out.add(passage(article, heading, run.toString(), out.size()));
        }
    }

    private static Passage passage(Article article, String heading, String text, int index) {
        return new Passage(article.id() + "#" + index, article.id(), article.title(), heading, text);
    }
}
