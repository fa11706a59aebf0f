"""Prometheus metrics, created per app on its own registry (never at import time), so two apps in
one process (tests, several nodes) never share or collide on counters."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Info
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

SCORING_BUCKETS = (50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3)


class ScoringMetrics(Collector):
    """`replyguard_messages_total{tier,role}` and the `replyguard_scoring_seconds` histogram.

    Every message updates both, so they are plain integers bumped on the event loop and turned
    into metric families only when /metrics is scraped: prometheus_client's own Counter and
    Histogram take a lock per value and walk the buckets in Python on every observation, which
    cost more than a tenth of the scoring itself. Only the event loop writes them; a scrape
    from another thread reads a snapshot.
    """

    def __init__(self, buckets: tuple[float, ...] = SCORING_BUCKETS) -> None:
        self.bounds = buckets
        self.messages: dict[tuple[str, str], int] = {}
        self.bucket_counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self.seconds_sum = 0.0

    def observe(self, tier: str, role: str, seconds: float) -> None:
        key = (tier, role)
        self.messages[key] = self.messages.get(key, 0) + 1
        self.bucket_counts[bisect_left(self.bounds, seconds)] += 1
        self.seconds_sum += seconds

    def collect(self) -> Iterator[Metric]:
        messages = CounterMetricFamily("replyguard_messages",
                                       "Messages scored, by tier and sender role",
                                       labels=["tier", "role"])
        for (tier, role), count in list(self.messages.items()):
            messages.add_metric([tier, role], count)
        yield messages
        counts, total = list(self.bucket_counts), self.seconds_sum
        cumulative, buckets = 0, []
        for bound, count in zip([*map(floatToGoString, self.bounds), "+Inf"], counts):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily("replyguard_scoring_seconds", "Time to score one message",
                                    buckets=buckets, sum_value=total)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.scoring = ScoringMetrics()
        r.register(self.scoring)
        self.unscored = Counter(
            "replyguard_unscored_messages",
            "Messages whose scoring failed, by role and the fail mode applied (open/closed)",
            ["role", "mode"], registry=r)
        self.escalations = Counter("replyguard_escalations", "Repeat-offence escalations applied",
                                   ["escalation"], registry=r)
        self.reloads = Counter("replyguard_config_reloads",
                               "Configuration reloads by result (applied, rejected, unchanged)",
                               ["result", "origin"], registry=r)
        self.config_version = Info("replyguard_config", "Configuration version this node runs",
                                   registry=r)
        self.connections = Gauge("replyguard_connections", "Open websocket connections, by role",
                                 ["role"], registry=r)
        # /metrics has no token (Prometheus scrapes it), so no label names a shop, user or
        # conversation: the queue is one total; a shop's own queue is its supervisors' business.
        self.queue_length = Gauge("replyguard_queue_length",
                                  "Conversations waiting for an agent, all shops", registry=r)
        self._queued: dict[str, int] = {}
        self.frame_errors = Counter("replyguard_frame_errors", "Error frames sent, by code",
                                    ["code"], registry=r)
        self.handoffs = Counter("replyguard_handoffs",
                                "Route-to-human attempts by result (routed, no-agent)",
                                ["result"], registry=r)
        self.config_error = Gauge("replyguard_config_error",
                                  "1 while the newest configuration change was rejected",
                                  registry=r)

    def queued(self, shop: str, length: int) -> None:
        """`shop`'s queue is now `length` long: the gauge shows the total over every shop."""
        if length:
            self._queued[shop] = length
        else:
            self._queued.pop(shop, None)
        self.queue_length.set(sum(self._queued.values()))
