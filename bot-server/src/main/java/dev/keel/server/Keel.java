package dev.keel.server;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code keel} command line. */
@Command(name = "keel", mixinStandardHelpOptions = true, version = "Keel 0.1.0",
        description = "Customer-support chatbot that knows which customers are about to leave.",
        subcommands = {ServeCommand.class, KbCommand.class})
public final class Keel implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Tribuo logs through java.util.logging; send it where everything else goes
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        int code = new CommandLine(new Keel()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
