package dev.keel.server;

import dev.keel.kb.Article;
import dev.keel.kb.ArticleNotFoundException;
import dev.keel.kb.ArticleParser;
import dev.keel.kb.ArticleRules;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
    private static final Logger LOG = LoggerFactory.getLogger(AdminArticlesApi.class);
    static final String BASE = "/api/v1/admin/articles";
    /** Articles can be long; the chat API's 64 KiB limit does not apply here. */
    static final long MAX_BODY_BYTES = 1024 * 1024;
    private static final int MAX_PAGE_SIZE = 100;
    private static final int MAX_IMPORT_FILES = 200;
    private static final int MAX_FILE_NAME = 255;

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
        router.post(BASE + "/preview").handler(this::preview);
        router.post(BASE + "/import").handler(this::importFiles);
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

    /** The sanitized HTML of a Markdown body, as the console previews it; nothing is stored. */
    private void preview(RoutingContext ctx) {
        String markdown = string(HttpApi.requiredJson(ctx), "body", true);
        if (markdown.length() > MAX_BODY_BYTES) {
            throw new ApiException(400, "invalid_body", "body is too long to preview");
        }
        blocking(ctx, () -> new JsonObject().put("html", MarkdownPreview.render(markdown)))
                .onSuccess(body -> send(ctx, 200, body, null));
    }

    /** An article read from an imported file, with the file's name for error messages. */
    private record ImportedFile(String name, Article article) {
    }

    /**
     * Imports Markdown files with front matter, {@code {"files": [{"name", "content"}, ...]}}: all of
     * them or none. Every file is checked before anything is written; a file whose id exists becomes
     * that article's next version. A write that fails part-way undoes the ones before it.
     */
    private void importFiles(RoutingContext ctx) {
        JsonObject body = HttpApi.requiredJson(ctx);
        if (!(body.getValue("files") instanceof JsonArray files) || files.isEmpty() || files.size() > MAX_IMPORT_FILES) {
            throw new ApiException(400, "invalid_files", "files must be a list of 1 to " + MAX_IMPORT_FILES
                    + " objects {\"name\", \"content\"}");
        }
        List<ImportedFile> parsed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Map<String, String> fileOfId = new HashMap<>();
        for (int i = 0; i < files.size(); i++) {
            if (!(files.getValue(i) instanceof JsonObject file) || !(file.getValue("name") instanceof String name)
                    || name.isBlank() || name.length() > MAX_FILE_NAME || !(file.getValue("content") instanceof String content)) {
                errors.add("files[" + i + "]: needs a name (1 to " + MAX_FILE_NAME + " characters) and a content, both strings");
                continue;
            }
            try {
                Article article = ArticleRules.check(ArticleParser.parse(name, content));
                String other = fileOfId.putIfAbsent(article.id(), name);
                if (other != null) {
                    errors.add(name + ": field 'id': '" + article.id() + "' is also the id in " + other);
                } else {
                    parsed.add(new ImportedFile(name, article));
                }
            } catch (InvalidArticleException e) {
                errors.add(name + ": field '" + e.field() + "': " + e.getMessage().substring(e.field().length() + 2));
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw new ApiException(400, "invalid_import", "nothing was imported; " + errors.size()
                    + (errors.size() == 1 ? " file is" : " files are") + " invalid: " + String.join("; ", errors));
        }
        blocking(ctx, () -> {
            JsonArray imported = new JsonArray();
            List<Runnable> undo = new ArrayList<>();
            try {
                for (ImportedFile file : parsed) {
                    Optional<ArticleStore.Stored> existing = articles.get(file.article().id());
                    ArticleStore.Stored saved = existing.isPresent()
                            ? articles.update(file.article(), existing.get().version())
                            : articles.create(file.article());
                    undo.add(0, () -> undoImport(saved, existing));
                    imported.add(new JsonObject().put("file", file.name()).put("id", saved.article().id())
                            .put("version", saved.version()).put("created", existing.isEmpty())
                            .put("status", saved.article().status().label()));
                }
            } catch (RuntimeException | IOException e) {
                undo.forEach(Runnable::run);
                throw e;
            }
            return new JsonObject().put("imported", imported);
        }).onSuccess(result -> send(ctx, 200, result, null));
    }

    /** Takes back one imported article: deletes it if the import created it, else restores the version before. */
    private void undoImport(ArticleStore.Stored saved, Optional<ArticleStore.Stored> before) {
        try {
            if (before.isEmpty()) {
                articles.delete(saved.article().id(), saved.version());
            } else {
                articles.revert(saved.article().id(), before.get().version(), saved.version());
            }
        } catch (RuntimeException | IOException e) {
            LOG.warn("import of {} could not be undone: {}", saved.article().id(), e.toString());
        }
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
