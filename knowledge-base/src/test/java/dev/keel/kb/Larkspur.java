package dev.keel.kb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The bundled help-centre articles: small enough to index in every test that needs a real corpus. */
final class Larkspur {
    static final Path FOLDER = Path.of("articles");

    private Larkspur() {
    }

    static List<Article> articles() {
        try {
            return ArticleFolder.read(FOLDER);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the bundled articles into a temp folder, so a test can edit them without touching the originals. */
    static Path copyTo(Path dir) throws IOException {
        Path target = Files.createDirectories(dir.resolve("articles"));
        try (Stream<Path> files = Files.list(FOLDER)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".md")).toList()) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        }
        return target;
    }
}
