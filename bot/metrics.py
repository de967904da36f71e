"""Prometheus metrics (`GET /metrics`): traffic, turn latency, outbox depth, dead letters, errors.

Each app has its own registry, so tests and several apps in one process do not share counters.
The outbox depth is read from the database at scrape time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

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
        self.events_refused = Counter(
            "khdx_webhook_events_refused",
            "Signed webhook events acknowledged but not processed (replay_window, no_sender)",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.duplicates_dropped = Counter(
            "khdx_webhook_duplicates_dropped",
            "Webhook events already stored under the same platform id, dropped",
            ["channel"],
            registry=self.registry,
        )
        self.policy_enforcement = Counter(
            "khdx_policy_enforcement",
            "Platform policy-enforcement notices about the page (warning, block, unblock)",
            ["channel", "action"],
            registry=self.registry,
        )

    def watch_trackers(self, store: Callable[[], Any]) -> None:
        """Count where turns found their conversation (bot/engine/cached_store.py): kept in
        memory, or rebuilt from the database. Read at scrape time from `store()`."""
        self.registry.register(_TrackerReads(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _TrackerReads:
    def __init__(self, store: Callable[[], Any]) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        store = self._store()
        if store is None or not hasattr(store, "hits"):
            return
        family = CounterMetricFamily(
            "khdx_tracker_reads",
            "Conversation trackers read for a turn, by where they came from",
            labels=["source"],
        )
        family.add_metric(["memory"], store.hits)
        family.add_metric(["database"], store.misses)
        yield family


def merge_expositions(*texts: str) -> bytes:
    """Several processes' figures as one (a gateway and its turn process): counters and
    histograms add up; a `_created` time is the earliest."""
    registry = CollectorRegistry()
    registry.register(_Merged(texts))
    return generate_latest(registry)


class _Merged:
    def __init__(self, texts: tuple[str, ...]) -> None:
        self._texts = texts

    def collect(self) -> Iterator[Metric]:
        families: dict[str, tuple[Metric, dict[tuple[str, tuple[tuple[str, str], ...]], Any]]] = {}
        for text in self._texts:
            for family in text_string_to_metric_families(text):
                _, samples = families.setdefault(family.name, (family, {}))
                for sample in family.samples:
                    key = (sample.name, tuple(sorted(sample.labels.items())))
                    old = samples.get(key)
                    if old is None:
                        samples[key] = sample
                    elif sample.name.endswith("_created"):
                        samples[key] = old._replace(value=min(old.value, sample.value))
                    else:
                        samples[key] = old._replace(value=old.value + sample.value)
        for family, samples in families.values():
            family.samples = list(samples.values())
            yield family
