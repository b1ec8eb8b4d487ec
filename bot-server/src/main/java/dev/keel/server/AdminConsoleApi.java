package dev.keel.server;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin console's own routes, beside the article API: "try the bot" (a rehearsal of one
 * turn that stores nothing), the escalation thresholds and playbooks in force, the prompt
 * templates, and the reports. They sit under {@code /api/v1/admin/}, whose guard lets only admins
 * in (and checks the CSRF token of every change).
 */
final class AdminConsoleApi {
    static final String BASE = "/api/v1/admin";
    private static final int DEFAULT_REPORT_DAYS = 7;

    private final Vertx vertx;
    private final ChatService chat;
    private final EscalationSettings settings;
    private final Templates templates;
    private final Reports reports;
    private final AuditLog audit;

    AdminConsoleApi(Vertx vertx, ChatService chat, EscalationSettings settings, Templates templates, Reports reports,
                    AuditLog audit) {
        this.vertx = vertx;
        this.chat = chat;
        this.settings = settings;
        this.templates = templates;
        this.reports = reports;
        this.audit = audit;
    }

    /** Adds the routes; call after the admin guard is mounted and before the catch-all API route. */
    void register(Router router) {
        router.post(BASE + "/try").handler(this::rehearse);
        router.get(BASE + "/settings/escalation").handler(ctx -> HttpApi.blocking(vertx, ctx, settings::view)
                .onSuccess(view -> HttpApi.send(ctx, 200, view)));
        router.put(BASE + "/settings/escalation").handler(this::changeSettings);
        router.delete(BASE + "/settings/escalation").handler(this::resetSettings);
        router.get(BASE + "/prompts").handler(ctx -> HttpApi.send(ctx, 200,
                new JsonObject().put("prompts", templates.describe())));
        router.get(BASE + "/reports").handler(this::report);
    }

    private void rehearse(RoutingContext ctx) {
        JsonObject body = HttpApi.requiredJson(ctx);
        String question = HttpApi.string(body, "question");
        String customerId = HttpApi.string(body, "customerId");
        if (question == null || question.isBlank()) {
            throw new ApiException(400, "missing_question", "question is required and must not be blank");
        }
        String customer = customerId == null || customerId.isBlank() ? null : customerId.strip();
        HttpApi.blocking(vertx, ctx, () -> chat.rehearse(question, customer))
                .onSuccess(result -> HttpApi.send(ctx, 200, result));
    }

    private void changeSettings(RoutingContext ctx) {
        JsonObject body = HttpApi.requiredJson(ctx);
        String actor = ConsoleAuth.principal(ctx).name();
        HttpApi.blocking(vertx, ctx, () -> {
            JsonObject before = settings.view();
            EscalationSettings.Live live = settings.update(body, actor);
            JsonObject after = settings.view();
            audit.record(actor, "settings.escalation.update", "escalation", new JsonObject()
                    .put("version", live.version()).put("before", before.getJsonObject("thresholds"))
                    .put("after", after.getJsonObject("thresholds"))
                    .put("playbooksChanged", !before.getJsonArray("playbooks").equals(after.getJsonArray("playbooks"))));
            return after;
        }).onSuccess(view -> HttpApi.send(ctx, 200, view));
    }

    private void resetSettings(RoutingContext ctx) {
        String actor = ConsoleAuth.principal(ctx).name();
        HttpApi.blocking(vertx, ctx, () -> {
            settings.reset();
            audit.record(actor, "settings.escalation.reset", "escalation", null);
            return settings.view();
        }).onSuccess(view -> HttpApi.send(ctx, 200, view));
    }

    private void report(RoutingContext ctx) {
        String raw = ctx.request().getParam("days");
        int days;
        try {
            days = raw == null || raw.isBlank() ? DEFAULT_REPORT_DAYS : Integer.parseInt(raw.strip());
        } catch (NumberFormatException e) {
            throw new ApiException(400, "invalid_days", "days must be a whole number from 1 to " + Reports.MAX_DAYS);
        }
        HttpApi.blocking(vertx, ctx, () -> reports.compute(days, System.currentTimeMillis()))
                .onSuccess(report -> HttpApi.send(ctx, 200, report));
    }
}
