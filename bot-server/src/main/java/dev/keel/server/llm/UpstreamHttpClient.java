package dev.keel.server.llm;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;

/**
 * The HTTP transport under LangChain4j's models for one upstream attempt. Keel brings its own
 * rather than LangChain4j's default so that an attempt can be cancelled at any moment (also before
 * the response headers arrive, when the customer goes away or a timeout fires) and so that error
 * responses keep their headers, which carry {@code Retry-After}.
 */
final class UpstreamHttpClient implements HttpClient {
    /** Error bodies are read for classification only; a larger one is cut. */
    private static final int MAX_ERROR_BODY_BYTES = 16 * 1024;

    private final java.net.http.HttpClient http;
    private final Duration headersTimeout;
    private final Executor readers;
    private volatile boolean cancelled;
    private volatile CompletableFuture<?> exchange;
    private volatile InputStream body;

    UpstreamHttpClient(java.net.http.HttpClient http, Duration headersTimeout, Executor readers) {
        this.http = http;
        this.headersTimeout = headersTimeout;
        this.readers = readers;
    }

    /** An HTTP error response with its headers. */
    static final class ErrorResponse extends HttpException {
        private final transient HttpHeaders headers;

        ErrorResponse(int status, String body, HttpHeaders headers) {
            super(status, body);
            this.headers = headers;
        }

        HttpHeaders headers() {
            return headers;
        }
    }

    /** Aborts the exchange: before the headers, while the body streams, or not at all if it is over. */
    void cancel() {
        cancelled = true;
        CompletableFuture<?> current = exchange;
        if (current != null) {
            current.cancel(true);
        }
        closeQuietly(body);
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        CompletableFuture<HttpResponse<String>> sent = http.sendAsync(toJdk(request),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        track(sent);
        try {
            HttpResponse<String> response = sent.get();
            if (response.statusCode() / 100 != 2) {
                throw new ErrorResponse(response.statusCode(), response.body(), response.headers());
            }
            return SuccessfulHttpResponse.builder().statusCode(response.statusCode())
                    .headers(response.headers().map()).body(response.body()).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw new CancellationException("interrupted");
        } catch (ExecutionException e) {
            throw unchecked(e.getCause());
        }
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        CompletableFuture<HttpResponse<InputStream>> sent = http.sendAsync(toJdk(request),
                HttpResponse.BodyHandlers.ofInputStream());
        track(sent);
        sent.whenCompleteAsync((response, failure) -> {
            if (failure != null) {
                listener.onError(unwrap(failure));
                return;
            }
            try (InputStream in = response.body()) {
                body = in;
                if (cancelled) {
                    listener.onError(new CancellationException("cancelled"));
                } else if (response.statusCode() / 100 != 2) {
                    listener.onError(new ErrorResponse(response.statusCode(), readError(in), response.headers()));
                } else {
                    listener.onOpen(SuccessfulHttpResponse.builder().statusCode(response.statusCode())
                            .headers(response.headers().map()).build());
                    parser.parse(in, listener);
                    listener.onClose();
                }
            } catch (IOException | RuntimeException e) {
                listener.onError(e);
            }
        }, readers);
    }

    private void track(CompletableFuture<?> sent) {
        exchange = sent;
        if (cancelled) {
            sent.cancel(true);
        }
    }

    private java.net.http.HttpRequest toJdk(HttpRequest request) {
        java.net.http.HttpRequest.Builder builder = java.net.http.HttpRequest.newBuilder(URI.create(request.url()))
                .timeout(headersTimeout);
        for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
            if (header.getValue() != null) {
                header.getValue().forEach(value -> builder.header(header.getKey(), value));
            }
        }
        builder.method(request.method().name(), request.body() == null
                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofString(request.body(), StandardCharsets.UTF_8));
        return builder.build();
    }

    private static String readError(InputStream in) throws IOException {
        return new String(in.readNBytes(MAX_ERROR_BODY_BYTES), StandardCharsets.UTF_8);
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static RuntimeException unchecked(Throwable failure) {
        return failure instanceof RuntimeException runtime ? runtime : new CompletionException(failure);
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // the exchange is being abandoned anyway
            }
        }
    }

    /**
     * Hands LangChain4j this attempt's client. The models ask the builder for timeouts of their
     * own; Keel keeps its timeouts in {@link LlmClient} and the shared JDK client, so those are ignored.
     */
    static final class Builder implements HttpClientBuilder {
        private final UpstreamHttpClient client;
        private Duration connectTimeout;
        private Duration readTimeout;

        Builder(UpstreamHttpClient client) {
            this.client = client;
        }

        @Override
        public Duration connectTimeout() {
            return connectTimeout;
        }

        @Override
        public HttpClientBuilder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        @Override
        public Duration readTimeout() {
            return readTimeout;
        }

        @Override
        public HttpClientBuilder readTimeout(Duration timeout) {
            this.readTimeout = timeout;
            return this;
        }

        @Override
        public HttpClient build() {
            return client;
        }
    }
}
