package dev.keel.server;

import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.owasp.html.HtmlPolicyBuilder;
import org.owasp.html.PolicyFactory;

import java.util.regex.Pattern;

/**
 * An article's Markdown as the admin console previews it: rendered by commonmark, then sanitized
 * by the OWASP HTML sanitizer, which keeps only text formatting, lists, tables, code and links.
 * Links may go to http, https or mailto addresses and get {@code rel="nofollow noopener"}; images
 * are kept only from Keel's own host (a path, never another host); scripts, styles, frames, forms
 * and every event-handler attribute are dropped, whatever the Markdown's raw HTML said.
 */
final class MarkdownPreview {
    /** A same-host path such as {@code /images/a.png}: no scheme, no host, no protocol-relative {@code //}. */
    private static final Pattern SAME_HOST_PATH = Pattern.compile("/(?!/)[^\\s\\\\:]*");

    private static final Parser MARKDOWN = Parser.builder().build();
    private static final HtmlRenderer HTML = HtmlRenderer.builder().sanitizeUrls(true).build();
    private static final PolicyFactory POLICY = new HtmlPolicyBuilder()
            .allowElements("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code",
                    "em", "strong", "del", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img")
            .allowUrlProtocols("http", "https", "mailto")
            .allowAttributes("href", "title").onElements("a")
            .requireRelsOnLinks("nofollow", "noopener")
            .allowAttributes("src").matching(SAME_HOST_PATH).onElements("img")
            .allowAttributes("alt", "title").onElements("img")
            .allowAttributes("start").matching(Pattern.compile("[0-9]{1,6}")).onElements("ol")
            .toFactory();

    private MarkdownPreview() {
    }

    /** The sanitized HTML of a Markdown text. */
    static String render(String markdown) {
        return POLICY.sanitize(HTML.render(MARKDOWN.parse(markdown)));
    }
}
