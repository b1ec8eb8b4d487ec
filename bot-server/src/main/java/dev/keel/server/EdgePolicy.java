package dev.keel.server;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The rules at Keel's HTTP edge, before any route runs: security headers on every response, CORS
 * grants for the widget routes only, and request rates per client address, per conversation and in
 * total. Agent, admin and sign-in routes never grant CORS, so only pages served by Keel itself can
 * call them from a browser.
 */
final class EdgePolicy {
    /** The routes a customer's site calls from its pages through the widget. */
    static final String WIDGET_ROUTES = "/api/v1/conversations*";
    /** Same-origin scripts and styles only, nothing may frame Keel's pages, no plug-ins, no base tricks. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    private static final String CLIENT_ADDRESS = "keel.clientAddress";

    private final List<String> allowedOrigins;
    private final Set<String> trustedProxies;
    private final RateLimiter perIp;
    private final RateLimiter perConversation;
    private final RateLimiter global;

    EdgePolicy(SecuritySettings settings) {
        this.allowedOrigins = settings.allowedOrigins().stream().map(EdgePolicy::checkOrigin).toList();
        this.trustedProxies = Set.copyOf(settings.trustedProxies());
        this.perIp = new RateLimiter(settings.perIpPerMinute(), Duration.ofMinutes(1));
        this.perConversation = new RateLimiter(settings.perConversationPerMinute(), Duration.ofMinutes(1));
        this.global = new RateLimiter(settings.globalPerSecond(), Duration.ofSeconds(1));
    }

    /** Installs the edge rules; call before any API route is added. */
    void mount(Router router) {
        router.route().handler(EdgePolicy::securityHeaders);
        router.route(WIDGET_ROUTES).handler(cors());
        router.route("/api/*").handler(this::limitRequests);
        router.post("/api/v1/conversations/:id/messages").handler(this::limitConversation);
    }

    /**
     * An exact site origin: {@code http} or {@code https}, a host, an optional port, nothing else.
     * {@code *} and {@code null} are refused: a wildcard would grant every site, and {@code null} is
     * what sandboxed frames and local files send, so granting it grants anyone.
     */
    static String checkOrigin(String origin) {
        String o = origin.strip();
        URI uri;
        try {
            uri = URI.create(o);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("allowed origin '" + origin + "' is not a URL");
        }
        boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
        if (!web || uri.getHost() == null || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("allowed origin '" + origin
                    + "' must be an exact origin such as https://shop.example.com (scheme, host, optional port)");
        }
        return o.toLowerCase(Locale.ROOT);
    }

    private static void securityHeaders(RoutingContext ctx) {
        MultiMap headers = ctx.response().headers();
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.set("X-Frame-Options", "DENY");
        headers.set("Cross-Origin-Opener-Policy", "same-origin");
        ctx.next();
    }

    /**
     * CORS for the widget routes: a listed origin is granted exactly (never {@code *}, never with
     * credentials; the widget sends its token in a header), any other cross-site origin is refused,
     * and a page of Keel's own needs no grant. Every answer varies by {@code Origin}, preflight or
     * not, so that no cache hands one site's grant to another.
     */
    private Handler<RoutingContext> cors() {
        Handler<RoutingContext> grant = allowedOrigins.isEmpty() ? null : CorsHandler.create()
                .addOrigins(allowedOrigins)
                .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST))
                .allowedHeaders(Set.of("Content-Type", "Authorization", "X-Request-Id"))
                .exposedHeaders(Set.of("X-Request-Id", "Retry-After"))
                .allowCredentials(false)
                .maxAgeSeconds(600);
        return ctx -> {
            ctx.addHeadersEndHandler(v -> varyByOrigin(ctx.response()));
            String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
            if (origin == null || sameOrigin(ctx, origin)) {
                ctx.next();
            } else if (grant != null) {
                grant.handle(ctx);
            } else if (ctx.request().method() == HttpMethod.OPTIONS) {
                throw new ApiException(403, "origin_not_allowed", "this origin may not call Keel's widget routes");
            } else {
                ctx.next();
            }
        };
    }

    private static boolean sameOrigin(RoutingContext ctx, String origin) {
        String host = ctx.request().getHeader(HttpHeaders.HOST);
        return host != null && (origin.equalsIgnoreCase("http://" + host) || origin.equalsIgnoreCase("https://" + host));
    }

    private static void varyByOrigin(HttpServerResponse response) {
        String vary = response.headers().get(HttpHeaders.VARY);
        if (vary == null || vary.isBlank()) {
            response.putHeader(HttpHeaders.VARY, "Origin");
        } else if (!vary.toLowerCase(Locale.ROOT).contains("origin")) {
            response.putHeader(HttpHeaders.VARY, vary + ", Origin");
        }
    }

    private void limitRequests(RoutingContext ctx) {
        String peer = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
        String client = clientAddress(peer, ctx.request().headers().getAll("X-Forwarded-For"), trustedProxies);
        ctx.put(CLIENT_ADDRESS, client);
        refuseIfSpent(global.tryAcquire("all"), "rate_limited", "Keel is taking too many requests right now");
        refuseIfSpent(perIp.tryAcquire(client), "rate_limited", "too many requests from this address");
        ctx.next();
    }

    private void limitConversation(RoutingContext ctx) {
        refuseIfSpent(perConversation.tryAcquire(ctx.pathParam("id")), "conversation_rate_limited",
                "too many messages in this conversation; wait a moment");
        ctx.next();
    }

    private static void refuseIfSpent(OptionalLong retryAfter, String code, String message) {
        if (retryAfter.isPresent()) {
            throw new TooManyRequests(code, message, retryAfter.getAsLong());
        }
    }

    /** The client address of an API request, as the edge worked it out. */
    static String clientAddress(RoutingContext ctx) {
        String client = ctx.get(CLIENT_ADDRESS);
        return client == null ? "unknown" : client;
    }

    /**
     * Who sent a request: the connection's peer, unless that is a trusted proxy; then the nearest
     * address in {@code X-Forwarded-For} that is not itself a trusted proxy. Entries further left
     * are written by the client and could say anything, so they are never taken past an untrusted hop.
     */
    static String clientAddress(String peer, List<String> forwardedFor, Set<String> trustedProxies) {
        String client = peer;
        List<String> hops = new java.util.ArrayList<>();
        forwardedFor.forEach(header -> hops.addAll(List.of(header.split(","))));
        for (int i = hops.size() - 1; i >= 0 && trustedProxies.contains(client); i--) {
            String hop = hops.get(i).strip();
            if (hop.isEmpty()) {
                break;
            }
            client = hop;
        }
        return client;
    }
}
