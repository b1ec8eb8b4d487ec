package dev.keel.server.llm;

import java.util.concurrent.CompletableFuture;

/**
 * Where a reply goes while it is being written: the streaming route passes text on to the customer
 * as it arrives; the JSON route waits for the whole reply and uses {@link #NONE}.
 */
public interface ReplyStream {
    ReplyStream NONE = new ReplyStream() {
        @Override
        public boolean live() {
            return false;
        }

        @Override
        public void delta(String text) {
            // nobody listens: the whole reply is returned at the end
        }

        @Override
        public CompletableFuture<Void> gone() {
            return new CompletableFuture<>();
        }
    };

    /** Whether someone reads the text as it comes, so it is worth streaming from the model. */
    boolean live();

    /** A piece of reply text, already checked and safe to show. Called from any thread, in order. */
    void delta(String text);

    /** Completes when the customer has gone away, so work for them can stop. */
    CompletableFuture<Void> gone();
}
