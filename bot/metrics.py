"""Prometheus metrics (`GET /metrics`): traffic, turn latency, outbox depth, dead letters, errors.

Each app has its own registry, so tests and several apps in one process do not share counters.
The outbox depth is read from the database at scrape time.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages_in = Counter(
            "khdx_messages_in", "User messages received", ["channel"], registry=self.registry
        )
        self.messages_out = Counter(
            "khdx_messages_out",
            "Assistant messages by outcome (sent, dead, unknown; web replies are 'sent')",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.turn_latency = Histogram(
            "khdx_turn_latency_seconds",
            "Time of one assistant turn (NLU, policies, actions)",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.ack_latency = Histogram(
            "khdx_webhook_ack_seconds",
            "Webhook receipt to acknowledgement (verify, store, commit)",
            ["channel"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "khdx_outbox_depth", "Replies waiting to be sent", registry=self.registry
        )
        self.dead_letters = Counter(
            "khdx_dead_letters",
            "Events or replies given up on",
            ["channel", "direction"],
            registry=self.registry,
        )
        self.errors = Counter("khdx_errors", "Errors by kind", ["kind"], registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
