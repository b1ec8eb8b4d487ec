package dev.keel.server;

import java.util.Locale;

/** What a signed-in person may do: agents work the hand-off queue, admins also manage Keel. */
enum Role {
    AGENT,
    ADMIN;

    /** An admin may do everything an agent may. */
    boolean grants(Role needed) {
        return this == ADMIN || this == needed;
    }

    static Role parse(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ApiException(400, "invalid_role", "role must be agent or admin");
        }
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
