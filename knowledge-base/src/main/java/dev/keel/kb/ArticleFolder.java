package dev.keel.kb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** A plain folder of article files: how articles are bundled, imported and exported. */
public final class ArticleFolder {
    private ArticleFolder() {
    }

    /** Every {@code .md} file directly in the folder, parsed, in file-name order. */
    public static List<Article> read(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException("knowledge base folder not found: " + folder.toAbsolutePath());
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".md"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        }
        List<Article> articles = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Path file : files) {
            Article article = ArticleParser.parse(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
            if (!ids.add(article.id())) {
                throw new IOException("two articles have the id '" + article.id() + "' in " + folder);
            }
            articles.add(article);
        }
        return articles;
    }
}
