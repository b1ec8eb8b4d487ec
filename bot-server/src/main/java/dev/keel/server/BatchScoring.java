package dev.keel.server;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * Scores many customers into Redis with several workers at once: each takes the next batch, scores it and writes it
 * in one pipeline over its own pooled connection, so the cores score while other batches are on the wire and Redis
 * is fed over several connections. Producers take the customers in bucket order ({@link ScoreCache#inBucketOrder}), so
 * that a batch writes many customers of one bucket with one HSET. A batch counts as written only once Redis has
 * acknowledged every command of it; on the first failure no new batch is started, the batches under way finish or
 * fail, and the caller learns how many customers were acknowledged.
 */
final class BatchScoring {
    /** The customer ids of one batch and their encoded scores, in the same order (null: unknown, not cached). */
    record Batch(List<String> ids, List<String> scores) {}

    /**
     * Produces the batch of the customers at positions {@code [from, to)} of the caller's order (bucket order, for
     * few HSETs): reads and scores them. Called from several threads.
     */
    @FunctionalInterface
    interface Producer {
        Batch produce(int from, int to);
    }

    /** Workers by default: two per core, so that one scores while the other waits for Redis. */
    static final int DEFAULT_WORKERS = Math.max(2, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));

    private final ScoreCache cache;
    private final int batchSize;
    private final int workers;
    private final LongAdder hashWrites = new LongAdder();

    BatchScoring(ScoreCache cache, int batchSize, int workers) {
        if (batchSize < 1 || workers < 1) {
            throw new IllegalArgumentException("batch size and workers must be at least 1");
        }
        this.cache = cache;
        this.batchSize = batchSize;
        this.workers = workers;
    }

    /** The HSET commands of the batches Redis has acknowledged so far (over all runs of this writer). */
    long hashWrites() {
        return hashWrites.sum();
    }

    /**
     * Scores and writes customers {@code [0, total)}.
     *
     * @param afterBatch told the number of customers Redis has acknowledged so far, after each batch (one call at a
     *                   time)
     * @return {@code total}
     * @throws ChurnScores.ScoringInterruptedException when a batch failed, with the number acknowledged
     */
    int run(int total, Producer producer, IntConsumer afterBatch) {
        int batches = (total + batchSize - 1) / batchSize;
        AtomicInteger next = new AtomicInteger();
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Object progress = new Object();
        Runnable worker = () -> {
            int b;
            while (failure.get() == null && (b = next.getAndIncrement()) < batches) {
                int from = b * batchSize;
                int to = Math.min(total, from + batchSize);
                try {
                    Batch batch = producer.produce(from, to);
                    hashWrites.add(cache.writeAll(batch.ids(), batch.scores()));
                    synchronized (progress) {
                        afterBatch.accept(acknowledged.addAndGet(to - from));
                    }
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }
        };
        int threads = Math.min(workers, Math.max(1, batches));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "churn-batch-scoring");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> running = new java.util.ArrayList<>(threads);
            for (int i = 0; i < threads; i++) {
                running.add(pool.submit(worker));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new IllegalStateException("interrupted", e));
        } catch (java.util.concurrent.ExecutionException e) {
            failure.compareAndSet(null, new IllegalStateException(e.getCause()));
        } finally {
            pool.shutdownNow();
        }
        if (failure.get() != null) {
            throw new ChurnScores.ScoringInterruptedException(acknowledged.get(), total, failure.get());
        }
        return total;
    }
}
