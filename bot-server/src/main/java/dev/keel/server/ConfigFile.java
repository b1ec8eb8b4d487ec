package dev.keel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a command's options get their values when the command line does not give them: first an
 * environment variable, then the YAML configuration file, then the option's built-in default.
 *
 * <p>The file is a flat map whose keys are the long option names without dashes
 * ({@code port: 8080}, {@code redis-fsync: everysec}); a list value stands for a repeated option.
 * The environment variable of option {@code --foo-bar} is {@code KEEL_FOO_BAR}; {@code --redis-url}
 * and the {@code --llm-*} options also answer to their conventional names ({@code REDIS_URL},
 * {@code LLM_PROVIDER}, ...). A key the command does not know stops start-up with the key named, so
 * a typo never silently leaves a setting at its default.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {
    /** Options that are about the command line itself, not settings. */
    private static final Set<String> NOT_SETTINGS = Set.of("help", "version", "config");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Map<String, String> fileValues;
    private final Map<String, String> env;

    private ConfigFile(Map<String, String> fileValues, Map<String, String> env) {
        this.fileValues = fileValues;
        this.env = env;
    }

    /**
     * The configuration for a command, from the file named by {@code --config} in its arguments (or
     * by {@code KEEL_CONFIG}), if any.
     *
     * @throws IllegalArgumentException naming the file and the key when the file is unreadable, not a
     *                                  map, or has a key the command does not know
     */
    static ConfigFile forArgs(String[] args, CommandSpec command, Map<String, String> env) {
        Path file = configPath(args, env);
        return new ConfigFile(file == null ? Map.of() : read(file, command), env);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        String key = key(option);
        for (String name : envNames(key)) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return fileValues.get(key);
    }

    /** The configuration key of an option: its longest name without the dashes. */
    static String key(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "");
    }

    /** The environment variables that set an option, most specific first. */
    static List<String> envNames(String key) {
        String upper = key.toUpperCase(Locale.ROOT).replace('-', '_');
        List<String> names = new ArrayList<>(List.of("KEEL_" + upper));
        if (key.equals("redis-url") || key.startsWith("llm-")) {
            names.add(upper);
        }
        return names;
    }

    private static Path configPath(String[] args, Map<String, String> env) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        String fromEnv = env.get("KEEL_CONFIG");
        return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
    }

    private static Map<String, String> read(Path file, CommandSpec command) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("configuration file " + file + " cannot be read: " + e.getMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return Map.of();
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("configuration file " + file + " must be a map of settings");
        }
        Set<String> known = new TreeSet<>();
        for (OptionSpec option : command.options()) {
            if (!NOT_SETTINGS.contains(key(option))) {
                known.add(key(option));
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = root.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = field.getKey();
            if (!known.contains(key)) {
                throw new IllegalArgumentException("configuration file " + file + ": unknown key '" + key
                        + "'; the keys are " + String.join(", ", known));
            }
            values.put(key, scalar(file, key, field.getValue()));
        }
        return values;
    }

    private static String scalar(Path file, String key, JsonNode value) {
        if (value.isValueNode()) {
            return value.asText();
        }
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            for (JsonNode item : value) {
                if (!item.isValueNode()) {
                    throw new IllegalArgumentException("configuration file " + file + ": '" + key + "' must be a list of plain values");
                }
                items.add(item.asText());
            }
            return String.join(",", items);
        }
        throw new IllegalArgumentException("configuration file " + file + ": '" + key + "' must be a value or a list, not a map");
    }
}
