package dev.keel.kb;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared evaluation data, which tests read in place. */
final class SharedData {
    private SharedData() {
    }

    static Path path(String relative) {
        String configured = System.getProperty("keel.shared.data");
        Path base = configured != null ? Path.of(configured) : Path.of("../../shared/data");
        Path resolved = base.resolve(relative).normalize();
        if (!Files.exists(resolved)) {
            throw new IllegalStateException("shared data not found: " + resolved.toAbsolutePath());
        }
        return resolved;
    }
}
