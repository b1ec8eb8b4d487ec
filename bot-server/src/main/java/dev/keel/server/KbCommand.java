package dev.keel.server;

import dev.keel.kb.ArticleStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code keel kb}: knowledge-base tools that run without the server. Import and export work on the
 * article files only; a running or next-started server brings its index in line at start-up.
 */
@Command(name = "kb", mixinStandardHelpOptions = true, description = "Knowledge-base evaluation, benchmarks, import and export.",
        subcommands = {KbEvalCommand.class, KbBenchCommand.class})
final class KbCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Copy every article of a folder into the store, each saved as a new version (earlier text kept as a revision).")
    int importFolder(@Option(names = "--kb", defaultValue = "${env:KEEL_KB:-knowledge-base/articles}", description = "The article store.") Path kb,
                     @Option(names = "--data", defaultValue = "${env:KEEL_DATA:-data}", description = "Keel's data folder (revisions).") Path data,
                     @Option(names = "--from", required = true, description = "Folder of article files to import.") Path from) throws IOException {
        int count = store(kb, data).importFolder(from).size();
        System.out.println("imported " + count + " articles into " + kb);
        return 0;
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Write the current version of every article into a folder.")
    int exportFolder(@Option(names = "--kb", defaultValue = "${env:KEEL_KB:-knowledge-base/articles}", description = "The article store.") Path kb,
                     @Option(names = "--data", defaultValue = "${env:KEEL_DATA:-data}", description = "Keel's data folder (revisions).") Path data,
                     @Option(names = "--to", required = true, description = "Folder to write the articles to.") Path to) throws IOException {
        int count = store(kb, data).exportTo(to);
        System.out.println("exported " + count + " articles to " + to);
        return 0;
    }

    private static ArticleStore store(Path kb, Path data) throws IOException {
        return ArticleStore.open(kb, data.resolve("kb-revisions"));
    }
}
