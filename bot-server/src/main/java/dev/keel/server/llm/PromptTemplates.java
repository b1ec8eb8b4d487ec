package dev.keel.server.llm;

import java.util.Map;

/** The checked templates of the {@code prompts} module, as the answerers need them. */
public interface PromptTemplates {
    /** Fills a template; values are inserted literally. */
    String render(String name, Map<String, String> values);

    /** The template's name with a digest of its text, recorded with each reply it produced. */
    String version(String name);
}
