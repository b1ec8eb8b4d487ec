package dev.keel.server;

import dev.keel.churn.RiskBand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import redis.clients.jedis.resps.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The hand-off queue and who owns each conversation, in Redis. The owner of a conversation is one
 * field of its hash: {@code BOT}, {@code QUEUE} or {@code agent:<id>}; every change of owner is
 * one Lua script that checks the owner it expects, so two agents can never both hold a ticket and
 * the bot never writes into a conversation a person owns.
 *
 * <p>Keys: {@value Store#QUEUE} (sorted set of waiting conversation ids by aged priority),
 * {@code keel:handoff:{id}} (hash: ticket JSON, its queue score, state, agent, disposition),
 * {@value #LEASES} (sorted set of claimed conversation ids by lease expiry, epoch millis),
 * {@value #AGENTS} (sorted set of agent ids by last heartbeat) and {@code keel:agent:{id}} (hash:
 * name, capacity). Calls block: run them off the event loop.
 */
final class Handoffs {
    static final String LEASES = "keel:handoff:leases";
    static final String AGENTS = "keel:agents";

    /** Claims a waiting conversation, or renews the claim its owner already holds. */
    private static final String CLAIM = """
            local owner = redis.call('HGET', KEYS[1], 'owner')
            if owner == ARGV[2] then
              redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
              return 'RENEWED'
            end
            if owner ~= 'QUEUE' then return owner or 'NONE' end
            redis.call('ZREM', KEYS[2], ARGV[1])
            redis.call('HSET', KEYS[1], 'owner', ARGV[2])
            redis.call('HSET', KEYS[3], 'agent', ARGV[2], 'state', 'CLAIMED', 'claimedAt', ARGV[5])
            redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
            redis.call('RPUSH', KEYS[5], ARGV[4])
            return 'CLAIMED'
            """;

    /**
     * Moves a conversation from the owner it is expected to have to a new one (the bot, the queue
     * or an agent) and appends a notice for the customer. With ARGV[7] set, only if the lease has
     * run out by that time.
     */
    private static final String MOVE = """
            local owner = redis.call('HGET', KEYS[1], 'owner')
            if owner ~= ARGV[2] then return owner or 'NONE' end
            if ARGV[7] ~= '' then
              local lease = redis.call('ZSCORE', KEYS[4], ARGV[1])
              if lease and tonumber(lease) > tonumber(ARGV[7]) then return 'LEASE_RENEWED' end
            end
            redis.call('ZREM', KEYS[4], ARGV[1])
            redis.call('HSET', KEYS[1], 'owner', ARGV[3])
            redis.call('HSET', KEYS[3], 'state', ARGV[5])
            if ARGV[3] == 'QUEUE' then
              redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[3], 'score'), ARGV[1])
              redis.call('HDEL', KEYS[3], 'agent')
            elseif string.sub(ARGV[3], 1, 6) == 'agent:' then
              redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
              redis.call('HSET', KEYS[3], 'agent', ARGV[3])
            else
              redis.call('ZREM', KEYS[2], ARGV[1])
            end
            if ARGV[8] ~= '' then redis.call('HSET', KEYS[3], 'disposition', ARGV[8]) end
            if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[5], ARGV[4]) end
            return 'MOVED'
            """;

    /**
     * Appends an agent's message if that agent owns the conversation, and renews the lease. Returns
     * {@code SENT:<seq>}, or {@code DUPLICATE:seq:<seq>} for a client message id seen before.
     */
    private static final String AGENT_SAYS = """
            local owner = redis.call('HGET', KEYS[1], 'owner')
            if owner ~= ARGV[2] then return owner or 'NONE' end
            local earlier = redis.call('HGET', KEYS[3], ARGV[5])
            if earlier then return 'DUPLICATE:' .. earlier end
            local seq = redis.call('RPUSH', KEYS[2], ARGV[3]) - 1
            redis.call('HSET', KEYS[3], ARGV[5], 'seq:' .. seq)
            redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
            return 'SENT:' .. seq
            """;

    private final Store store;
    private final EscalationConfig config;

    Handoffs(Store store, EscalationConfig config) {
        this.store = store;
        this.config = config;
    }

    static String owner(String agentId) {
        return "agent:" + agentId;
    }

    static String ticketKey(String conversationId) {
        return "keel:handoff:" + conversationId;
    }

    /** Monthly charge that counts as full customer value; the Telco table's charges run up to about 120. */
    private static final double FULL_VALUE_MONTHLY = 120;

    /**
     * The priority of a new ticket: the churn band first (high 3, medium 2, unknown 1.5, low 1),
     * then the churn probability, then the customer's value (up to 0.5; neutral 0.25 when unknown).
     */
    static double priority(RiskBand band, double probability, OptionalDouble monthlyCharges) {
        double base = switch (band) {
            case HIGH -> 3;
            case MEDIUM -> 2;
            case UNKNOWN -> 1.5;
            case LOW -> 1;
        };
        double value = monthlyCharges.isPresent()
                ? Math.min(1, Math.max(0, monthlyCharges.getAsDouble() / FULL_VALUE_MONTHLY)) : 0.5;
        return base + probability + 0.5 * value;
    }

    /**
     * The queue score of a new ticket. Waiting raises everyone's priority by the same amount per
     * minute, so instead of re-scoring the queue the aging is folded into the score once: the
     * priority minus the aging the ticket will have gained by any later moment.
     */
    double score(double priority, long createdAtMillis) {
        return priority - config.agingPerMinute() * createdAtMillis / 60_000.0;
    }

    /** The priority a ticket has now, aging included. */
    double priorityNow(double score, long nowMillis) {
        return score + config.agingPerMinute() * nowMillis / 60_000.0;
    }

    /** How many tickets wait ahead of one with this score, plus one: its place in the queue. */
    long positionFor(double score) {
        return store.call(j -> j.zcount(Store.QUEUE, "(" + score, "+inf")) + 1;
    }

    /** The place of a waiting conversation in the queue, if it waits. */
    Optional<Long> position(String conversationId) {
        Long rank = store.call(j -> j.zrevrank(Store.QUEUE, conversationId));
        return Optional.ofNullable(rank).map(r -> r + 1);
    }

    /** The minutes a customer at this place can expect to wait, given the agents online. */
    long expectedWaitMinutes(long position, long now) {
        int capacity = Math.max(1, onlineCapacity(now));
        return Math.max(1, Math.round(Math.ceil((double) position / capacity) * config.handlingMinutes()));
    }

    /** The waiting tickets, first in line first, with their place, wait so far and current priority. */
    List<JsonObject> queue(int limit, long now) {
        return store.call(j -> {
            List<JsonObject> out = new ArrayList<>();
            long position = 1;
            for (Tuple t : j.zrevrangeWithScores(Store.QUEUE, 0, limit - 1L)) {
                String ticket = j.hget(ticketKey(t.getElement()), "ticket");
                JsonObject entry = ticket == null ? new JsonObject() : new JsonObject(ticket);
                long created = entry.getLong("createdAt", now);
                JsonObject risk = entry.getJsonObject("risk", new JsonObject());
                out.add(entry.put("conversationId", t.getElement()).put("position", position++)
                        .put("priority", ClassMetrics.round(priorityNow(t.getScore(), now)))
                        .put("riskBand", risk.getString("band", "UNKNOWN"))
                        .put("waitedMinutes", Math.max(0, (now - created) / 60_000)));
            }
            return out;
        });
    }

    /**
     * Outcome of an owner change: done, or refused because the conversation has another owner.
     *
     * @param seq the transcript position of the message the step appended, or -1 when it appended none or it is not known
     */
    record Move(boolean done, String ownerFound, long seq) {
        Move(boolean done, String ownerFound) {
            this(done, ownerFound, -1);
        }
    }

    Move claim(String conversationId, String agentId, JsonObject notice, long now) {
        String key = Store.conversationKey(conversationId);
        Object result = store.call(j -> j.eval(CLAIM, List.of(key, Store.QUEUE, ticketKey(conversationId), LEASES, key + ":log"),
                List.of(conversationId, owner(agentId), Long.toString(leaseUntil(now)), notice.encode(), Long.toString(now))));
        return new Move(result.equals("CLAIMED") || result.equals("RENEWED"), result.toString());
    }

    /** Renews the lease of the agent who owns the conversation; refused for anyone else. */
    Move renew(String conversationId, String agentId, long now) {
        return move(conversationId, owner(agentId), owner(agentId), "CLAIMED", null, null, now);
    }

    /**
     * Moves a conversation from one owner to another.
     *
     * @param state       the ticket's new state, e.g. {@code WAITING}, {@code BACK_TO_BOT}, {@code RESOLVED}
     * @param notice      the notice for the customer, or null for none
     * @param disposition the disposition to record, or null
     */
    Move move(String conversationId, String from, String to, String state, JsonObject notice, String disposition, long now) {
        return move(conversationId, from, to, state, notice, disposition, now, "");
    }

    private Move move(String conversationId, String from, String to, String state, JsonObject notice, String disposition,
                      long now, String onlyIfLeaseExpiredBy) {
        String key = Store.conversationKey(conversationId);
        Object result = store.call(j -> j.eval(MOVE, List.of(key, Store.QUEUE, ticketKey(conversationId), LEASES, key + ":log"),
                List.of(conversationId, from, to, notice == null ? "" : notice.encode(), state,
                        Long.toString(leaseUntil(now)), onlyIfLeaseExpiredBy, disposition == null ? "" : disposition)));
        return new Move(result.equals("MOVED"), result.toString());
    }

    Move agentSays(String conversationId, String agentId, JsonObject message, String clientMessageId, long now) {
        String key = Store.conversationKey(conversationId);
        String result = store.call(j -> j.eval(AGENT_SAYS, List.of(key, key + ":log", key + ":agent-turns", LEASES),
                List.of(conversationId, owner(agentId), message.encode(), Long.toString(leaseUntil(now)), clientMessageId))).toString();
        if (result.startsWith("SENT:")) {
            return new Move(true, result, Long.parseLong(result.substring("SENT:".length())));
        }
        if (result.startsWith("DUPLICATE:")) {
            // message ids stored before positions were kept hold "1" instead of "seq:<n>"
            String earlier = result.substring("DUPLICATE:".length());
            return new Move(true, result, earlier.startsWith("seq:") ? Long.parseLong(earlier.substring(4)) : -1);
        }
        return new Move(false, result);
    }

    /**
     * Returns every ticket whose agent let the lease run out to the queue, with a notice for the
     * customer; a lease renewed meanwhile is left alone. Returns the conversations returned.
     */
    List<String> requeueExpired(long now, java.util.function.LongFunction<JsonObject> notice) {
        List<String> expired = store.call(j -> j.zrangeByScore(LEASES, "-inf", Long.toString(now)));
        List<String> returned = new ArrayList<>();
        for (String id : expired) {
            String agent = store.call(j -> j.hget(Store.conversationKey(id), "owner"));
            if (agent == null || !agent.startsWith("agent:")) {
                store.call(j -> j.zrem(LEASES, id));
                continue;
            }
            String score = store.call(j -> j.hget(ticketKey(id), "score"));
            long position = score == null ? 1 : positionFor(Double.parseDouble(score));
            if (move(id, agent, "QUEUE", "WAITING", notice.apply(position), null, now, Long.toString(now)).done()) {
                returned.add(id);
            }
        }
        return returned;
    }

    /**
     * Records the customer's address for a follow-up ticket ({@code keel:followup:{id}}, listed
     * oldest first in {@code keel:followups}) and the notice that confirms it, at once.
     */
    void followUp(String conversationId, String contact, JsonObject notice, long now) {
        String key = Store.conversationKey(conversationId);
        store.call(j -> j.eval("""
                        redis.call('HSET', KEYS[1], 'contact', ARGV[1])
                        redis.call('HSET', KEYS[2], 'conversationId', ARGV[3], 'contact', ARGV[1], 'requestedAt', ARGV[4])
                        redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[3])
                        redis.call('RPUSH', KEYS[4], ARGV[2])
                        return 1
                        """, List.of(key, "keel:followup:" + conversationId, "keel:followups", key + ":log"),
                List.of(contact, notice.encode(), conversationId, Long.toString(now))));
    }

    /** Records an agent's heartbeat: online for the presence window from now. */
    void heartbeat(String agentId, String name, int capacity, long now) {
        store.call(j -> {
            j.hset("keel:agent:" + agentId, Map.of("name", name, "capacity", Integer.toString(capacity)));
            return j.zadd(AGENTS, now, agentId);
        });
    }

    void signOff(String agentId) {
        store.call(j -> j.zrem(AGENTS, agentId));
    }

    /** The agents whose last heartbeat is within the presence window. */
    JsonArray online(long now) {
        return store.call(j -> {
            JsonArray out = new JsonArray();
            for (String id : j.zrangeByScore(AGENTS, Long.toString(now - config.presenceSeconds() * 1000L), "+inf")) {
                Map<String, String> agent = j.hgetAll("keel:agent:" + id);
                out.add(new JsonObject().put("agentId", id).put("name", agent.getOrDefault("name", id))
                        .put("capacity", Integer.parseInt(agent.getOrDefault("capacity", "1"))));
            }
            return out;
        });
    }

    int onlineCapacity(long now) {
        int capacity = 0;
        for (Object agent : online(now)) {
            capacity += ((JsonObject) agent).getInteger("capacity");
        }
        return capacity;
    }

    /** The agent's display name, or the id when the agent never said. */
    String agentName(String agentId) {
        String name = store.call(j -> j.hget("keel:agent:" + agentId, "name"));
        return name == null ? agentId : name;
    }

    Optional<Map<String, String>> ticket(String conversationId) {
        Map<String, String> fields = store.call(j -> j.hgetAll(ticketKey(conversationId)));
        return fields.isEmpty() ? Optional.empty() : Optional.of(fields);
    }

    private long leaseUntil(long now) {
        return now + config.leaseSeconds() * 1000L;
    }
}
