package dev.keel.server;

import dev.keel.churn.SchemaMismatchException;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * {@code PUT /api/v1/customers/{id}}: a CRM sends a customer's record (cells by column, the columns of the churn
 * model's schema); Keel checks it against the schema, stores it in Redis and rescores the customer, so the next chat
 * turn sees the new risk. A record that does not fit is refused with 400 naming the column; nothing is stored then.
 *
 * <p>Body: a JSON object of column to value; a value is a string, a number, or null / "" for "not recorded".
 */
final class CustomersApi {
    private static final Pattern CUSTOMER_ID = Pattern.compile("[A-Za-z0-9._@:-]{1,64}");

    private final Vertx vertx;
    private final ChurnScores churn;
    private final Predicate<RoutingContext> mayWrite;

    /**
     * @param mayWrite decides whether the caller may write customer records; the CRM's authentication plugs in here
     */
    CustomersApi(Vertx vertx, ChurnScores churn, Predicate<RoutingContext> mayWrite) {
        this.vertx = vertx;
        this.churn = churn;
        this.mayWrite = mayWrite;
    }

    void register(Router router) {
        router.put("/api/v1/customers/:id").handler(this::put);
    }

    private void put(RoutingContext ctx) {
        if (!mayWrite.test(ctx)) {
            throw new ApiException(401, "unauthorized", "this caller may not write customer records");
        }
        String id = ctx.pathParam("id");
        if (id == null || !CUSTOMER_ID.matcher(id).matches()) {
            throw new ApiException(400, "invalid_customer_id", "the customer id must be 1 to 64 letters, digits or . _ @ : -");
        }
        Map<String, String> record = record(ctx);
        HttpApi.blocking(vertx, ctx, () -> {
            try {
                return churn.update(id, record);
            } catch (SchemaMismatchException e) {
                throw new ApiException(400, "invalid_record", e.getMessage());
            }
        }).onSuccess(score -> HttpApi.send(ctx, 200, new JsonObject().put("customerId", id).put("risk", score)));
    }

    private static Map<String, String> record(RoutingContext ctx) {
        Object body;
        try {
            body = ctx.body().isEmpty() ? null : ctx.body().buffer().toJsonValue();
        } catch (DecodeException e) {
            throw new ApiException(400, "malformed_json", "the body is not valid JSON");
        }
        if (!(body instanceof JsonObject object)) {
            throw new ApiException(400, "malformed_json", "the body must be a JSON object of column to value");
        }
        Map<String, String> record = new LinkedHashMap<>();
        for (Map.Entry<String, Object> cell : object) {
            Object v = cell.getValue();
            if (v == null) {
                record.put(cell.getKey(), "");
            } else if (v instanceof String || v instanceof Number) {
                record.put(cell.getKey(), v.toString());
            } else {
                throw new ApiException(400, "invalid_record", "Column '" + cell.getKey()
                        + "' must be a string, a number or null");
            }
        }
        return record;
    }
}
