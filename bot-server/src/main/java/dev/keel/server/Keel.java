package dev.keel.server;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Map;

/** The {@code keel} command line. */
@Command(name = "keel", mixinStandardHelpOptions = true, version = "Keel 0.1.0",
        description = "Customer-support chatbot that knows which customers are about to leave.",
        subcommands = {ServeCommand.class, KbCommand.class, ChurnCommand.class, IntentCommand.class, FrustrationCommand.class,
                LlmCommand.class, LoadCommand.class, AdminCommand.class})
public final class Keel implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Tribuo logs through java.util.logging; send it where everything else goes
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        int code = run(args, System.getenv());
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a {@code keel} command line; {@code serve} also reads the environment and its configuration file. */
    static int run(String[] args, Map<String, String> env) {
        CommandLine cli = new CommandLine(new Keel());
        CommandLine serve = cli.getSubcommands().get("serve");
        try {
            serve.setDefaultValueProvider(ConfigFile.forArgs(args, serve.getCommandSpec(), env));
        } catch (IllegalArgumentException e) {
            cli.getErr().println("keel: " + e.getMessage());
            return 2;
        }
        // a setting Keel refuses (out of range, a missing file) is the user's to fix: its message, not a stack trace
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if ((e instanceof IllegalArgumentException && e.getMessage() != null) || e instanceof java.nio.file.NoSuchFileException) {
                line.getErr().println("keel: " + (e instanceof java.nio.file.NoSuchFileException missing
                        ? "file not found: " + missing.getFile() : e.getMessage()));
                return 2;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
