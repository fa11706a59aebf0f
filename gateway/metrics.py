"""Prometheus metrics, created per app on its own registry (never at import time), so two apps in
one process (tests, several nodes) never share or collide on counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter("replyguard_messages", "Messages scored, by tier and sender role",
                                ["tier", "role"], registry=r)
        self.unscored = Counter(
            "replyguard_unscored_messages",
            "Messages whose scoring failed, by role and the fail mode applied (open/closed)",
            ["role", "mode"], registry=r)
        self.scoring_seconds = Histogram(
            "replyguard_scoring_seconds", "Time to score one message",
            buckets=(50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3), registry=r)
        self.escalations = Counter("replyguard_escalations", "Repeat-offence escalations applied",
                                   ["escalation"], registry=r)
        self.reloads = Counter("replyguard_config_reloads",
                               "Configuration reloads by result (applied, rejected, unchanged)",
                               ["result", "origin"], registry=r)
        self.config_version = Info("replyguard_config", "Configuration version this node runs",
                                   registry=r)
        self.connections = Gauge("replyguard_connections", "Open websocket connections, by role",
                                 ["role"], registry=r)
        self.queue_length = Gauge("replyguard_queue_length",
                                  "Conversations waiting for an agent, by shop", ["shop"],
                                  registry=r)
        self.frame_errors = Counter("replyguard_frame_errors", "Error frames sent, by code",
                                    ["code"], registry=r)
        self.handoffs = Counter("replyguard_handoffs",
                                "Route-to-human attempts by result (routed, no-agent)",
                                ["result"], registry=r)
        self.config_error = Gauge("replyguard_config_error",
                                  "1 while the newest configuration change was rejected",
                                  registry=r)
