package dev.keel.server;

/** Placeholder; filled below. */
record EscalationConfig() {
    static final double DEFAULT_FRUSTRATION = 0.75;
}
