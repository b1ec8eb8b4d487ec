package dev.keel.server.llm;

import dev.keel.kb.SearchHit;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A customer question that the knowledge base covers, with what retrieval found for it.
 *
 * @param offerHuman whether the reply must also offer a person
 * @param history    the conversation so far (the transcript as stored), read only when needed
 */
public record Question(String text, List<SearchHit> hits, boolean offerHuman, Supplier<JsonArray> history) {

    /** One earlier message of the conversation. */
    record Turn(boolean fromCustomer, String text) {
    }

    /** The earlier customer and bot messages, oldest first; other entries (agents, notes) are left out. */
    List<Turn> earlierTurns() {
        List<Turn> turns = new ArrayList<>();
        for (Object entry : history.get()) {
            if (entry instanceof JsonObject message && message.getString("text") != null) {
                String role = message.getString("role", "");
                if (role.equals("customer") || role.equals("bot")) {
                    turns.add(new Turn(role.equals("customer"), message.getString("text")));
                }
            }
        }
        return turns;
    }
}
