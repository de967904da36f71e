"""The volunteers' desk over real HTTP with the fake platforms: a citizen's commune gets its own
volunteers first, then the province after the wait (the app's clock moved forward); canned
replies with placeholders; the citizen rates the help with buttons; the volunteer records what it
achieved; the dashboard, the printable page and the monthly workbook count both per commune and
per volunteer."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp import ClientSession
from openpyxl import load_workbook

from bot.core.vntime import local
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from tests.conftest import ClientFactory
from tests.fakes.channels import (
    Channels,
    channel_settings,
    fb_text,
    login,
    login_elsewhere,
    second_client,
    web_sender,
)
from tests.fakes.platforms import FakeGraph, FakeZalo
from tests.fakes.server import served

CAM_LAM, NHA_TRANG = "Cam Lâm", "Nha Trang"


class Shift:
    """The app's clock: real time, moved forward by the test."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.ahead


@pytest.fixture
def shift() -> Shift:
    return Shift()


@pytest.fixture
async def desk_channels(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    runner: AssistantRunner,
    graph: FakeGraph,
    zalo: FakeZalo,
    shift: Shift,
) -> Channels:
    settings = channel_settings(tmp_path, graph, zalo, HANDOFF_LOCAL_WAIT_MIN="10")
    client = await served(aiohttp_client, create_app(settings, runner=runner, clock=shift))
    return Channels(client, settings, graph, zalo)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


async def admin_csrf(channels: Channels) -> str:
    await login(channels, "can.bo.so", "admin")
    return csrf_of(await (await channels.client.get("/admin/users")).text())


async def volunteer(
    channels: Channels, name: str, communes: list[str], csrf: str
) -> ClientSession:
    """A volunteer logged in on their own browser, serving `communes` (set by the admin)."""
    browser = await second_client(channels.client)
    await login_elsewhere(channels, browser, name)
    resp = await channels.client.post(
        "/admin/users/communes",
        data=[("csrf", csrf), ("username", name), *(("communes", c) for c in communes)],
    )
    assert resp.status == 200
    assert f"Đã lưu cho {name}" in await resp.text()
    return browser


async def test_the_commune_volunteer_comes_first_and_the_province_after_the_wait(
    desk_channels: Channels, shift: Shift
) -> None:
    channels, graph = desk_channels, desk_channels.graph
    csrf = await admin_csrf(channels)
    camlam = await volunteer(channels, "tnv.camlam", [CAM_LAM], csrf)
    nhatrang = await volunteer(channels, "tnv.nhatrang", [NHA_TRANG], csrf)
    try:
        users = await (await channels.client.get("/admin/users")).text()
        assert "Xã Cam Lâm" in users and "Phường Nha Trang" in users
        # A commune that is not one of the 65 is refused, with what went wrong.
        resp = await channels.client.post(
            "/admin/users/communes",
            data={"csrf": csrf, "username": "tnv.camlam", "communes": "Xã Không Có"},
        )
        assert resp.status == 400
        assert "không có trong danh sách 65 xã, phường: Xã Không Có" in await resp.text()
        assert channels.rows(
            "SELECT commune FROM volunteer_communes WHERE username = 'tnv.camlam'"
        ) == [(CAM_LAM,)]

        channels.consented("facebook", "5511", commune=CAM_LAM)
        await channels.post_facebook(fb_text("5511", "cho tôi gặp người hỗ trợ", "m_v1"))
        sent = await graph.wait_messages(1)
        assert "tình nguyện viên Đoàn Thanh niên" in sent[-1].body["message"]["text"]
        [(handoff_id, commune, created)] = channels.rows(
            "SELECT id, commune, created_at FROM handoffs"
        )
        assert commune == CAM_LAM
        until = f"{local(datetime.fromisoformat(created) + timedelta(minutes=10)):%H:%M}"

        # Cam Lâm's volunteer sees it, with the commune and until when it is theirs.
        queue = await (await camlam.get("/admin/handoffs")).text()
        assert f'href="/admin/handoffs/{handoff_id}"' in queue
        assert f"chờ tình nguyện viên xã Cam Lâm đến {until}" in queue
        # Nha Trang's volunteer does not see it yet, and cannot claim it.
        queue = await (await nhatrang.get("/admin/handoffs")).text()
        assert f'href="/admin/handoffs/{handoff_id}"' not in queue
        assert "1 người dân đang chờ tình nguyện viên xã, phường của họ" in queue
        other_csrf = csrf_of(queue)
        page = await (await nhatrang.get(f"/admin/handoffs/{handoff_id}")).text()
        assert f"Đang chờ tình nguyện viên xã Cam Lâm đến {until}" in page
        assert f'action="/admin/handoffs/{handoff_id}/claim"' not in page
        resp = await nhatrang.post(
            f"/admin/handoffs/{handoff_id}/claim", data={"csrf": other_csrf}, allow_redirects=False
        )
        assert resp.status == 409
        assert f"tình nguyện viên của xã Cam Lâm được nhận trước, đến {until}" in await resp.text()
        status = f"SELECT status FROM handoffs WHERE id = {handoff_id}"  # noqa: S608
        assert channels.rows(status) == [("waiting",)]

        # Eleven minutes later nobody of Cam Lâm took it: the province may.
        shift.ahead = timedelta(minutes=11)
        queue = await (await nhatrang.get("/admin/handoffs")).text()
        assert f'href="/admin/handoffs/{handoff_id}"' in queue
        assert "chờ tình nguyện viên xã" not in queue
        resp = await nhatrang.post(
            f"/admin/handoffs/{handoff_id}/claim", data={"csrf": other_csrf}, allow_redirects=False
        )
        assert resp.status == 302
        sent = await graph.wait_messages(2)
        assert "tnv.nhatrang đã nhận" in sent[-1].body["message"]["text"]

        # Handed back: the citizen is asked to rate, with buttons, on Messenger.
        resp = await nhatrang.post(
            f"/admin/handoffs/{handoff_id}/close", data={"csrf": other_csrf}, allow_redirects=False
        )
        assert resp.status == 302
        sent = await graph.wait_messages(4)
        assert "kết thúc hỗ trợ" in sent[-2].body["message"]["text"]
        question = sent[-1].body["message"]
        assert question["text"] == "Bạn thấy lần hỗ trợ vừa rồi của tình nguyện viên thế nào?"
        buttons = {q["title"]: q["payload"] for q in question["quick_replies"]}
        assert list(buttons) == ["Hài lòng", "Bình thường", "Chưa hài lòng"]

        await channels.post_facebook(
            fb_text("5511", "Hài lòng", "m_v2", quick_reply=buttons["Hài lòng"])
        )
        sent = await graph.wait_messages(5)
        assert sent[-1].body["message"]["text"].startswith("Cảm ơn bạn đã đánh giá!")
        # A second tap changes nothing; a tap naming another handoff is answered politely.
        await channels.post_facebook(
            fb_text("5511", "Chưa hài lòng", "m_v3", quick_reply=buttons["Chưa hài lòng"])
        )
        sent = await graph.wait_messages(6)
        assert (
            sent[-1].body["message"]["text"]
            == "Bạn đã đánh giá lần hỗ trợ này rồi. Cảm ơn bạn nhé!"
        )
        await channels.post_facebook(
            fb_text("5511", "Hài lòng", "m_v4", quick_reply=f"/danh_gia:{handoff_id + 7}:3")
        )
        sent = await graph.wait_messages(7)
        assert "không còn nhận đánh giá" in sent[-1].body["message"]["text"]
        assert channels.rows(f"SELECT rating FROM handoffs WHERE id = {handoff_id}") == [(3,)]  # noqa: S608

        # What the help achieved: only the volunteer who had it records it.
        resp = await camlam.post(
            f"/admin/handoffs/{handoff_id}/outcomes",
            data={
                "csrf": csrf_of(await (await camlam.get("/admin/handoffs")).text()),
                "outcome": "other",
            },
        )
        assert resp.status == 403
        resp = await nhatrang.post(
            f"/admin/handoffs/{handoff_id}/outcomes",
            data={"csrf": other_csrf, "outcome": "<b>bat ky</b>"},
        )
        assert resp.status == 400
        assert "Kết quả không có trong danh sách" in await resp.text()
        resp = await nhatrang.post(
            f"/admin/handoffs/{handoff_id}/outcomes",
            data=[("csrf", other_csrf), ("outcome", "vneid_level2"), ("outcome", "app_installed")],
        )
        assert resp.status == 200
        assert "Đã ghi kết quả hỗ trợ" in await resp.text()
    finally:
        await camlam.close()
        await nhatrang.close()

    # Counted per commune and per volunteer: dashboard, printable page, workbook (as CSV).
    desk_row = "<td>1</td><td>1 · 3,00</td><td>1</td><td>0</td><td>1</td><td>0</td><td>0</td>"
    day = local(datetime.fromisoformat(created)).date()  # the day it was asked, in Vietnam
    home = await (await channels.client.get(f"/admin?from={day}&to={day}")).text()
    assert 'id="handoff-ratings">1 / 3,00' in home
    assert f"<tr><td>Xã Cam Lâm</td>{desk_row}</tr>" in home
    assert f"<tr><td>tnv.nhatrang</td>{desk_row}</tr>" in home
    assert "5511" not in home
    month = f"{day:%Y-%m}"
    printed = await (await channels.client.get(f"/admin/report/print?month={month}")).text()
    assert f"<tr><td>Xã Cam Lâm</td>{desk_row}</tr>" in printed
    report = await (await channels.client.get(f"/admin/report?month={month}&format=csv")).read()
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert ["Xã Cam Lâm", "1", "1", "3.0", "1", "0", "1", "0", "0"] in lines
    assert ["tnv.nhatrang", "1", "1", "3.0", "1", "0", "1", "0", "0"] in lines
    assert ["Kết quả: VNeID mức 2 đã kích hoạt", "1"] in lines
    assert ["Điểm hài lòng trung bình (thang 3)", "3.0"] in lines
    report = await (await channels.client.get(f"/admin/report?month={month}")).read()
    book = load_workbook(io.BytesIO(report))
    by_volunteer = [
        [c.value for c in row] for row in book["Hỗ trợ trực tuyến theo TNV"].iter_rows()
    ]
    assert ["tnv.nhatrang", 1, 1, 3, 1, 0, 1, 0, 0] in by_volunteer


async def test_canned_replies_are_filled_for_the_citizen_and_unknown_placeholders_refused(
    desk_channels: Channels,
) -> None:
    channels, client = desk_channels, desk_channels.client
    csrf = await admin_csrf(channels)
    resp = await client.post(
        "/admin/handoffs/replies",
        data={
            "csrf": csrf,
            "title": "Chào hỏi",
            "text": "Chào {ho_ten}, mình là {tinh_nguyen_vien}.",
        },
    )
    assert resp.status == 400
    page = await resp.text()
    assert "không có chỗ điền {ho_ten}; chỉ dùng {ten_xa}, {tinh_nguyen_vien}" in page
    resp = await client.post(
        "/admin/handoffs/replies", data={"csrf": csrf, "title": "Ngoặc", "text": "Chào {ten_xa"}
    )
    assert resp.status == 400
    assert "dấu { } chưa khớp" in await resp.text()
    assert channels.count("canned_replies") == 0
    resp = await client.post(
        "/admin/handoffs/replies",
        data={
            "csrf": csrf,
            "title": "Chào hỏi",
            "text": "Chào bạn, mình là {tinh_nguyen_vien}, tình nguyện viên {ten_xa}.",
        },
    )
    assert resp.status == 200
    [(reply_id,)] = channels.rows("SELECT id FROM canned_replies")
    # Edited, then a second one added and deleted.
    resp = await client.post(
        f"/admin/handoffs/replies/{reply_id}",
        data={
            "csrf": csrf,
            "title": "Chào hỏi",
            "text": "Chào bạn! Mình là {tinh_nguyen_vien}, tình nguyện viên {ten_xa}.",
        },
    )
    assert resp.status == 200
    await client.post(
        "/admin/handoffs/replies", data={"csrf": csrf, "title": "Tạm biệt", "text": "Chào bạn."}
    )
    [(second,)] = channels.rows("SELECT id FROM canned_replies WHERE title = 'Tạm biệt'")
    resp = await client.post(f"/admin/handoffs/replies/{second}/delete", data={"csrf": csrf})
    assert "Đã xóa mẫu trả lời" in await resp.text()
    assert channels.count("canned_replies") == 1

    # A web chat citizen of Cam Lâm; Cam Lâm's volunteer takes it at once.
    browser = await second_client(client)
    try:
        await login_elsewhere(channels, browser, "tnv.camlam")
        await client.post(
            "/admin/users/communes",
            data={"csrf": csrf, "username": "tnv.camlam", "communes": CAM_LAM},
        )
        channels.consented("web", "web-camlam", commune=CAM_LAM)
        sender = web_sender(client.app, "web-camlam")
        opened = await client.post(
            "/webhooks/web", json={"sender": sender, "message": "toi muon gap nguoi that"}
        )
        assert (await opened.json())["handoff"] is True
        [(handoff_id,)] = channels.rows("SELECT id FROM handoffs")
        queue = await (await browser.get("/admin/handoffs")).text()
        vcsrf = csrf_of(queue)
        resp = await browser.post(
            f"/admin/handoffs/{handoff_id}/claim", data={"csrf": vcsrf}, allow_redirects=False
        )
        assert resp.status == 302
        page = await (await browser.get(f"/admin/handoffs/{handoff_id}")).text()
        assert f'<option value="{reply_id}">Chào hỏi</option>' in page
        resp = await browser.post(
            f"/admin/handoffs/{handoff_id}/canned",
            data={"csrf": vcsrf, "reply": str(reply_id)},
            allow_redirects=False,
        )
        assert resp.status == 302
        resp = await browser.post(
            f"/admin/handoffs/{handoff_id}/canned", data={"csrf": vcsrf, "reply": "999"}
        )
        assert resp.status == 400
        assert "Không có mẫu trả lời này" in await resp.text()
    finally:
        await browser.close()
    poll = await (await client.post("/webhooks/web/poll", json={"sender": sender})).json()
    texts = [r["text"] for r in poll["replies"]]
    assert texts[-1] == "Chào bạn! Mình là tnv.camlam, tình nguyện viên xã Cam Lâm."

    # The citizen goes back to the assistant: asked to rate; the tap is stored and thanked.
    back = await client.post(
        "/webhooks/web", json={"sender": sender, "message": "quay lai tro ly"}
    )
    replies = (await back.json())["replies"]
    assert "quay lại với trợ lý tự động" in replies[0]["text"]
    assert [b["payload"] for b in replies[-1]["buttons"]] == [
        f"/danh_gia:{handoff_id}:{score}" for score in (3, 2, 1)
    ]
    tap = await client.post(
        "/webhooks/web", json={"sender": sender, "message": f"/danh_gia:{handoff_id}:1"}
    )
    assert "sẽ xem lại để hỗ trợ bạn tốt hơn" in (await tap.json())["replies"][0]["text"]
    await asyncio.sleep(0)
    assert channels.rows(f"SELECT rating, closed_by FROM handoffs WHERE id = {handoff_id}") == [  # noqa: S608
        (1, "citizen")
    ]
