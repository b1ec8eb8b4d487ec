package dev.keel.server;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** What the churn commands that use a saved model on a customer table all take: the model and the table. */
final class ChurnSourceOptions {
    @Option(names = "--model", defaultValue = "data/model", description = "Model folder (default: ${DEFAULT-VALUE}).")
    Path modelDir;

    @Option(names = "--data", required = true, description = "Customer table (CSV with a header; labelled for eval).")
    Path data;

    @Option(names = "--id", description = "Customer id column (default: the model's).")
    String idColumn;
}
