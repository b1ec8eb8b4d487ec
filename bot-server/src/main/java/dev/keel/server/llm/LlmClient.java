package dev.keel.server.llm;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One generation with everything that can go wrong upstream handled in one place: the circuit
 * breaker, the first-token, idle and total timeouts, and the retry decision. A retry happens only
 * before any text has been passed on, only for a rate limit or a server error, after the wait the
 * server asked for, and within {@link LlmSettings#maxAttempts()} calls in all.
 */
final class LlmClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LlmClient.class);
    private static final Duration BASE_BACKOFF = Duration.ofMillis(200);

    private final LlmSettings settings;
    private final Upstream upstream;
    private final CircuitBreaker breaker;
    private final LlmMetrics metrics;
    private final ScheduledExecutorService timers;

    LlmClient(LlmSettings settings, Upstream upstream, CircuitBreaker breaker, LlmMetrics metrics) {
        this.settings = settings;
        this.upstream = upstream;
        this.breaker = breaker;
        this.metrics = metrics;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "keel-llm-timers");
            t.setDaemon(true);
            return t;
        });
    }

    /** A failed generation; {@link #error()} says why. */
    static final class Failure extends Exception {
        private final transient UpstreamError error;
        private final boolean textPassedOn;

        Failure(UpstreamError error, boolean textPassedOn) {
            super(error.kind() + ": " + error.detail(), null, false, false);
            this.error = error;
            this.textPassedOn = textPassedOn;
        }

        UpstreamError error() {
            return error;
        }

        boolean textPassedOn() {
            return textPassedOn;
        }
    }

    /**
     * Generates a reply, passing each piece of text on as it comes. Blocks until the reply is
     * complete; call it off the event loop.
     *
     * @param stream  whether to stream from the provider (otherwise the reply arrives in one piece)
     * @param onText  receives the text; may throw to stop the generation (the exception is rethrown)
     * @param gone    completes when the customer has gone away; the call is then cancelled
     */
    ChatResponse generate(List<ChatMessage> messages, boolean stream, Consumer<String> onText,
                          CompletableFuture<Void> gone) throws Failure {
        long deadline = System.nanoTime() + settings.totalTimeout().toNanos();
        for (int attempt = 1; ; attempt++) {
            if (!breaker.allow()) {
                metrics.error(UpstreamError.Kind.CIRCUIT_OPEN);
                throw new Failure(UpstreamError.of(UpstreamError.Kind.CIRCUIT_OPEN, "circuit breaker open"), false);
            }
            Attempt call = new Attempt(onText, deadline);
            try {
                ChatResponse response = call.run(messages, stream, gone);
                breaker.success();
                return response;
            } catch (RuntimeException stop) {
                // onText stopped a reply the model was writing fine
                breaker.success();
                throw stop;
            } catch (Failure failure) {
                UpstreamError error = failure.error();
                if (error.kind() == UpstreamError.Kind.CANCELLED) {
                    breaker.abandoned();
                    throw failure;
                }
                metrics.error(error.kind());
                breaker.failure(error.kind());
                Duration wait = error.retryAfter().orElse(BASE_BACKOFF.multipliedBy(attempt));
                boolean retry = error.kind().retryable() && !failure.textPassedOn() && attempt < settings.maxAttempts()
                        && System.nanoTime() + wait.toNanos() < deadline && !gone.isDone();
                LOG.info("model call {} failed: {}{}", attempt, failure.getMessage(), retry ? ", retrying in " + wait.toMillis() + " ms" : "");
                if (!retry) {
                    throw failure;
                }
                pause(wait, gone);
            }
        }
    }

    private static void pause(Duration wait, CompletableFuture<Void> gone) throws Failure {
        try {
            gone.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            throw new Failure(UpstreamError.of(UpstreamError.Kind.CANCELLED, "customer left"), false);
        } catch (TimeoutException e) {
            // waited the full time
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(UpstreamError.of(UpstreamError.Kind.CANCELLED, "interrupted"), false);
        } catch (ExecutionException e) {
            throw new Failure(UpstreamError.of(UpstreamError.Kind.CANCELLED, "customer left"), false);
        }
    }

    /** One upstream call and its watchdogs. The first terminal signal wins; later ones are ignored. */
    private final class Attempt implements StreamingChatResponseHandler {
        private final Consumer<String> onText;
        private final long deadline;
        private final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        private final long started = System.nanoTime();
        private volatile boolean textPassedOn;
        private volatile ScheduledFuture<?> idle;

        Attempt(Consumer<String> onText, long deadline) {
            this.onText = onText;
            this.deadline = deadline;
        }

        ChatResponse run(List<ChatMessage> messages, boolean stream, CompletableFuture<Void> gone) throws Failure {
            metrics.callStarted();
            Upstream.Exchange exchange = null;
            ScheduledFuture<?> firstToken = timers.schedule(() -> fail(UpstreamError.Kind.FIRST_TOKEN_TIMEOUT,
                    "no text within " + settings.firstTokenTimeout().toMillis() + " ms"),
                    settings.firstTokenTimeout().toMillis(), TimeUnit.MILLISECONDS);
            gone.whenComplete((v, e) -> fail(UpstreamError.Kind.CANCELLED, "customer left"));
            try {
                exchange = upstream.start(messages, stream, this);
                long left = Math.max(1, deadline - System.nanoTime());
                return done.get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new Failure(UpstreamError.of(UpstreamError.Kind.TOTAL_TIMEOUT, "reply not complete within "
                        + settings.totalTimeout().toMillis() + " ms"), textPassedOn);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Failure failure) {
                    throw failure;
                }
                if (cause instanceof RuntimeException stop && !(cause instanceof UnexpectedUpstream)) {
                    throw stop;
                }
                throw new Failure(UpstreamError.classify(cause.getCause() == null ? cause : cause.getCause()), textPassedOn);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure(UpstreamError.of(UpstreamError.Kind.CANCELLED, "interrupted"), textPassedOn);
            } catch (RuntimeException e) {
                throw new Failure(UpstreamError.classify(e), false);
            } finally {
                firstToken.cancel(false);
                ScheduledFuture<?> idleTimer = idle;
                if (idleTimer != null) {
                    idleTimer.cancel(false);
                }
                if (exchange != null && !isCompletedNormally()) {
                    exchange.cancel();
                }
                metrics.callEnded();
            }
        }

        private boolean isCompletedNormally() {
            return done.isDone() && !done.isCompletedExceptionally();
        }

        private void fail(UpstreamError.Kind kind, String detail) {
            done.completeExceptionally(new Failure(UpstreamError.of(kind, detail), textPassedOn));
        }

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            onPartialResponse(partial.text());
        }

        @Override
        public void onPartialResponse(String text) {
            if (done.isDone() || text == null || text.isEmpty()) {
                return;
            }
            if (!textPassedOn) {
                metrics.firstToken(System.nanoTime() - started);
            }
            armIdleTimer();
            try {
                onText.accept(text);
                textPassedOn = true;
            } catch (RuntimeException stop) {
                done.completeExceptionally(stop);
            }
        }

        private void armIdleTimer() {
            ScheduledFuture<?> previous = idle;
            if (previous != null) {
                previous.cancel(false);
            }
            idle = timers.schedule(() -> fail(UpstreamError.Kind.IDLE_TIMEOUT,
                    "no text for " + settings.idleTimeout().toMillis() + " ms"), settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            String text = response == null || response.aiMessage() == null ? null : response.aiMessage().text();
            if (text == null || text.isBlank()) {
                fail(UpstreamError.Kind.EMPTY, "the model sent no text");
                return;
            }
            if (response.tokenUsage() != null) {
                metrics.tokens(response.tokenUsage().inputTokenCount(), response.tokenUsage().outputTokenCount());
            }
            done.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(new UnexpectedUpstream(error));
        }
    }

    /** Wraps an upstream exception so that it is told apart from a stop asked for by {@code onText}. */
    private static final class UnexpectedUpstream extends RuntimeException {
        UnexpectedUpstream(Throwable cause) {
            super(cause);
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }
}
