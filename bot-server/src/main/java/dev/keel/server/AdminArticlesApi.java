package dev.keel.server;

import dev.keel.kb.Article;
import dev.keel.kb.ArticleNotFoundException;
import dev.keel.kb.ArticleService;
import dev.keel.kb.ArticleStore;
import dev.keel.kb.InvalidArticleException;
import dev.keel.kb.VersionConflictException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The article editing API under {@code /api/v1/admin/articles}: list, read, create, update, delete,
 * publish, revisions and revert. Every change goes through {@link ArticleService}, so the index
 * follows the store and a published edit is searchable when the response arrives.
 *
 * <p>Concurrent edits are caught with versions: responses carry {@code ETag: "N"} and the article's
 * {@code version}; a change must send the version it was based on ({@code If-Match} or a
 * {@code version} field) and gets 409 if someone else saved first.
 *
 * <p>Who may call these routes is decided by the {@code access} handler given at construction,
 * which runs before every admin route (the place for admin accounts and roles).
 */
final class AdminArticlesApi {
    static final String BASE = "/api/v1/admin/articles";
    /** Articles can be long; the chat API's 64 KiB limit does not apply here. */
    static final long MAX_BODY_BYTES = 1024 * 1024;
    private static final int MAX_PAGE_SIZE = 100;

    private final Vertx vertx;
    private final ArticleService articles;
    private final Handler<RoutingContext> access;

    AdminArticlesApi(Vertx vertx, ArticleService articles, Handler<RoutingContext> access) {
        this.vertx = vertx;
        this.articles = articles;
        this.access = access;
    }

    /** Adds the admin routes; call before the catch-all API routes. */
    void register(Router router) {
        // the body first: the access check may wait on Redis, and a body must be read as it arrives
        router.route(BASE + "*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.route(BASE + "*").handler(access);
        router.get(BASE).handler(this::list);
        router.post(BASE).handler(this::create);
        router.get(BASE + "/:id").handler(this::get);
        router.put(BASE + "/:id").handler(this::update);
        router.delete(BASE + "/:id").handler(this::delete);
        router.post(BASE + "/:id/publish").handler(this::publish);
        router.get(BASE + "/:id/revisions").handler(this::revisions);
        router.get(BASE + "/:id/revisions/:version").handler(this::revision);
        router.post(BASE + "/:id/revert").handler(this::revert);
    }

    private void list(RoutingContext ctx) {
        String text = ctx.request().getParam("text");
        String tag = ctx.request().getParam("tag");
        Article.Status status = status(ctx.request().getParam("status"));
        int page = intParam(ctx, "page", 1, 1, Integer.MAX_VALUE);
        int size = intParam(ctx, "size", 20, 1, MAX_PAGE_SIZE);
        blocking(ctx, () -> {
            List<ArticleStore.Stored> matching = new ArrayList<>();
            for (ArticleStore.Stored s : articles.list()) {
                if (matches(s.article(), text, tag, status)) {
                    matching.add(s);
                }
            }
            JsonArray items = new JsonArray();
            matching.stream().skip((long) (page - 1) * size).limit(size).forEach(s -> items.add(summary(s)));
            return new JsonObject().put("articles", items).put("page", page).put("size", size).put("total", matching.size());
        }).onSuccess(body -> send(ctx, 200, body, null));
    }

    private void get(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        blocking(ctx, () -> articles.get(id).orElseThrow(() -> new ArticleNotFoundException(id)))
                .onSuccess(s -> send(ctx, 200, full(s), s));
    }

    private void create(RoutingContext ctx) {
        JsonObject body = HttpApi.requiredJson(ctx);
        Article article = article(body, string(body, "id", true));
        blocking(ctx, () -> articles.create(article)).onSuccess(s -> {
            ctx.response().putHeader(HttpHeaders.LOCATION, BASE + "/" + s.article().id());
            send(ctx, 201, full(s), s);
        });
    }

    private void update(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        JsonObject body = HttpApi.requiredJson(ctx);
        String bodyId = string(body, "id", false);
        if (bodyId != null && !bodyId.equals(id)) {
            throw new ApiException(400, "invalid_id", "id in the body must match the id in the path (ids cannot be changed)");
        }
        int version = expectedVersion(ctx, body);
        Article article = article(body, id);
        blocking(ctx, () -> articles.update(article, version)).onSuccess(s -> send(ctx, 200, full(s), s));
    }

    private void delete(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        int version = expectedVersion(ctx, new JsonObject());
        blocking(ctx, () -> {
            articles.delete(id, version);
            return id;
        }).onSuccess(deleted -> ctx.response().setStatusCode(204).end());
    }

    private void publish(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        int version = expectedVersion(ctx, HttpApi.optionalJson(ctx));
        blocking(ctx, () -> articles.publish(id, version)).onSuccess(s -> send(ctx, 200, full(s), s));
    }

    private void revisions(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        blocking(ctx, () -> {
            JsonArray list = new JsonArray();
            for (ArticleStore.Revision r : articles.store().revisions(id)) {
                list.add(new JsonObject().put("version", r.version()).put("saved", r.saved().toString())
                        .put("title", r.title()).put("status", r.status().label()));
            }
            if (list.isEmpty() && articles.get(id).isEmpty()) {
                throw new ArticleNotFoundException(id);
            }
            return new JsonObject().put("id", id).put("revisions", list);
        }).onSuccess(body -> send(ctx, 200, body, null));
    }

    private void revision(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        int version = parseVersion(ctx.pathParam("version"), "version");
        blocking(ctx, () -> articles.store().revision(id, version)
                .orElseThrow(() -> new ArticleNotFoundException(id + "' version '" + version)))
                .onSuccess(a -> send(ctx, 200, fields(a).put("version", version), null));
    }

    private void revert(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        JsonObject body = HttpApi.requiredJson(ctx);
        Object to = body.getValue("toVersion");
        if (!(to instanceof Integer toVersion) || toVersion < 1) {
            throw new ApiException(400, "invalid_to_version", "toVersion must be the positive version number to restore");
        }
        int version = expectedVersion(ctx, body);
        blocking(ctx, () -> articles.revert(id, toVersion, version)).onSuccess(s -> send(ctx, 200, full(s), s));
    }

    private static boolean matches(Article a, String text, String tag, Article.Status status) {
        if (status != null && a.status() != status) {
            return false;
        }
        if (tag != null && !tag.isBlank() && a.tags().stream().noneMatch(t -> t.equalsIgnoreCase(tag.strip()))) {
            return false;
        }
        if (text == null || text.isBlank()) {
            return true;
        }
        String needle = text.strip().toLowerCase(Locale.ROOT);
        return (a.id() + "\n" + a.title() + "\n" + a.body()).toLowerCase(Locale.ROOT).contains(needle);
    }

    /** Builds the article from a request body; any field of the wrong type is named in a 400. */
    private static Article article(JsonObject body, String id) {
        String title = string(body, "title", true);
        String locale = string(body, "locale", false);
        String url = string(body, "url", false);
        String text = string(body, "body", false);
        Article.Status status = status(string(body, "status", false));
        List<String> tags = new ArrayList<>();
        Object rawTags = body.getValue("tags");
        if (rawTags != null) {
            if (!(rawTags instanceof JsonArray array) || array.stream().anyMatch(t -> !(t instanceof String))) {
                throw new ApiException(400, "invalid_tags", "tags must be a list of strings");
            }
            array.forEach(t -> tags.add(((String) t).strip()));
        }
        Article article = new Article(id, title, locale, tags, url == null || url.isBlank() ? null : url,
                status == null ? Article.Status.DRAFT : status, text);
        try {
            return dev.keel.kb.ArticleRules.check(article);
        } catch (InvalidArticleException e) {
            throw invalid(e);
        }
    }

    private static Article.Status status(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Article.Status.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid_status", "status must be draft or published");
        }
    }

    private static String string(JsonObject body, String field, boolean required) {
        Object value = body.getValue(field);
        if (value == null && required) {
            throw new ApiException(400, "invalid_" + field, field + " is required");
        }
        if (value != null && !(value instanceof String)) {
            throw new ApiException(400, "invalid_" + field, field + " must be a string");
        }
        return (String) value;
    }

    /** The version a change is based on: the If-Match header, else a {@code version} field of the body. */
    private static int expectedVersion(RoutingContext ctx, JsonObject body) {
        String ifMatch = ctx.request().getHeader(HttpHeaders.IF_MATCH);
        if (ifMatch != null) {
            return parseVersion(ifMatch.replaceFirst("^W/", "").replace("\"", "").strip(), "If-Match");
        }
        String query = ctx.request().getParam("version");
        Object value = query != null ? query : body.getValue("version");
        if (value instanceof Integer v && v > 0) {
            return v;
        }
        if (value instanceof String s) {
            return parseVersion(s, "version");
        }
        throw new ApiException(400, "invalid_version",
                "version is required: send the version you edited as If-Match: \"N\" or as the field version");
    }

    private static int parseVersion(String value, String field) {
        try {
            int v = Integer.parseInt(value.strip());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new ApiException(400, "invalid_" + field.toLowerCase(Locale.ROOT).replace('-', '_'),
                field + " must be a positive version number");
    }

    private static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
        String value = ctx.request().getParam(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new ApiException(400, "invalid_" + name, name + " must be a number from " + min + " to " + max);
    }

    private static JsonObject fields(Article a) {
        return new JsonObject().put("id", a.id()).put("title", a.title()).put("locale", a.locale())
                .put("tags", new JsonArray(a.tags())).put("url", a.url()).put("status", a.status().label())
                .put("body", a.body());
    }

    private static JsonObject full(ArticleStore.Stored s) {
        return fields(s.article()).put("version", s.version()).put("saved", s.saved().toString());
    }

    private static JsonObject summary(ArticleStore.Stored s) {
        Article a = s.article();
        return new JsonObject().put("id", a.id()).put("title", a.title()).put("locale", a.locale())
                .put("tags", new JsonArray(a.tags())).put("status", a.status().label())
                .put("version", s.version()).put("saved", s.saved().toString());
    }

    /** Runs store and index work on a worker thread and turns the store's refusals into API errors. */
    private <T> Future<T> blocking(RoutingContext ctx, Callable<T> work) {
        return HttpApi.blocking(vertx, ctx, () -> {
            try {
                return work.call();
            } catch (VersionConflictException e) {
                throw new ApiException(409, "version_conflict", e.getMessage());
            } catch (ArticleNotFoundException e) {
                throw new ApiException(404, "article_not_found", e.getMessage());
            } catch (InvalidArticleException e) {
                throw invalid(e);
            }
        });
    }

    private static ApiException invalid(InvalidArticleException e) {
        return new ApiException(400, "invalid_" + e.field(), e.getMessage());
    }

    private static void send(RoutingContext ctx, int status, JsonObject body, ArticleStore.Stored version) {
        if (version != null) {
            ctx.response().putHeader(HttpHeaders.ETAG, "\"" + version.version() + "\"");
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }
}
