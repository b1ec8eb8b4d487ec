package dev.keel.server;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The thresholds of the escalation policy and the rules of the hand-off queue. Each has a default
 * and an environment variable ({@code KEEL_} + the name in upper snake case, e.g.
 * {@code KEEL_FRUSTRATION_THRESHOLD}).
 *
 * @param minAnswerability       below this retrieval answerability the knowledge base does not cover the question
 * @param offTopicBelow          an unanswered message whose retrieval answerability is below this is off-topic:
 *                               on its own it never hands over nor counts as frustration
 * @param frustrationThreshold   frustration at or above which a person is offered
 * @param frustrationHighRisk    the same for customers of high churn risk, who are offered a person sooner
 * @param repeatsBeforeHandoff   asking the same thing this many times hands the conversation to a person
 * @param failuresBeforeHandoff  unanswered questions in a row before a hand-off
 * @param failuresHighRisk       the same for customers of high churn risk
 * @param leaseSeconds           an agent's claim expires this long after its last renewal
 * @param presenceSeconds        an agent counts as online this long after their last heartbeat
 * @param handlingMinutes        the minutes a person needs per conversation, for the expected wait
 * @param agingPerMinute         queue priority gained per minute waited, so that nobody waits forever
 * @param auditEntries           the audit stream keeps about this many decisions
 * @param hours                  when people answer; outside them Keel takes a contact address instead
 */
record EscalationConfig(double minAnswerability, double offTopicBelow, double frustrationThreshold,
                        double frustrationHighRisk, int repeatsBeforeHandoff, int failuresBeforeHandoff,
                        int failuresHighRisk, int leaseSeconds, int presenceSeconds, double handlingMinutes,
                        double agingPerMinute, int auditEntries, BusinessHours hours) {
    static final double DEFAULT_FRUSTRATION = 0.75;

    static EscalationConfig defaults() {
        return new EscalationConfig(0.45, 0.30, DEFAULT_FRUSTRATION, 0.6, 3, 3, 2, 90, 60, 6, 0.05, 10_000,
                BusinessHours.ALWAYS);
    }

    /** The defaults, overridden by whichever {@code KEEL_...} variables are set. */
    static EscalationConfig from(Map<String, String> env, double minAnswerability) {
        EscalationConfig d = defaults();
        Function<String, String> get = name -> {
            String value = env.get(name);
            return value == null || value.isBlank() ? null : value.strip();
        };
        return new EscalationConfig(minAnswerability,
                number(get, "KEEL_OFF_TOPIC_BELOW", d.offTopicBelow()),
                number(get, "KEEL_FRUSTRATION_THRESHOLD", d.frustrationThreshold()),
                number(get, "KEEL_FRUSTRATION_HIGH_RISK", d.frustrationHighRisk()),
                (int) number(get, "KEEL_REPEATS_BEFORE_HANDOFF", d.repeatsBeforeHandoff()),
                (int) number(get, "KEEL_FAILURES_BEFORE_HANDOFF", d.failuresBeforeHandoff()),
                (int) number(get, "KEEL_FAILURES_HIGH_RISK", d.failuresHighRisk()),
                (int) number(get, "KEEL_AGENT_LEASE_SECONDS", d.leaseSeconds()),
                (int) number(get, "KEEL_AGENT_PRESENCE_SECONDS", d.presenceSeconds()),
                number(get, "KEEL_HANDLING_MINUTES", d.handlingMinutes()),
                number(get, "KEEL_AGING_PER_MINUTE", d.agingPerMinute()),
                (int) number(get, "KEEL_AUDIT_ENTRIES", d.auditEntries()),
                get.apply("KEEL_BUSINESS_HOURS") == null ? d.hours() : BusinessHours.parse(get.apply("KEEL_BUSINESS_HOURS")));
    }

    private static double number(Function<String, String> get, String name, double fallback) {
        String value = get.apply(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, not '" + value + "'");
        }
    }

    /**
     * When people answer, e.g. {@code Mon-Fri 08:00-18:00 Europe/London}; {@code always} for round the clock.
     */
    record BusinessHours(Set<DayOfWeek> days, LocalTime opens, LocalTime closes, ZoneId zone) {
        static final BusinessHours ALWAYS = new BusinessHours(EnumSet.allOf(DayOfWeek.class), LocalTime.MIN,
                LocalTime.MAX, ZoneId.of("UTC"));

        static BusinessHours parse(String text) {
            if (text.equalsIgnoreCase("always")) {
                return ALWAYS;
            }
            String[] parts = text.trim().split("\\s+");
            if (parts.length != 3) {
                throw new IllegalArgumentException("business hours look like 'Mon-Fri 08:00-18:00 Europe/London', not '" + text + "'");
            }
            String[] dayRange = parts[0].split("-");
            DayOfWeek first = day(dayRange[0]);
            DayOfWeek last = dayRange.length > 1 ? day(dayRange[1]) : first;
            Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
            for (DayOfWeek d = first; ; d = d.plus(1)) {
                days.add(d);
                if (d == last) {
                    break;
                }
            }
            String[] times = parts[1].split("-");
            return new BusinessHours(days, LocalTime.parse(times[0]), LocalTime.parse(times[1]), ZoneId.of(parts[2]));
        }

        boolean isOpen(long epochMillis) {
            ZonedDateTime at = java.time.Instant.ofEpochMilli(epochMillis).atZone(zone);
            LocalTime time = at.toLocalTime();
            return days.contains(at.getDayOfWeek()) && !time.isBefore(opens) && (time.isBefore(closes) || closes.equals(LocalTime.MAX));
        }

        private static DayOfWeek day(String name) {
            for (DayOfWeek d : DayOfWeek.values()) {
                if (d.name().regionMatches(true, 0, name, 0, 3) && name.length() == 3) {
                    return d;
                }
            }
            throw new IllegalArgumentException("unknown day '" + name + "' (use Mon, Tue, ...)");
        }
    }
}
