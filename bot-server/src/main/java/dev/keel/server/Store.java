package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Conversations, their transcripts and the hand-off queue, kept in Redis. Every call borrows a
 * pooled connection and returns it, on error paths too. Calls block: run them off the event loop.
 *
 * <p>Keys: {@code keel:conv:{id}} (hash: token hash and expiry, verified customer or claimed one, owner, created),
 * {@code keel:conv:{id}:log} (list of messages as JSON), {@code keel:conv:{id}:turns} (hash: client
 * message id to the reply given), {@code keel:handoff:queue} (sorted set of conversation ids by
 * priority) and {@code keel:handoff:{id}} (hash describing the hand-off).
 */
final class Store {
    static final String QUEUE = "keel:handoff:queue";

    /**
     * Records one customer turn at once: the customer's message, the reply and, for a hand-off, the
     * queue entry. A client message id seen before stores nothing and returns the earlier reply.
     */
    private static final String RECORD_TURN = """
            local earlier = redis.call('HGET', KEYS[1], ARGV[1])
            if earlier then return earlier end
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
            redis.call('RPUSH', KEYS[2], ARGV[2])
            if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
            if ARGV[5] ~= '' then
              redis.call('HSET', KEYS[3], 'owner', 'QUEUE')
              redis.call('ZADD', KEYS[4], 'NX', ARGV[6], ARGV[7])
              redis.call('HSET', KEYS[5], 'ticket', ARGV[5])
            end
            return false
            """;

    private final JedisPool pool;
    private final Runnable onError;

    /** @param onError told of every failed call (for the metrics) before the failure is thrown on */
    Store(JedisPool pool, Runnable onError) {
        this.pool = pool;
        this.onError = onError;
    }

    <T> T call(Function<Jedis, T> work) {
        try (Jedis jedis = pool.getResource()) {
            return work.apply(jedis);
        } catch (JedisException e) {
            onError.run();
            throw e;
        }
    }

    static String conversationKey(String id) {
        return "keel:conv:" + id;
    }

    /** Stores a new conversation's fields: token hash and expiry, owner, identity, creation time. */
    void createConversation(String id, Map<String, String> fields) {
        call(j -> j.hset(conversationKey(id), fields));
    }

    Optional<Map<String, String>> conversation(String id) {
        Map<String, String> fields = call(j -> j.hgetAll(conversationKey(id)));
        return fields.isEmpty() ? Optional.empty() : Optional.of(fields);
    }

    Optional<JsonObject> earlierReply(String conversationId, String clientMessageId) {
        String reply = call(j -> j.hget(conversationKey(conversationId) + ":turns", clientMessageId));
        return Optional.ofNullable(reply).map(JsonObject::new);
    }

    /**
     * Stores a turn atomically.
     *
     * @param botMessage null when the bot writes nothing for this turn
     * @param handoff    null unless the turn hands the conversation over
     * @return the reply stored earlier for the same client message id, if there was one
     */
    Optional<JsonObject> recordTurn(String conversationId, String clientMessageId, JsonObject customerMessage,
                                    JsonObject botMessage, JsonObject reply, JsonObject handoff, double priority) {
        String key = conversationKey(conversationId);
        List<String> keys = List.of(key + ":turns", key + ":log", key, QUEUE, "keel:handoff:" + conversationId);
        List<String> args = List.of(clientMessageId, customerMessage.encode(),
                botMessage == null ? "" : botMessage.encode(), reply.encode(),
                handoff == null ? "" : handoff.encode(), Double.toString(priority), conversationId);
        Object earlier = call(j -> j.eval(RECORD_TURN, keys, args));
        return earlier == null ? Optional.empty() : Optional.of(new JsonObject(earlier.toString()));
    }

    JsonArray transcript(String conversationId) {
        List<String> messages = call(j -> j.lrange(conversationKey(conversationId) + ":log", 0, -1));
        JsonArray out = new JsonArray();
        messages.forEach(m -> out.add(new JsonObject(m)));
        return out;
    }

    /** How many hand-offs wait with at least this priority: those a new one will queue behind. */
    long waitingAtOrAbove(double priority) {
        return call(j -> j.zcount(QUEUE, priority, Double.POSITIVE_INFINITY));
    }

    long waitingCount() {
        return call(j -> j.zcard(QUEUE));
    }

    /** The waiting hand-offs, first in line first. */
    List<JsonObject> queue(int limit) {
        return call(j -> {
            List<JsonObject> out = new ArrayList<>();
            for (Tuple t : j.zrevrangeWithScores(QUEUE, 0, limit - 1L)) {
                String ticket = j.hget("keel:handoff:" + t.getElement(), "ticket");
                JsonObject entry = ticket == null ? new JsonObject() : new JsonObject(ticket);
                out.add(entry.put("conversationId", t.getElement()).put("priority", t.getScore()));
            }
            return out;
        });
    }

    boolean ping() {
        return "PONG".equals(call(Jedis::ping));
    }
}
