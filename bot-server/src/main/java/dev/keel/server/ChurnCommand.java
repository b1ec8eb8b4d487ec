package dev.keel.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.keel.churn.ChurnModel;
import dev.keel.churn.CustomerTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import redis.clients.jedis.JedisPool;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code keel churn}: the churn model's tools. Training and evaluation logic lives in the churn module; these
 * commands read the options, call it and print JSON.
 */
@Command(name = "churn", mixinStandardHelpOptions = true,
        description = "Train, evaluate, explain and score the churn model.",
        subcommands = {ChurnTrainCommand.class, ChurnEvalCommand.class, ChurnScoreCommand.class,
                ChurnExplainCommand.class, ChurnBenchCommand.class})
final class ChurnCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Prints a value as indented JSON on the command's standard output. */
    static void print(CommandLine.Model.CommandSpec spec, Object value) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        out.println(JSON.writeValueAsString(value));
        out.flush();
    }

    /**
     * Runs a command body; a bad input (unreadable file, a table or record that does not fit) is reported on
     * standard error in one line and gives exit code 2 instead of a stack trace.
     */
    static int run(CommandLine.Model.CommandSpec spec, Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (IOException | IllegalArgumentException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("keel " + spec.qualifiedName().replaceFirst("^keel ", "") + ": " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    /** A connection pool to the Redis at {@code url}, configured as the server's. */
    static JedisPool pool(String url) {
        return RedisPool.open(url);
    }

    /**
     * Reads a table to score or explain with a model: the id column defaults to the model's, and the model's label
     * column, when the file has it, is left out of the records and read as the label.
     */
    static CustomerTable tableFor(ChurnModel model, Path data, String idColumn) throws IOException {
        return CustomerTable.loadForScoring(data, idColumn != null ? idColumn : model.idColumn(), model.labelColumn(),
                model.positiveValue());
    }
}
