package dev.keel.server;

import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * The system notices that tell a customer what happens to their conversation: a person joined,
 * the conversation is back with the bot, back in the queue, closed, or a follow-up is promised.
 * They are {@code system} messages in the transcript, never bot answers.
 */
final class Notices {
    private final Templates templates;

    Notices(Templates templates) {
        this.templates = templates;
    }

    static JsonObject system(String kind, String text, long now) {
        return new JsonObject().put("role", "system").put("kind", kind).put("text", text).put("at", now);
    }

    JsonObject agentJoined(String agentName, long now) {
        return system("agent-joined", templates.render("notice-agent-joined", Map.of("agent", agentName)), now);
    }

    JsonObject backToBot(long now) {
        return system("back-to-bot", templates.render("notice-back-to-bot"), now);
    }

    JsonObject requeued(long position, long waitMinutes, long now) {
        return system("requeued", templates.render("notice-requeued",
                Map.of("position", Long.toString(position), "wait", Long.toString(waitMinutes))), now);
    }

    JsonObject resolved(long now) {
        return system("resolved", templates.render("notice-resolved"), now);
    }

    JsonObject followUp(String contact, long now) {
        return system("follow-up", templates.render("notice-follow-up", Map.of("contact", contact)), now);
    }
}
