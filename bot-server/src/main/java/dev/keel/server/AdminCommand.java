package dev.keel.server;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import redis.clients.jedis.JedisPool;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code keel admin create-user}: creates an agent or admin account in the Redis a Keel uses, for
 * example the first admin of a deployment with an external Redis. The password is read from the
 * terminal, or from the first line of standard input, never from the command line.
 */
@Command(name = "admin", mixinStandardHelpOptions = true, description = "Manage agent and admin accounts.",
        subcommands = AdminCommand.CreateUser.class)
final class AdminCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "create-user", mixinStandardHelpOptions = true,
            description = "Create an account; the password is read from the terminal or the first line of standard input.")
    static final class CreateUser implements Callable<Integer> {
        @Option(names = "--redis-url", required = true, defaultValue = "${env:REDIS_URL}", paramLabel = "URL",
                description = "The Redis of the Keel deployment (also REDIS_URL). With the embedded Redis, use KEEL_ADMIN_PASSWORD at start instead.")
        String redisUrl;

        @Option(names = "--name", required = true, description = "Account name (lower-case letters, digits, . _ @ -).")
        String name;

        @Option(names = "--role", required = true, description = "agent or admin.")
        String role;

        @Override
        public Integer call() throws Exception {
            String password = readPassword();
            try (JedisPool pool = new JedisPool(URI.create(redisUrl), 2000)) {
                Store store = new Store(pool, () -> { });
                Accounts.Account created = new Accounts(store).create(name, password, Role.parse(role), "command-line");
                new AuditLog(store).record("command-line", "account.create", created.name(),
                        new JsonObject().put("role", created.role().label()));
                System.out.println("created " + created.role().label() + " account '" + created.name() + "'");
                return 0;
            } catch (ApiException e) {
                System.err.println("keel admin: " + e.getMessage());
                return 1;
            }
        }

        private static String readPassword() throws Exception {
            Console console = System.console();
            if (console != null) {
                char[] typed = console.readPassword("Password for the new account: ");
                return typed == null ? null : new String(typed);
            }
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }
}
