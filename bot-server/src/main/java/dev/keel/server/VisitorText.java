package dev.keel.server;

import java.util.regex.Pattern;

/**
 * Cleans text that a visitor typed before it is stored or shown to an agent. Keel's messages are
 * plain text with Markdown, never HTML, so anything shaped like an HTML tag is removed, repeatedly
 * so that a tag hidden inside another ({@code <<b>img ...>}) cannot reassemble; a tag left open at
 * the end goes too. Markdown ({@code **bold**}, lists, links) is left as typed: the console and
 * widget render it with raw HTML disabled. Control characters other than line breaks and tabs go.
 */
final class VisitorText {
    private static final Pattern TAG = Pattern.compile("<\\s*[a-zA-Z!/?][^<>]*(>|$)");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}&&[^\\n\\t]]");

    private VisitorText() {
    }

    static String clean(String text) {
        String previous;
        String current = CONTROL.matcher(text).replaceAll("");
        do {
            previous = current;
            current = TAG.matcher(previous).replaceAll("");
        } while (!current.equals(previous));
        return current.strip();
    }
}
