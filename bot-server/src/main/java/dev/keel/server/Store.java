package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;

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
 * message id to the reply given), {@code keel:conv:{id}:signals} (list of each bot turn's signals and
 * decision, for agents only), {@value #AUDIT} (capped stream of decisions and hand-off events); the
 * queue is described in {@link Handoffs}.
 */
final class Store {
    static final String QUEUE = "keel:handoff:queue";

    static final String AUDIT = "keel:audit";

    /**
     * Records one customer turn at once: the customer's message, the reply, the turn's signals
     * (kept for the agent and appended to the audit stream) and, for a hand-off, the queue entry. A
     * client message id seen before stores nothing and returns the earlier reply. A bot message is
     * stored only while the conversation still has the owner the turn was decided for; otherwise
     * nothing is stored and the marker {@code !owner} comes back. The stored reply gets the
     * transcript positions of the two messages, {@code customerSeq} and {@code replySeq} (the reply
     * JSON is a non-empty object, so the fields are spliced in before its closing brace).
     */
    private static final String RECORD_TURN = """
            local earlier = redis.call('HGET', KEYS[1], ARGV[1])
            if earlier then return {'EARLIER', earlier} end
            if ARGV[3] ~= '' and redis.call('HGET', KEYS[3], 'owner') ~= ARGV[8] then return {'!owner'} end
            local seqs = ',"customerSeq":' .. (redis.call('RPUSH', KEYS[2], ARGV[2]) - 1)
            if ARGV[3] ~= '' then seqs = seqs .. ',"replySeq":' .. (redis.call('RPUSH', KEYS[2], ARGV[3]) - 1) end
            local body = string.sub(ARGV[4], 1, -2)
            if body == '{' then seqs = string.sub(seqs, 2) end
            local reply = body .. seqs .. '}'
            redis.call('HSET', KEYS[1], ARGV[1], reply)
            if ARGV[9] ~= '' then
              redis.call('RPUSH', KEYS[6], ARGV[9])
              redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[10], '*', 'event', 'decision', 'conversationId', ARGV[7], 'turn', ARGV[9])
            end
            if ARGV[5] ~= '' then
              redis.call('HSET', KEYS[3], 'owner', 'QUEUE')
              redis.call('ZADD', KEYS[4], 'NX', ARGV[6], ARGV[7])
              redis.call('HDEL', KEYS[5], 'agent', 'disposition')
              redis.call('HSET', KEYS[5], 'ticket', ARGV[5], 'score', ARGV[6], 'state', 'WAITING')
            end
            return {'STORED', reply}
            """;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Store.class);

    private final JedisPool pool;
    private final Runnable onError;

    /** A store that reports its failures to no one, for commands that keep no metrics. */
    Store(JedisPool pool) {
        this(pool, () -> { });
    }

    /** @param onError told of every failed call (for the metrics) before the failure is thrown on */
    Store(JedisPool pool, Runnable onError) {
        this.pool = pool;
        this.onError = onError;
    }

    <T> T call(Function<Jedis, T> work) {
        try (Jedis jedis = pool.getResource()) {
            return work.apply(jedis);
        } catch (JedisException e) {
            if (e instanceof JedisConnectionException) {
                // the idle connections most likely went the same way (a restarted Redis): drop them all, not one a call
                pool.clear();
            }
            onError.run();
            throw e;
        }
    }

    /**
     * Tells every node of a change (see {@link ChangeBus}). Best effort: the change itself is
     * already stored, and readers catch up by {@code seq}, so a failed announcement is logged, not thrown.
     */
    void announce(JsonObject change) {
        try {
            call(j -> j.publish(ChangeBus.CHANNEL, change.encode()));
        } catch (JedisException e) {
            LOG.warn("could not announce a change: {}", e.toString());
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

    /**
     * What a customer turn reads before it is decided, in one round trip: the conversation (empty
     * if there is none), the reply already stored for this client message id (a retry), and the
     * signals of the conversation's earlier bot turns, oldest first.
     */
    record TurnState(Optional<Map<String, String>> conversation, Optional<JsonObject> earlier, List<JsonObject> signals) {
    }

    TurnState turnState(String conversationId, String clientMessageId) {
        String key = conversationKey(conversationId);
        return call(j -> {
            try (Pipeline pipeline = j.pipelined()) {
                Response<Map<String, String>> fields = pipeline.hgetAll(key);
                Response<String> earlier = pipeline.hget(key + ":turns", clientMessageId);
                Response<List<String>> signals = pipeline.lrange(key + ":signals", 0, -1);
                pipeline.sync();
                return new TurnState(fields.get().isEmpty() ? Optional.empty() : Optional.of(fields.get()),
                        Optional.ofNullable(earlier.get()).map(JsonObject::new),
                        signals.get().stream().map(JsonObject::new).toList());
            }
        });
    }

    /**
     * One customer turn to store.
     *
     * @param botMessage    null when the bot writes nothing for this turn
     * @param expectedOwner the owner the turn was decided for; a bot message is stored only if it still owns it
     * @param ticket        null unless the turn hands the conversation over
     * @param score         the ticket's queue score
     * @param signals       the turn's signals and decision for the agent and the audit stream, or null
     */
    record Turn(String clientMessageId, JsonObject customerMessage, JsonObject botMessage, JsonObject reply,
                String expectedOwner, JsonObject ticket, double score, JsonObject signals) {
    }

    /**
     * What storing a turn found.
     *
     * @param reply        the reply as stored, with {@code customerSeq} and {@code replySeq}; or, when a
     *                     reply for the same client message id was stored before, that one; null when the owner changed
     * @param earlier      whether the reply is an earlier one and nothing was stored now
     * @param ownerChanged whether the conversation changed owner while the turn was decided, so nothing was stored
     */
    record Recorded(JsonObject reply, boolean earlier, boolean ownerChanged) {
    }

    @SuppressWarnings("unchecked")
    Recorded recordTurn(String conversationId, Turn turn, int auditEntries) {
        String key = conversationKey(conversationId);
        List<String> keys = List.of(key + ":turns", key + ":log", key, QUEUE, "keel:handoff:" + conversationId,
                key + ":signals", AUDIT);
        List<String> args = List.of(turn.clientMessageId(), turn.customerMessage().encode(),
                turn.botMessage() == null ? "" : turn.botMessage().encode(), turn.reply().encode(),
                turn.ticket() == null ? "" : turn.ticket().encode(), Double.toString(turn.score()), conversationId,
                turn.expectedOwner(), turn.signals() == null ? "" : turn.signals().encode(), Integer.toString(auditEntries));
        List<Object> result = (List<Object>) call(j -> j.eval(RECORD_TURN, keys, args));
        String outcome = result.get(0).toString();
        if (outcome.equals("!owner")) {
            return new Recorded(null, false, true);
        }
        boolean earlier = outcome.equals("EARLIER");
        if (!earlier) {
            announce(ChangeBus.conversationChanged(conversationId));
            if (turn.ticket() != null) {
                announce(ChangeBus.queueChanged());
            }
        }
        return new Recorded(new JsonObject(result.get(1).toString()), earlier, false);
    }

    /** The signals of the conversation's bot turns, oldest first. */
    List<JsonObject> signals(String conversationId) {
        return call(j -> j.lrange(conversationKey(conversationId) + ":signals", 0, -1)).stream().map(JsonObject::new).toList();
    }

    /** Appends an event (a claim, a resolution, ...) to the capped audit stream. */
    void audit(String event, String conversationId, JsonObject details, int auditEntries) {
        call(j -> j.eval("return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2], "
                        + "'conversationId', ARGV[3], 'details', ARGV[4])", List.of(AUDIT),
                List.of(Integer.toString(auditEntries), event, conversationId, details.encode())));
    }

    JsonArray transcript(String conversationId) {
        return transcriptAfter(conversationId, -1);
    }

    /**
     * The transcript's messages after position {@code afterSeq} (-1 for all), oldest first, each with
     * its {@code seq}: its place in the list, which only ever grows at the end.
     */
    JsonArray transcriptAfter(String conversationId, long afterSeq) {
        long first = Math.max(0, afterSeq + 1);
        List<String> messages = call(j -> j.lrange(conversationKey(conversationId) + ":log", first, -1));
        JsonArray out = new JsonArray();
        long seq = first;
        for (String m : messages) {
            out.add(new JsonObject(m).put("seq", seq++));
        }
        return out;
    }

    long waitingCount() {
        return call(j -> j.zcard(QUEUE));
    }

    boolean ping() {
        return "PONG".equals(call(Jedis::ping));
    }
}
