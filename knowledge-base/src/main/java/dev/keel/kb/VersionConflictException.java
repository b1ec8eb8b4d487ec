package dev.keel.kb;

/** A change was based on a version of an article that is no longer the current one. */
public final class VersionConflictException extends RuntimeException {
    private final int currentVersion;

    public VersionConflictException(String id, int expected, int current) {
        super(current == 0 ? "article '" + id + "' does not exist (expected version " + expected + ")"
                : "article '" + id + "' is at version " + current + ", not " + expected + "; reload it and apply the change again");
        this.currentVersion = current;
    }

    public int currentVersion() {
        return currentVersion;
    }
}
