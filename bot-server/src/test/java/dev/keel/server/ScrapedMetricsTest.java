package dev.keel.server;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ScrapedMetricsTest {
    private static final String PAGE = """
            # TYPE t_seconds histogram
            t_seconds_bucket{route="/a",le="0.01"} %d
            t_seconds_bucket{route="/a",le="0.1"} %d
            t_seconds_bucket{route="/a",le="+Inf"} %d
            t_seconds_bucket{route="/b",le="0.01"} 1000
            t_seconds_bucket{route="/b",le="0.1"} 1000
            t_seconds_bucket{route="/b",le="+Inf"} 1000
            heap_bytes{area="heap",id="eden"} 2.0E7
            heap_bytes{area="nonheap",id="meta"} 5.0E6
            """;

    @Test
    void quantilesAreTheBucketBoundsOfWhatHappenedBetweenTwoScrapes() {
        ScrapedMetrics before = ScrapedMetrics.parse(PAGE.formatted(10, 10, 10));
        ScrapedMetrics after = ScrapedMetrics.parse(PAGE.formatted(10 + 98, 10 + 99, 10 + 100));
        Map<Double, Double> b0 = before.buckets("t_seconds", s -> s.has("route", "/a"));
        Map<Double, Double> b1 = after.buckets("t_seconds", s -> s.has("route", "/a"));

        assertThat(ScrapedMetrics.quantileBound(b0, b1, 0.50)).isEqualTo(0.01);
        assertThat(ScrapedMetrics.quantileBound(b0, b1, 0.99)).isEqualTo(0.1);
        assertThat(ScrapedMetrics.quantileBound(b0, b1, 1.0)).isInfinite();
        assertThat(ScrapedMetrics.quantileBound(b0, b0, 0.99)).isNaN();
        assertThat(after.sum("heap_bytes", s -> s.has("area", "heap"))).isEqualTo(2.0E7);
    }
}
