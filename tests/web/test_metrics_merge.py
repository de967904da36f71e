"""A gateway's figures and its turn process's figures read as one exposition."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, merge_expositions


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def test_counters_and_histograms_add_up_created_is_earliest() -> None:
    gateway, turns = Metrics(), Metrics()
    gateway.messages_in.labels("facebook").inc(5)
    gateway.ack_latency.labels("facebook").observe(0.004)
    gateway.errors.labels("webhook_bad_signature").inc()
    turns.turn_latency.labels("facebook").observe(0.02)
    turns.turn_latency.labels("zalo").observe(0.3)
    turns.messages_out.labels("facebook", "sent").inc(7)
    turns.errors.labels("webhook_bad_signature").inc(2)  # the same series in both: summed
    turns.errors.labels("send_failed").inc()
    merged = samples(merge_expositions(gateway.render().decode(), turns.render().decode()))
    assert merged[("khdx_messages_in_total", (("channel", "facebook"),))] == 5
    assert merged[("khdx_messages_out_total", (("channel", "facebook"), ("outcome", "sent")))] == 7
    assert merged[("khdx_errors_total", (("kind", "webhook_bad_signature"),))] == 3
    assert merged[("khdx_errors_total", (("kind", "send_failed"),))] == 1
    assert merged[("khdx_turn_latency_seconds_count", (("channel", "zalo"),))] == 1
    bucket = ("khdx_turn_latency_seconds_bucket", (("channel", "facebook"), ("le", "0.025")))
    assert merged[bucket] == 1
    assert merged[("khdx_webhook_ack_seconds_count", (("channel", "facebook"),))] == 1
    created = ("khdx_errors_created", (("kind", "webhook_bad_signature"),))
    assert merged[created] == min(
        samples(gateway.render())[created], samples(turns.render())[created]
    )
