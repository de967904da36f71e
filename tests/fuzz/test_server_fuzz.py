"""A bounded fuzz run against the running app (both channels on, fake platforms behind):
a thousand random and mutated requests (FUZZ_SCALE=10: ten thousand) — valid and broken
signatures, mutated platform payloads, random JSON, bytes, methods and paths — and not one 5xx."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from bot.channels.facebook.signing import facebook_signature
from bot.channels.zalo.signing import zalo_signature
from tests.fakes.channels import (
    APP_SECRET,
    ZALO_APP_ID,
    ZALO_OA_SECRET,
    Channels,
    fb_text,
    web_sender,
    zalo_event,
)
from tests.fuzz.budget import cases

REQUESTS = cases(1000)
PATHS = [
    "/webhooks/facebook",
    "/webhooks/zalo",
    "/webhooks/web",
    "/webhooks/web/poll",
    "/webhooks/facebook/deletion",
    "/admin/login",
    "/admin/api/stats",
    "/healthz",
    "/",
    "/admin/handoffs/1/reply",
    "/%ff",
    "/webhooks/../admin",
]


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """A random change deep inside a JSON value: types swapped, keys dropped or renamed."""
    choice = rng.random()
    if isinstance(value, dict) and value and depth < 6:
        key = rng.choice(list(value))
        if choice < 0.2:
            return {k: v for k, v in value.items() if k != key}
        if choice < 0.3:
            return {**value, key + "x": value[key]}
        return {**value, key: mutate(rng, value[key], depth + 1)}
    if isinstance(value, list) and value and depth < 6:
        i = rng.randrange(len(value))
        return [*value[:i], mutate(rng, value[i], depth + 1), *value[i + 1 :]]
    return rng.choice(
        [
            None,
            True,
            0,
            -1,
            2**63,
            1.5,
            "",
            "x" * rng.randrange(1, 3000),
            "\u0000\ud7ff",
            [],
            {},
            "/quiz_answer:Z",
            "/handoff_end",
            "đồng ý",
            rng.random(),
        ]
    )


def random_json(rng: random.Random, depth: int = 0) -> Any:
    if depth > 3 or rng.random() < 0.4:
        return mutate(rng, None)
    if rng.random() < 0.5:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(["sender", "message", "entry", "object", "x", "event_name", ""]): random_json(
            rng, depth + 1
        )
        for _ in range(rng.randrange(4))
    }


async def test_thousands_of_random_and_mutated_requests_get_no_5xx(channels: Channels) -> None:
    rng = random.Random(20261126)
    client = channels.client
    statuses: Counter[int] = Counter()
    for n in range(REQUESTS):
        kind = rng.random()
        headers = {"Content-Type": rng.choice(["application/json", "text/plain", ""])}
        method = "POST"
        path = rng.choice(PATHS)
        if kind < 0.35:  # a validly signed but mutated Messenger payload
            path = "/webhooks/facebook"
            body = mutate(rng, fb_text(str(rng.randrange(10**6)), "xin chao", f"m_fz{n}"))
            raw = json.dumps(body).encode()
            headers["X-Hub-Signature-256"] = facebook_signature(APP_SECRET, raw)
        elif kind < 0.6:  # a validly signed but mutated Zalo payload
            path = "/webhooks/zalo"
            body = mutate(rng, zalo_event("user_send_text", "24684588", f"z_fz{n}", text="hi"))
            raw = json.dumps(body).encode()
            stamp = body.get("timestamp") if isinstance(body, dict) else ""
            headers["X-ZEvent-Signature"] = zalo_signature(
                ZALO_APP_ID, raw, "" if stamp is None else str(stamp), ZALO_OA_SECRET
            )
        elif kind < 0.75:  # the web chat with odd JSON
            path = rng.choice(["/webhooks/web", "/webhooks/web/poll"])
            # Half with an id the server issued, so odd messages reach the turn.
            sender = web_sender(client.app, "fuzz-web") if rng.random() < 0.5 else "fuzz-web"
            raw = json.dumps(mutate(rng, {"sender": sender, "message": "xin chao"})).encode()
        elif kind < 0.9:  # random JSON anywhere, with garbage signatures
            raw = json.dumps(random_json(rng)).encode()
            headers["X-Hub-Signature-256"] = "sha256=" + "0" * rng.randrange(0, 70)
            headers["X-ZEvent-Signature"] = "mac=" + "f" * rng.randrange(0, 70)
        else:  # bytes, other methods
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
            method = rng.choice(["POST", "GET", "PUT", "DELETE", "PATCH"])
        resp = await client.request(method, path, data=raw, headers=headers)
        await resp.read()
        statuses[resp.status] += 1
        assert resp.status < 500, (n, method, path, resp.status, raw[:200])
    assert sum(statuses.values()) == REQUESTS
    assert statuses[200] > REQUESTS // 4  # plenty of them went all the way in
