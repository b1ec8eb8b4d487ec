package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The customer's satisfaction rating, through the real server on a Redis the test can look into. */
class RatingRouteTest {
    private static SecuredKeel keel;

    @BeforeAll
    static void start() throws Exception {
        keel = SecuredKeel.start(SecuritySettings.defaults(), Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (keel != null) {
            keel.close();
        }
    }

    private static HttpResponse<String> rate(JsonObject conversation, String token, String body) throws Exception {
        return keel.send("POST", "/api/v1/conversations/" + conversation.getString("conversationId") + "/rating", body,
                "Authorization", "Bearer " + token);
    }

    private static Map<String, String> hash(JsonObject conversation) {
        try (Jedis jedis = keel.redis()) {
            return jedis.hgetAll("keel:conv:" + conversation.getString("conversationId"));
        }
    }

    private static List<Map<String, String>> ratingsInAudit(JsonObject conversation) {
        try (Jedis jedis = keel.redis()) {
            List<StreamEntry> entries = jedis.xrange(Store.AUDIT, (StreamEntryID) null, (StreamEntryID) null);
            return entries.stream().map(StreamEntry::getFields)
                    .filter(f -> "rating".equals(f.get("event")) && conversation.getString("conversationId").equals(f.get("conversationId")))
                    .toList();
        }
    }

    @Test
    void storesTheScoreAndCommentInTheConversationAndAppendsItToTheAuditStream() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        HttpResponse<String> response = rate(conversation, conversation.getString("token"),
                "{\"score\": 4, \"comment\": \"Quick and <b onmouseover=x()>kind</b> **thanks**\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject rating = new JsonObject(response.body()).getJsonObject("rating");
        assertThat(rating.getInteger("score")).isEqualTo(4);
        assertThat(rating.getString("comment")).isEqualTo("Quick and kind **thanks**");
        Map<String, String> stored = hash(conversation);
        assertThat(stored).containsEntry("rating", "4").containsEntry("ratingComment", "Quick and kind **thanks**")
                .containsKey("ratedAt");
        assertThat(ratingsInAudit(conversation)).singleElement()
                .satisfies(fields -> assertThat(fields).containsEntry("score", "4"));
    }

    @Test
    void aSecondRatingReplacesTheFirst() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        String token = conversation.getString("token");
        assertThat(rate(conversation, token, "{\"score\": 2, \"comment\": \"slow\"}").statusCode()).isEqualTo(200);
        assertThat(rate(conversation, token, "{\"score\": 5}").statusCode()).isEqualTo(200);

        Map<String, String> stored = hash(conversation);
        assertThat(stored).containsEntry("rating", "5").doesNotContainKey("ratingComment");
        assertThat(ratingsInAudit(conversation)).extracting(f -> f.get("score")).containsExactly("2", "5");
    }

    @Test
    void refusesBadScoresLongCommentsAndWrongTokensAndStoresNothing() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        String token = conversation.getString("token");
        for (String body : List.of("{\"score\": 0}", "{\"score\": 6}", "{\"score\": 4.5}", "{\"score\": \"4\"}", "{}",
                "{\"score\": 3, \"comment\": 7}", "[4]", "{\"score\": 3, \"comment\": \"" + "x".repeat(1001) + "\"}")) {
            HttpResponse<String> response = rate(conversation, token, body);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(SecuredKeel.error(response).getString("code")).as(body)
                    .isIn("invalid_score", "invalid_comment", "comment_too_long", "malformed_json");
        }
        assertThat(rate(conversation, "wrong-token", "{\"score\": 3}").statusCode()).isEqualTo(401);
        assertThat(rate(conversation, null, "{\"score\": 3}").statusCode()).isEqualTo(401);
        JsonObject unknown = new JsonObject().put("conversationId", UUID.randomUUID().toString());
        assertThat(rate(unknown, token, "{\"score\": 3}").statusCode()).isEqualTo(404);

        assertThat(hash(conversation)).doesNotContainKeys("rating", "ratingComment", "ratedAt");
        assertThat(ratingsInAudit(conversation)).isEmpty();
    }
}
