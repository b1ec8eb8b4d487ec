package dev.keel.server;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * Sign-in for agents and admins, and the guards that every console route sits behind.
 *
 * <p>A person signs in with name and password and gets a session cookie ({@code HttpOnly},
 * {@code SameSite=Strict}, {@code Secure} unless turned off for plain-HTTP development) and a CSRF
 * token; every unsafe request (POST, PUT, PATCH, DELETE) of a session must send that token in
 * {@code X-CSRF-Token}, which a cross-site form cannot do. Machines may instead use the service
 * token of {@code KEEL_AGENT_TOKEN} as a bearer token, with the agent role.
 *
 * <p>The guards are installed by path prefix, so routes added later are covered without a line of
 * their own: everything under {@code /api/v1/agent/} needs an agent or admin, everything under
 * {@code /api/v1/admin/} an admin. Other routes use {@link #requireRole} directly.
 */
final class ConsoleAuth {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleAuth.class);
    static final String SESSION_COOKIE = "keel_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final String PRINCIPAL = "keel.principal";
    /** The account name of requests made with the machine-to-machine service token. */
    static final String SERVICE_ACCOUNT = "service";
    private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);
    private static final int AUDIT_PAGE = 100;

    /** Runs blocking work (Redis, bcrypt) off the event loop, failing the request when it fails. */
    interface Worker {
        <T> Future<T> run(RoutingContext ctx, Callable<T> work);
    }

    /** Who a guarded request acts as, and whether by a session (which must then prove it with its CSRF token). */
    private record Principal(Accounts.Account account, Sessions.Session session) {
    }

    private final Accounts accounts;
    private final Sessions sessions;
    private final LoginThrottle throttle;
    private final AuditLog audit;
    private final Worker worker;
    private final boolean secureCookies;
    /** SHA-256 of the service token, or null when there is none. */
    private final byte[] serviceTokenHash;

    ConsoleAuth(Store store, SecuritySettings settings, String serviceToken, Worker worker) {
        this.accounts = new Accounts(store);
        this.sessions = new Sessions(store, settings.sessionTtl());
        this.throttle = new LoginThrottle(store);
        this.audit = new AuditLog(store);
        this.worker = worker;
        this.secureCookies = settings.secureCookies();
        this.serviceTokenHash = serviceToken == null || serviceToken.isBlank() ? null : hash(serviceToken.strip());
    }

    Accounts accounts() {
        return accounts;
    }

    AuditLog audit() {
        return audit;
    }

    /** Installs the prefix guards and the sign-in and account routes; call after the body handler. */
    void mount(Router router) {
        router.route("/api/v1/agent/*").handler(requireRole(Role.AGENT));
        router.route("/api/v1/admin/*").handler(requireRole(Role.ADMIN));
        router.post("/api/v1/auth/login").handler(this::login);
        router.post("/api/v1/auth/logout").handler(requireRole(Role.AGENT)).handler(this::logout);
        router.get("/api/v1/auth/me").handler(requireRole(Role.AGENT)).handler(this::me);
        router.get("/api/v1/admin/users").handler(ctx -> worker.run(ctx, accounts::list)
                .onSuccess(list -> HttpApi.send(ctx, 200, new JsonObject().put("users", new JsonArray(list)))));
        router.post("/api/v1/admin/users").handler(this::createUser);
        router.delete("/api/v1/admin/users/:name").handler(this::disableUser);
        router.get("/api/v1/admin/audit").handler(ctx -> worker.run(ctx, () -> audit.recent(AUDIT_PAGE))
                .onSuccess(list -> HttpApi.send(ctx, 200, new JsonObject().put("entries", new JsonArray(list)))));
    }

    /**
     * A route guard: 401 without a session or service token, 403 with too small a role, and 403
     * for an unsafe request of a session without its CSRF token.
     */
    Handler<RoutingContext> requireRole(Role needed) {
        return ctx -> {
            if (ctx.get(PRINCIPAL) != null) {
                check(ctx, ctx.get(PRINCIPAL), needed);
                ctx.next();
                return;
            }
            worker.run(ctx, () -> {
                Principal principal = authenticate(ctx)
                        .orElseThrow(() -> new ApiException(401, "not_signed_in", "sign in first"));
                check(ctx, principal, needed);
                return principal;
            }).onSuccess(principal -> {
                ctx.put(PRINCIPAL, principal);
                ctx.next();
            });
        };
    }

    /** Whether the caller is a system (the service token, as a CRM uses) or an admin: who may replace customer records. */
    static boolean mayUpdateCustomers(RoutingContext ctx) {
        Accounts.Account account = principal(ctx);
        return account.name().equals(SERVICE_ACCOUNT) || account.role().grants(Role.ADMIN);
    }

    /** The account a guarded request acts as; only valid behind {@link #requireRole}. */
    static Accounts.Account principal(RoutingContext ctx) {
        Principal principal = ctx.get(PRINCIPAL);
        if (principal == null) {
            throw new IllegalStateException("route is not behind a role guard");
        }
        return principal.account();
    }

    /** Creates the first admin from {@code KEEL_ADMIN_PASSWORD} (and {@code KEEL_ADMIN_NAME}) when there is no admin yet. */
    void ensureFirstAdmin(Map<String, String> env) {
        String password = env.get("KEEL_ADMIN_PASSWORD");
        if (password == null || password.isEmpty() || accounts.anyAdmin()) {
            return;
        }
        String name = env.getOrDefault("KEEL_ADMIN_NAME", "admin");
        try {
            accounts.create(name, password, Role.ADMIN, "system");
        } catch (ApiException e) {
            throw new IllegalArgumentException("the first admin cannot be created: " + e.getMessage());
        }
        audit.record("system", "account.create", name, new JsonObject().put("role", Role.ADMIN.label()).put("from", "KEEL_ADMIN_PASSWORD"));
        LOG.info("first admin account '{}' created", name);
    }

    private Optional<Principal> authenticate(RoutingContext ctx) {
        String bearer = HttpApi.bearer(ctx);
        if (bearer != null && serviceTokenHash != null && MessageDigest.isEqual(serviceTokenHash, hash(bearer))) {
            return Optional.of(new Principal(new Accounts.Account(SERVICE_ACCOUNT, Role.AGENT), null));
        }
        Cookie cookie = ctx.request().getCookie(SESSION_COOKIE);
        if (cookie == null) {
            return Optional.empty();
        }
        return sessions.find(cookie.getValue())
                .filter(s -> accounts.active(s.account().name()))
                .map(s -> new Principal(s.account(), s));
    }

    private static void check(RoutingContext ctx, Principal principal, Role needed) {
        if (!principal.account().role().grants(needed)) {
            throw new ApiException(403, "forbidden", "this needs the " + needed.label() + " role");
        }
        if (principal.session() != null && !SAFE.contains(ctx.request().method())) {
            String sent = ctx.request().getHeader(CSRF_HEADER);
            if (sent == null || !MessageDigest.isEqual(hash(sent), hash(principal.session().csrfToken()))) {
                throw new ApiException(403, "csrf_token_invalid", "this request needs the session's " + CSRF_HEADER + " header");
            }
        }
    }

    private void login(RoutingContext ctx) {
        requireJsonContentType(ctx);
        JsonObject body = HttpApi.requiredJson(ctx);
        String name = HttpApi.string(body, "name");
        String password = HttpApi.string(body, "password");
        String address = EdgePolicy.clientAddress(ctx);
        worker.run(ctx, () -> {
            throttle.check(name, address);
            Optional<Accounts.Account> account = accounts.check(name, password);
            if (account.isEmpty()) {
                throttle.failed(name, address);
                throw new ApiException(401, "invalid_credentials", "wrong name or password");
            }
            throttle.succeeded(name);
            return sessions.open(account.get());
        }).onSuccess(session -> {
            ctx.response().addCookie(sessionCookie(session.id(), sessions.ttl().toSeconds()));
            HttpApi.send(ctx, 200, describe(session.account(), session.csrfToken()));
        });
    }

    private void logout(RoutingContext ctx) {
        Principal principal = ctx.get(PRINCIPAL);
        worker.run(ctx, () -> {
            if (principal.session() != null) {
                sessions.close(principal.session().id());
            }
            return true;
        }).onSuccess(done -> {
            ctx.response().addCookie(sessionCookie("", 0));
            HttpApi.send(ctx, 200, new JsonObject().put("signedOut", true));
        });
    }

    private void me(RoutingContext ctx) {
        Principal principal = ctx.get(PRINCIPAL);
        HttpApi.send(ctx, 200, describe(principal.account(),
                principal.session() == null ? null : principal.session().csrfToken()));
    }

    private void createUser(RoutingContext ctx) {
        JsonObject body = HttpApi.requiredJson(ctx);
        String name = HttpApi.string(body, "name");
        String password = HttpApi.string(body, "password");
        Role role = Role.parse(HttpApi.string(body, "role"));
        String actor = principal(ctx).name();
        worker.run(ctx, () -> {
            Accounts.Account created = accounts.create(name, password, role, actor);
            audit.record(actor, "account.create", name, new JsonObject().put("role", role.label()));
            return created;
        }).onSuccess(created -> HttpApi.send(ctx, 201, new JsonObject().put("name", created.name()).put("role", created.role().label())));
    }

    private void disableUser(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        String actor = principal(ctx).name();
        worker.run(ctx, () -> {
            accounts.disable(name);
            audit.record(actor, "account.disable", name, null);
            return name;
        }).onSuccess(done -> HttpApi.send(ctx, 200, new JsonObject().put("name", name).put("disabled", true)));
    }

    /**
     * Sign-in takes JSON only: a cross-site HTML form can send only form or plain-text bodies, and a
     * cross-site script cannot send JSON without a CORS preflight, which these routes never grant.
     */
    private static void requireJsonContentType(RoutingContext ctx) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "json_required", "send the body as application/json");
        }
    }

    private Cookie sessionCookie(String value, long maxAgeSeconds) {
        return Cookie.cookie(SESSION_COOKIE, value).setPath("/").setHttpOnly(true).setSecure(secureCookies)
                .setSameSite(CookieSameSite.STRICT).setMaxAge(maxAgeSeconds);
    }

    private static JsonObject describe(Accounts.Account account, String csrfToken) {
        JsonObject out = new JsonObject().put("name", account.name()).put("role", account.role().label());
        return csrfToken == null ? out : out.put("csrfToken", csrfToken);
    }

    private static byte[] hash(String value) {
        return Sessions.sha256(value).getBytes(StandardCharsets.US_ASCII);
    }
}
