package dev.keel.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code serve}'s settings: command line, then environment, then the YAML file, then the defaults. */
class ConfigFileTest {
    @TempDir
    Path dir;

    private ServeCommand parse(Map<String, String> env, String... args) {
        ServeCommand serve = new ServeCommand();
        CommandLine cli = new CommandLine(serve);
        cli.setDefaultValueProvider(ConfigFile.forArgs(args, cli.getCommandSpec(), env));
        cli.parseArgs(args);
        return serve;
    }

    private Path file(String yaml) throws Exception {
        return Files.writeString(dir.resolve("keel.yaml"), yaml);
    }

    @Test
    void theFileSetsWhatTheEnvironmentAndCommandLineLeaveOpen() throws Exception {
        Path config = file("port: 9000\nredis-fsync: everysec\nmin-answerability: 0.3\nhost: 0.0.0.0\n");

        ServeCommand fromFile = parse(Map.of(), "--config", config.toString());
        assertThat(fromFile.port).isEqualTo(9000);
        assertThat(fromFile.fsync).isEqualTo("everysec");
        assertThat(fromFile.minAnswerability).isEqualTo(0.3);
        assertThat(fromFile.kb).isEqualTo(Path.of("knowledge-base/articles"));

        ServeCommand envWins = parse(Map.of("KEEL_PORT", "9100", "REDIS_URL", "redis://10.0.0.1:6379"), "--config=" + config);
        assertThat(envWins.port).isEqualTo(9100);
        assertThat(envWins.redisUrl).isEqualTo("redis://10.0.0.1:6379");
        assertThat(envWins.host).isEqualTo("0.0.0.0");

        ServeCommand argsWin = parse(Map.of("KEEL_PORT", "9100", "KEEL_CONFIG", config.toString()), "--port", "9200");
        assertThat(argsWin.port).isEqualTo(9200);
        assertThat(argsWin.fsync).isEqualTo("everysec");
    }

    @Test
    void theSecuritySettingsComeFromTheFileAndTheEnvironmentToo() throws Exception {
        Path config = file("allowed-origins: [https://shop-a.example.test, https://shop-b.example.test]\n"
                + "require-verified-identity: true\nsecure-cookies: false\nrate-per-ip: 0\n");
        SecuritySettings fromFile = parse(Map.of(), "--config", config.toString()).security.settings();
        assertThat(fromFile.allowedOrigins()).containsExactly("https://shop-a.example.test", "https://shop-b.example.test");
        assertThat(fromFile.requireVerifiedIdentity()).isTrue();
        assertThat(fromFile.secureCookies()).isFalse();
        assertThat(fromFile.perIpPerMinute()).isZero();

        SecuritySettings fromEnv = parse(Map.of("KEEL_SECURE_COOKIES", "false", "KEEL_IDENTITY_AUDIENCE", "shop")).security.settings();
        assertThat(fromEnv.secureCookies()).isFalse();
        assertThat(fromEnv.identityAudience()).isEqualTo("shop");

        SecuritySettings defaults = parse(Map.of()).security.settings();
        assertThat(defaults).isEqualTo(SecuritySettings.defaults());
    }

    @Test
    void theEscalationThresholdsAreOptionsEnvironmentVariablesAndFileKeys() throws Exception {
        Path config = file("frustration-threshold: 0.5\nfailures-before-handoff: 4\nbusiness-hours: Mon-Fri 08:00-18:00 UTC\n"
                + "off-topic-below: 0.2\n");
        EscalationConfig fromFile = parse(Map.of(), "--config", config.toString()).escalation.config(0.45);
        assertThat(fromFile.frustrationThreshold()).isEqualTo(0.5);
        assertThat(fromFile.failuresBeforeHandoff()).isEqualTo(4);
        assertThat(fromFile.offTopicBelow()).isEqualTo(0.2);
        assertThat(fromFile.hours().isOpen(java.time.Instant.parse("2026-12-05T10:00:00Z").toEpochMilli())).isFalse();

        ServeCommand envAndArgs = parse(Map.of("KEEL_FRUSTRATION_THRESHOLD", "0.65", "KEEL_REPEATS_BEFORE_HANDOFF", "5",
                "KEEL_CONFIG", config.toString()), "--failures-before-handoff", "6");
        EscalationConfig layered = envAndArgs.escalation.config(0.45);
        assertThat(layered.frustrationThreshold()).isEqualTo(0.65);
        assertThat(layered.repeatsBeforeHandoff()).isEqualTo(5);
        assertThat(layered.failuresBeforeHandoff()).isEqualTo(6);

        // the options' defaults are the configuration's, and the old environment variables keep their names
        assertThat(parse(Map.of()).escalation.config(0.45)).isEqualTo(EscalationConfig.defaults());
        assertThat(parse(Map.of("KEEL_AGENT_LEASE_SECONDS", "30", "KEEL_AUDIT_ENTRIES", "500")).escalation.config(0.45))
                .isEqualTo(EscalationConfig.from(Map.of("KEEL_AGENT_LEASE_SECONDS", "30", "KEEL_AUDIT_ENTRIES", "500"), 0.45));

        assertThatThrownBy(() -> parse(Map.of(), "--frustration-threshold", "1.5").escalation.config(0.45))
                .hasMessageContaining("--frustration-threshold must be from 0 to 1");
        Path typo = file("frustration-treshold: 0.5\n");
        assertThatThrownBy(() -> parse(Map.of(), "--config", typo.toString()))
                .hasMessageContaining("unknown key 'frustration-treshold'");
    }

    @Test
    void withNothingGivenTheDefaultsHold() {
        ServeCommand defaults = parse(Map.of());
        assertThat(defaults.port).isEqualTo(8080);
        assertThat(defaults.fsync).isEqualTo("always");
        assertThat(defaults.redisUrl).isNull();
    }

    @Test
    void theQueryEmbeddingCacheIsSetLikeEveryOtherKey() throws Exception {
        assertThat(parse(Map.of()).queryEmbeddingCache).isEqualTo(KeelServer.Settings.QUERY_EMBEDDING_CACHE);
        assertThat(parse(Map.of(), "--config", file("query-embedding-cache: 0\n").toString()).queryEmbeddingCache).isZero();
        assertThat(parse(Map.of("KEEL_QUERY_EMBEDDING_CACHE", "64")).queryEmbeddingCache).isEqualTo(64);
    }

    @Test
    void anUnknownKeyStopsStartUpWithTheKeyNamed() throws Exception {
        Path config = file("port: 9000\nredis-fsnyc: everysec\n");
        assertThatThrownBy(() -> parse(Map.of(), "--config", config.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown key 'redis-fsnyc'")
                .hasMessageContaining("redis-fsync");
        assertThat(Keel.run(new String[]{"serve", "--config", config.toString()}, Map.of())).isEqualTo(2);
    }

    @Test
    void aFileThatIsNotAMapOfValuesIsRefused() throws Exception {
        assertThatThrownBy(() -> parse(Map.of(), "--config", file("- port\n").toString()))
                .hasMessageContaining("must be a map");
        assertThatThrownBy(() -> parse(Map.of(), "--config", file("port:\n  value: 1\n").toString()))
                .hasMessageContaining("'port' must be a value or a list");
        assertThatThrownBy(() -> parse(Map.of(), "--config", dir.resolve("missing.yaml").toString()))
                .hasMessageContaining("cannot be read");
    }
}
