package dev.keel.server;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * {@code POST /api/v1/conversations/{id}/rating}: the customer's satisfaction rating, a score of 1 to
 * 5 and an optional comment, with the conversation's token. One rating per conversation: a second
 * replaces the first. It is kept in the conversation's hash ({@code rating}, {@code ratingComment},
 * {@code ratedAt}) and appended to the audit stream as {@code event=rating}, in one Lua script, so
 * that neither is written without the other.
 */
final class RatingRoute {
    static final int MAX_COMMENT_CHARS = 1000;
    private static final String RATE = """
            redis.call('HSET', KEYS[1], 'rating', ARGV[1], 'ratedAt', ARGV[3])
            if ARGV[2] == '' then
              redis.call('HDEL', KEYS[1], 'ratingComment')
            else
              redis.call('HSET', KEYS[1], 'ratingComment', ARGV[2])
            end
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'event', 'rating', 'conversationId', ARGV[5], 'score', ARGV[1])
            return 1
            """;

    private final Vertx vertx;
    private final ChatService chat;
    private final Store store;
    private final int auditEntries;

    /** @param auditEntries the audit stream keeps about this many entries */
    RatingRoute(Vertx vertx, ChatService chat, Store store, int auditEntries) {
        this.vertx = vertx;
        this.chat = chat;
        this.store = store;
        this.auditEntries = auditEntries;
    }

    void register(Router router) {
        router.post("/api/v1/conversations/:id/rating").handler(this::rate);
    }

    private void rate(RoutingContext ctx) {
        String id = HttpApi.conversationId(ctx);
        String token = HttpApi.bearer(ctx);
        JsonObject body = HttpApi.requiredJson(ctx);
        int score = score(body.getValue("score"));
        String comment = comment(HttpApi.string(body, "comment"));
        HttpApi.blocking(vertx, ctx, () -> {
            chat.authorize(id, token);
            long now = System.currentTimeMillis();
            store.call(j -> j.eval(RATE, List.of(Store.conversationKey(id), Store.AUDIT),
                    List.of(Integer.toString(score), comment, Long.toString(now), Integer.toString(auditEntries), id)));
            return new JsonObject().put("conversationId", id).put("rating", new JsonObject().put("score", score)
                    .put("comment", comment.isEmpty() ? null : comment).put("ratedAt", now));
        }).onSuccess(rated -> HttpApi.send(ctx, 200, rated));
    }

    /** A whole number from 1 to 5; 4.5, "4" and 0 are refused. */
    private static int score(Object value) {
        if ((value instanceof Integer || value instanceof Long) && ((Number) value).longValue() >= 1
                && ((Number) value).longValue() <= 5) {
            return ((Number) value).intValue();
        }
        throw new ApiException(400, "invalid_score", "score must be a whole number from 1 to 5");
    }

    /** The comment as a visitor's text is stored anywhere: no tags, no control characters; "" for none. */
    private static String comment(String raw) {
        if (raw == null) {
            return "";
        }
        if (raw.codePointCount(0, raw.length()) > MAX_COMMENT_CHARS) {
            throw new ApiException(400, "comment_too_long", "comment is longer than " + MAX_COMMENT_CHARS + " characters");
        }
        return VisitorText.clean(raw);
    }
}
