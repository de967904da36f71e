"""Dead letters keep what diagnoses and replays a message (timestamps, message ids, event names,
the page) and mask what is personal (texts, raw platform user ids)."""

from __future__ import annotations

import asyncio
import json
import time

from bot.core.privacy import mask_body
from tests.fakes.channels import OA_ID, PAGE_ID, ZALO_APP_ID, Channels, fb_text
from tests.fakes.platforms import Scripted

USER = "8765432109876543"


def dead_bodies(channels: Channels, direction: str) -> list[dict]:
    rows = channels.rows(f"SELECT body FROM dead_letters WHERE direction = '{direction}'")  # noqa: S608
    return [json.loads(body) for (body,) in rows]


async def test_an_unreadable_facebook_event_keeps_its_time_and_mid(channels: Channels) -> None:
    event = {
        "sender": {"id": USER},
        "recipient": "not an object",
        "timestamp": 1718000000123,
        "message": {"mid": "m_1234567890123456", "text": "sđt của tôi 0912345678"},
    }
    body = {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1718000000500, "messaging": [event]}],
    }
    assert (await channels.post_facebook(body)).status == 200
    [kept] = dead_bodies(channels, "in")
    entry = kept["entry"][0]
    assert (entry["id"], entry["time"]) == (PAGE_ID, 1718000000500)
    item = entry["messaging"][0]
    assert item["timestamp"] == 1718000000123
    assert item["message"]["mid"] == "m_1234567890123456"
    assert item["message"]["text"] == "sđt của tôi [số điện thoại]"
    assert USER not in json.dumps(kept)  # raw ids live only in `recipients`


async def test_an_unreadable_zalo_event_keeps_its_time_and_msg_id(channels: Channels) -> None:
    timestamp = str(int(time.time() * 1000))
    body = {
        "app_id": ZALO_APP_ID,
        "user_id_by_app": "552177279717587730",
        "sender": {"id": "2468458835296117922"},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": "z_9988776655443322", "text": "cccd 079188877767 nhé"},
        "timestamp": timestamp,
    }  # no event_name: signed, but not understood
    assert (await channels.post_zalo(body)).status == 200
    [kept] = dead_bodies(channels, "in")
    assert kept["timestamp"] == timestamp
    assert kept["app_id"] == ZALO_APP_ID
    assert kept["message"]["msg_id"] == "z_9988776655443322"
    assert kept["message"]["text"] == "cccd [số định danh] nhé"
    dump = json.dumps(kept)
    assert "2468458835296117922" not in dump and "552177279717587730" not in dump


async def test_a_reply_dead_on_the_platform_is_kept_masked(channels: Channels) -> None:
    channels.consented("facebook", "1077")
    error = {
        "error": {"message": "outside of allowed window", "code": 10, "error_subcode": 2018278}
    }
    channels.graph.script(channels.graph.MESSAGES, Scripted(400, error))
    await channels.post_facebook(fb_text("1077", "cho tôi gặp người hỗ trợ", "m_dl1"))
    await channels.graph.wait_messages(1)
    for _ in range(400):  # a loaded machine takes a while
        dead = channels.rows("SELECT status FROM outbox") == [("dead",)]
        if dead and channels.count("dead_letters", "direction = 'out'"):
            break
        await asyncio.sleep(0.05)
    [kept] = dead_bodies(channels, "out")
    [(body,)] = channels.rows("SELECT body FROM outbox")
    assert json.loads(body) == kept  # the same masked body in both tables
    assert kept["message"]["text"]


def test_a_body_that_is_not_json_is_masked_as_text() -> None:
    assert mask_body("sender=0912345678&x=[") == "sender=[số điện thoại]&x=["
    assert mask_body('{"text": 912345678, "seq": 12345678}') == (
        '{"text":"[số tài khoản]","seq":12345678}'
    )
    deep = "[" * 100_000
    assert mask_body(deep) == deep
