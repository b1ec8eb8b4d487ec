package dev.keel.server;

import picocli.CommandLine.Option;

/**
 * The options of {@code keel serve} for the escalation policy and the hand-off queue; see
 * {@link EscalationConfig}. Each is also the environment variable {@code KEEL_} + the option in
 * upper snake case and the key of the YAML configuration file, through {@link ConfigFile}.
 */
final class EscalationOptions {
    @Option(names = "--off-topic-below", defaultValue = "0.30",
            description = "Retrieval answerability below which an unanswered message is off-topic (default: ${DEFAULT-VALUE}).")
    double offTopicBelow;

    @Option(names = "--frustration-threshold", defaultValue = "0.75",
            description = "Frustration from which a person is offered (default: ${DEFAULT-VALUE}).")
    double frustrationThreshold;

    @Option(names = "--frustration-high-risk", defaultValue = "0.6",
            description = "The same for customers of high churn risk, who are then handed over (default: ${DEFAULT-VALUE}).")
    double frustrationHighRisk;

    @Option(names = "--repeats-before-handoff", defaultValue = "3",
            description = "Asking for the same thing this often hands the conversation over (default: ${DEFAULT-VALUE}).")
    int repeatsBeforeHandoff;

    @Option(names = "--failures-before-handoff", defaultValue = "3",
            description = "Unanswered questions in a row before a hand-off (default: ${DEFAULT-VALUE}).")
    int failuresBeforeHandoff;

    @Option(names = "--failures-high-risk", defaultValue = "2",
            description = "The same for customers of high churn risk (default: ${DEFAULT-VALUE}).")
    int failuresHighRisk;

    @Option(names = "--agent-lease-seconds", defaultValue = "90",
            description = "An agent's claim expires this long after its last renewal (default: ${DEFAULT-VALUE}).")
    int leaseSeconds;

    @Option(names = "--agent-presence-seconds", defaultValue = "60",
            description = "An agent is online this long after their last heartbeat (default: ${DEFAULT-VALUE}).")
    int presenceSeconds;

    @Option(names = "--handling-minutes", defaultValue = "6",
            description = "Minutes a person needs per conversation, for the expected wait (default: ${DEFAULT-VALUE}).")
    double handlingMinutes;

    @Option(names = "--aging-per-minute", defaultValue = "0.05",
            description = "Queue priority gained per minute waited (default: ${DEFAULT-VALUE}).")
    double agingPerMinute;

    @Option(names = "--audit-entries", defaultValue = "10000",
            description = "About how many entries the audit stream keel:audit keeps (default: ${DEFAULT-VALUE}).")
    int auditEntries;

    @Option(names = "--business-hours", defaultValue = "always",
            description = "When people answer, e.g. 'Mon-Fri 08:00-18:00 Europe/London', or always (default: ${DEFAULT-VALUE}).")
    String businessHours;

    /** The configuration these options describe, with the policy's "covered" threshold. */
    EscalationConfig config(double minAnswerability) {
        EscalationConfig config = new EscalationConfig(minAnswerability, offTopicBelow, frustrationThreshold,
                frustrationHighRisk, repeatsBeforeHandoff, failuresBeforeHandoff, failuresHighRisk, leaseSeconds,
                presenceSeconds, handlingMinutes, agingPerMinute, auditEntries, EscalationConfig.BusinessHours.parse(businessHours));
        EscalationSettings.check(config);
        return config;
    }
}
