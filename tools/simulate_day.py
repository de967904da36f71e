"""A simulated day of traffic, then a check that every figure agrees with what was sent.

    python -m tools.simulate_day [--users 400] [--seed 7] [--keep DIR]

Starts fake Graph and Zalo OpenAPI servers (this process, loopback) and the assistant
(`python -m bot run`, SQLite in a temporary directory, both channels pointed at the fakes).
Simulated citizens then talk to it through signed webhooks, as people do: a Zalo follow, a
question (varied, from the held-out set, some with a phone or ID number in it), an answer to the
consent notice (yes, no, or ignored), sometimes a commune typed with or without diacritics,
ratings, a sticker. Each citizen waits for the replies before the next message.

Then it logs in to /admin and reads the dashboard (HTML), /admin/api/stats (JSON) and the
monthly workbook (XLSX and CSV), and checks that:
  - the three agree with each other, and with this script's own tally of what was sent and
    received (messages, people, anonymous messages, conversations, replies per channel,
    ratings, followers, communes);
  - no raw platform id, phone number or ID number appears in any page, export, the server log or
    the database (raw ids are allowed in one place only: recipients.platform_user_id).
Prints the figures and one line per check; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html import unescape
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from openpyxl import load_workbook

from bot.channels.facebook.signing import facebook_signature
from bot.channels.zalo.signing import zalo_signature
from bot.core import communes
from bot.db.engine import sync_url
from bot.engine.topics import topic_names
from bot.nlu.text import fold
from bot.settings import PROJECT_ROOT

PAGE_ID, OA_ID = "104729384756102", "4729384756102938475"
FB_SECRET, ZALO_APP_ID, ZALO_OA_SECRET = "sim-fb-secret", "5829103746582910374", "sim-oa-secret"
ADMIN_PASSWORD = "mo-phong-mot-ngay-2026"
VIETNAM = timezone(timedelta(hours=7))
# Replies to one message come one after another; this long without one means they are all in.
QUIET_S = 1.5
HELDOUT = PROJECT_ROOT / "tests" / "data" / "heldout.tsv"
# Utterances that would start one of the gateway's own dialogues (consent, erasure, ratings,
# a volunteer, the quiz) are left out of the question pool: the script must know exactly what
# each message does.
SKIP_TOPICS = {"feedback", "data_rights", "smalltalk", "human_handoff", "quiz"}
PERSONAL = [
    "so dien thoai cua toi la {phone}, lam sao kich hoat vneid",
    "toi bi mat dien thoai {phone} phai lam gi",
    "cccd {cccd} cua toi dang ky vneid muc 2 duoc chua",
    "ban oi so {phone} goi bao toi no tien dien co phai lua dao khong",
    "Số CCCD {cccd} đăng ký dịch vụ công bị lỗi",
    "stk {account} nhan tien trung thuong co that khong",
    "nguoi ta xin ma otp {otp} thi co dua khong",
]
GIBBERISH = ["asdkjh qwe", "xổ số hôm nay bao nhiêu {phone}", "gia vang sjc", "ok ok ok ok"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- fake platforms -------------------------------------------------------------------------
class Platforms:
    """Graph API and Zalo OpenAPI stand-ins that remember what each user was sent."""

    def __init__(self) -> None:
        self.sent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.by_channel: Counter[str] = Counter()
        self.changed: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.last_send = time.monotonic()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _remember(self, channel: str, user: str, message: dict[str, Any]) -> None:
        self.sent[user].append(message)
        self.by_channel[channel] += 1
        self.changed[user].set()
        self.last_send = time.monotonic()

    async def _graph(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = body["recipient"]["id"]
        if "message" in body:
            self._remember("facebook", user, body["message"])
        return web.json_response({"recipient_id": user, "message_id": f"m_out{next(self._ids)}"})

    async def _zalo(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = body["recipient"]["user_id"]
        self._remember("zalo", user, body["message"])
        data = {"message_id": f"z_out{next(self._ids)}", "user_id": user}
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _oauth(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "AT-sim-2", "refresh_token": "RT-sim-2", "expires_in": "90000"}
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v21.0/me/messages", self._graph)
        app.router.add_post("/v21.0/me/messenger_profile", self._oauth)
        app.router.add_post("/v3.0/oa/message/cs", self._zalo)
        app.router.add_post("/v4/oa/access_token", self._oauth)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def buttons_of(message: dict[str, Any]) -> list[dict[str, str]]:
    """Quick replies (Messenger) or query buttons (Zalo) as {"title", "payload"}; buttons that
    open a page (a service card's) are not tapped."""
    if "quick_replies" in message:
        return [{"title": q["title"], "payload": q["payload"]} for q in message["quick_replies"]]
    payload = (message.get("attachment") or {}).get("payload") or {}
    return [
        {"title": b["title"], "payload": b["payload"]}
        for b in payload.get("buttons", [])
        if isinstance(b.get("payload"), str)
    ]


# -- citizens -------------------------------------------------------------------------------
@dataclass
class Citizen:
    channel: str
    user_id: str
    consent: str  # yes | no | ignore
    commune: communes.Commune | None
    questions: list[str]
    follows: bool = False
    rates: float = 0.0
    sticker: bool = False
    # Tally of what happened, filled in while the citizen talks.
    messages: int = 0
    after_consent: int = 0  # messages from the moment consent was given (that one included)
    consented: bool = False
    commune_saved: bool = False
    helpful: int = 0
    not_helpful: int = 0
    replies: int = 0
    texts_sent: list[str] = field(default_factory=list)


class Simulation:
    def __init__(self, base: str, platforms: Platforms, rng: random.Random) -> None:
        self.base = base
        self.platforms = platforms
        self.rng = rng
        self.session: aiohttp.ClientSession | None = None
        self.mids = itertools.count(1)
        self.errors: list[str] = []

    async def post(self, citizen: Citizen, body: dict[str, Any]) -> None:
        assert self.session is not None
        raw = json.dumps(body, ensure_ascii=False).encode()
        if citizen.channel == "facebook":
            url = f"{self.base}/webhooks/facebook"
            headers = {"X-Hub-Signature-256": facebook_signature(FB_SECRET, raw)}
        else:
            url = f"{self.base}/webhooks/zalo"
            stamp = str(body["timestamp"])
            headers = {
                "X-ZEvent-Signature": zalo_signature(ZALO_APP_ID, raw, stamp, ZALO_OA_SECRET)
            }
        headers["Content-Type"] = "application/json"
        for _attempt in range(5):
            async with self.session.post(url, data=raw, headers=headers) as resp:
                if resp.status == 200:
                    return
                if resp.status != 503:
                    self.errors.append(f"webhook answered {resp.status}")
                    return
            await asyncio.sleep(1)  # a platform retries a 503; so do we
        self.errors.append("webhook kept answering 503")

    def _message_body(
        self, citizen: Citizen, text: str | None, payload: str | None, sticker: bool = False
    ) -> dict[str, Any]:
        mid = f"sim{next(self.mids)}"
        now = int(time.time() * 1000)
        if citizen.channel == "facebook":
            message: dict[str, Any] = {"mid": f"m_{mid}"}
            if sticker:
                message["attachments"] = [
                    {
                        "type": "image",
                        "payload": {"url": "https://x/s.png", "sticker_id": 369239263222822},
                    }
                ]
            else:
                message["text"] = text
                if payload:
                    message["quick_reply"] = {"payload": payload}
            event = {
                "sender": {"id": citizen.user_id},
                "recipient": {"id": PAGE_ID},
                "timestamp": now,
                "message": message,
            }
            return {
                "object": "page",
                "entry": [{"id": PAGE_ID, "time": now, "messaging": [event]}],
            }
        if sticker:
            return {
                "app_id": ZALO_APP_ID,
                "event_name": "user_send_sticker",
                "sender": {"id": citizen.user_id},
                "recipient": {"id": OA_ID},
                "message": {
                    "msg_id": mid,
                    "attachments": [{"type": "sticker", "payload": {"id": "x"}}],
                },
                "timestamp": str(now),
            }
        return {
            "app_id": ZALO_APP_ID,
            "event_name": "user_send_text",
            "sender": {"id": citizen.user_id},
            "recipient": {"id": OA_ID},
            # A Zalo query button sends its payload back as the user's text.
            "message": {"msg_id": mid, "text": payload or text},
            "timestamp": str(now),
        }

    async def _wait_replies(
        self, citizen: Citizen, before: int, timeout: float = 60
    ) -> list[dict[str, Any]]:
        """Wait for the replies to one message: at least one, then a short quiet."""
        event = self.platforms.changed[citizen.user_id]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event.clear()
            count = len(self.platforms.sent[citizen.user_id])
            if count > before:
                try:
                    await asyncio.wait_for(event.wait(), QUIET_S)
                    continue  # more arrived: keep waiting for quiet
                except asyncio.TimeoutError:
                    break
            try:
                await asyncio.wait_for(event.wait(), max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
        replies = self.platforms.sent[citizen.user_id][before:]
        if not replies:
            self.errors.append(f"no reply on {citizen.channel}")
        return replies

    async def say(
        self,
        citizen: Citizen,
        text: str | None = None,
        payload: str | None = None,
        *,
        sticker: bool = False,
    ) -> list[dict[str, Any]]:
        before = len(self.platforms.sent[citizen.user_id])
        citizen.messages += 1
        if citizen.consented:
            citizen.after_consent += 1
        if text:
            citizen.texts_sent.append(text)
        await self.post(citizen, self._message_body(citizen, text, payload, sticker))
        replies = await self._wait_replies(citizen, before)
        if payload != "/handoff_end" and any(
            b["payload"] == "/handoff_end" for r in replies for b in buttons_of(r)
        ):
            # Not understood twice, so handed to a volunteer: this citizen goes back to the bot.
            await self.say(citizen, "Quay lại trợ lý", "/handoff_end")
        return replies

    async def follow(self, citizen: Citizen) -> list[dict[str, Any]]:
        before = len(self.platforms.sent[citizen.user_id])
        citizen.messages += 1  # a follow is answered with the welcome: it is a turn
        body = {
            "app_id": ZALO_APP_ID,
            "oa_id": OA_ID,
            "follower": {"id": citizen.user_id},
            "event_name": "follow",
            "source": "oa_profile",
            "timestamp": str(int(time.time() * 1000)),
        }
        await self.post(citizen, body)
        return await self._wait_replies(citizen, before)

    async def tap(
        self, citizen: Citizen, replies: list[dict[str, Any]], payload: str
    ) -> list[dict[str, Any]] | None:
        for reply in replies:
            for button in buttons_of(reply):
                if button["payload"] == payload:
                    return await self.say(citizen, button["title"], button["payload"])
        return None

    async def live(self, citizen: Citizen) -> None:
        """One citizen's day: a few questions, the consent notice, maybe a commune, ratings."""
        await asyncio.sleep(self.rng.random() * 3)
        answered = citizen.consent == "ignore"  # some people never answer the notice
        if citizen.follows:
            await self.follow(citizen)
        for i, question in enumerate(citizen.questions):
            if not answered:
                answered = await self._answer_notice(citizen)
            replies = await self.say(citizen, question)
            if not answered:
                answered = await self._answer_notice(citizen)
                if answered:
                    continue
            rate = [
                b for r in replies for b in buttons_of(r) if b["payload"].startswith("/feedback_")
            ]
            if rate and self.rng.random() < citizen.rates:
                helpful = self.rng.random() < 0.8
                await self.tap(
                    citizen, replies, "/feedback_positive" if helpful else "/feedback_negative"
                )
                if helpful:
                    citizen.helpful += 1
                else:
                    citizen.not_helpful += 1
            if citizen.sticker and i == 0:
                await self.say(citizen, sticker=True)
        # A notice that arrives late (the assistant is busy) is still read and answered.
        deadline = time.monotonic() + 30
        while not answered and time.monotonic() < deadline:
            answered = await self._answer_notice(citizen)
            if not answered:
                await asyncio.sleep(0.5)

    async def _answer_notice(self, citizen: Citizen) -> bool:
        """Answer the consent notice if it has arrived (at any time); True once answered."""
        history = self.platforms.sent[citizen.user_id]
        if not any(b["payload"] == "/consent_accept" for r in history for b in buttons_of(r)):
            return False
        if citizen.consent == "no":
            await self.tap(citizen, history, "/consent_decline")
            return True
        citizen.consented = True  # the tap itself is recorded with the reference
        start = len(history)
        await self.tap(citizen, history, "/consent_accept")
        if citizen.commune is not None:
            offer = await self._await_button(citizen, "/commune_choose", start)
            picked = await self.tap(citizen, offer, "/commune_choose")
            if picked is not None:
                name = citizen.commune.name
                typed = name if self.rng.random() < 0.5 else fold(name)
                replies = await self.say(citizen, typed)
                await self._pick_from(citizen, replies)
        return True

    async def _await_button(
        self, citizen: Citizen, payload: str, since: int, timeout: float = 20
    ) -> list[dict[str, Any]]:
        """Replies since `since` once one of them offers `payload` (late under load)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.platforms.sent[citizen.user_id][since:]
            if any(b["payload"] == payload for r in replies for b in buttons_of(r)):
                return replies
            await asyncio.sleep(0.2)
        return []

    async def _pick_from(self, citizen: Citizen, replies: list[dict[str, Any]]) -> None:
        """The commune was typed; if a list came back, tap the right unit."""
        assert citizen.commune is not None
        if not any(citizen.commune.label in (r.get("text") or "") for r in replies):
            replies = (
                await self.tap(citizen, replies, f"/commune_pick:{citizen.commune.key}") or []
            )
        if any(citizen.commune.label in (r.get("text") or "") for r in replies):
            citizen.commune_saved = True
        else:
            self.errors.append(f"commune not understood: {citizen.commune.name}")


def question_pool() -> list[str]:
    pool = []
    for line in HELDOUT.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        topic, _form, text = line.split("\t", 2)
        if topic not in SKIP_TOPICS and len(text.split()) > 1:
            pool.append(text)
    return pool


def make_citizens(n: int, rng: random.Random) -> tuple[list[Citizen], dict[str, list[str]]]:
    pool = question_pool()
    units = communes.load()
    secrets: dict[str, list[str]] = {"phone": [], "cccd": [], "account": [], "otp": []}
    people = []
    for i in range(n):
        channel = "zalo" if i % 2 else "facebook"
        user_id = (
            f"{rng.randrange(10**18, 10**19)}"
            if channel == "zalo"
            else f"{rng.randrange(10**15, 10**16)}"
        )
        questions = rng.sample(pool, rng.randint(2, 6))
        if rng.random() < 0.35:
            phone = f"09{rng.randrange(10**7, 10**8)}"
            cccd = f"0{rng.randrange(10**10, 10**11)}"
            account = f"{rng.randrange(10**11, 10**12)}"
            otp = f"{rng.randrange(100000, 999999)}"
            secrets["phone"].append(phone)
            secrets["cccd"].append(cccd)
            secrets["account"].append(account)
            secrets["otp"].append(otp)
            template = rng.choice(PERSONAL + GIBBERISH)
            questions.insert(
                rng.randrange(len(questions) + 1),
                template.format(phone=phone, cccd=cccd, account=account, otp=otp),
            )
        roll = rng.random()
        consent = "yes" if roll < 0.7 else "no" if roll < 0.85 else "ignore"
        people.append(
            Citizen(
                channel=channel,
                user_id=user_id,
                consent=consent,
                commune=rng.choice(units) if consent == "yes" and rng.random() < 0.6 else None,
                questions=questions,
                follows=channel == "zalo" and rng.random() < 0.5,
                rates=0.4,
                sticker=rng.random() < 0.05,
            )
        )
    return people, secrets


# -- reading the admin side -----------------------------------------------------------------
async def admin_views(
    session: aiohttp.ClientSession, base: str, first: date, last: date
) -> tuple[str, dict[str, Any], dict[str, Any], bytes, bytes]:
    html = await (await session.get(f"{base}/admin/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None, "no CSRF token on the login page"
    resp = await session.post(
        f"{base}/admin/login",
        data={"csrf": token.group(1), "username": "admin", "password": ADMIN_PASSWORD},
        allow_redirects=False,
    )
    assert resp.status == 302, f"login failed: {resp.status}"
    span = f"from={first.isoformat()}&to={last.isoformat()}"
    page = await (await session.get(f"{base}/admin?{span}")).text()
    stats = await (await session.get(f"{base}/admin/api/stats?{span}")).json()
    month = first.strftime("%Y-%m")
    month_end = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    month_stats = await (
        await session.get(f"{base}/admin/api/stats?from={first.replace(day=1)}&to={month_end}")
    ).json()
    xlsx = await (await session.get(f"{base}/admin/report?month={month}&format=xlsx")).read()
    csv_bytes = await (await session.get(f"{base}/admin/report?month={month}&format=csv")).read()
    return page, stats, month_stats, xlsx, csv_bytes


def html_cell(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', page)
    return found.group(1).strip() if found else "?"


def html_table(page: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    if not found:
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[c.strip() for c in row] for row in cells if row]


class Checks:
    def __init__(self) -> None:
        self.lines: list[tuple[bool, str]] = []

    def equal(self, what: str, *values: Any) -> None:
        ok = all(v == values[0] for v in values)
        self.lines.append((ok, f"{what}: {' = '.join(str(v) for v in values)}"))

    def true(self, what: str, ok: bool, detail: str = "") -> None:
        self.lines.append((ok, f"{what}{': ' + detail if detail else ''}"))

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.lines)


def verify(
    citizens: list[Citizen],
    platforms: Platforms,
    page: str,
    stats: dict[str, Any],
    month_stats: dict[str, Any],
    xlsx: bytes,
    csv_bytes: bytes,
    log_text: str,
    database_url: str,
    secrets: dict[str, list[str]],
    errors: list[str],
) -> Checks:
    checks = Checks()
    checks.true("no webhook errors and every message answered", not errors, "; ".join(errors[:3]))
    sent_messages = sum(c.messages for c in citizens)
    consenting = [c for c in citizens if c.consented]
    anonymous = sent_messages - sum(c.after_consent for c in consenting)
    book = load_workbook(io.BytesIO(xlsx))
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    reached = "Số người được tiếp cận (người dùng đã hỏi, có đồng ý lưu dữ liệu)"

    checks.equal(
        "messages (sent, JSON, page, workbook)",
        sent_messages,
        stats["messages"],
        int(html_cell(page, "total-messages")),
        summary["Số câu hỏi (lượt hỏi đáp)"],
    )
    checks.equal(
        "people who consented",
        len(consenting),
        stats["users"],
        int(html_cell(page, "total-users")),
        summary[reached],
    )
    checks.equal(
        "anonymous messages",
        anonymous,
        stats["anonymous_messages"],
        int(html_cell(page, "total-anonymous")),
        summary["Trong đó: câu hỏi ẩn danh (không đồng ý lưu dữ liệu)"],
    )
    checks.equal(
        "conversations",
        len(citizens),
        stats["conversations"],
        int(html_cell(page, "total-conversations")),
        summary["Số cuộc trò chuyện"],
    )
    received = sum(platforms.by_channel.values())
    checks.equal(
        "replies (received by the platforms, JSON, page, workbook)",
        received,
        stats["replies"],
        int(html_cell(page, "total-replies")),
        summary["Số tin trả lời đã gửi"],
        stats["sends"].get("sent", 0),
    )
    for channel in ("facebook", "zalo"):
        people = [c for c in citizens if c.channel == channel]
        row = stats["by_channel"].get(channel, {})
        checks.equal(f"{channel}: messages", sum(c.messages for c in people), row.get("messages"))
        checks.equal(f"{channel}: replies", platforms.by_channel[channel], row.get("replies"))
        checks.equal(
            f"{channel}: people who consented",
            sum(1 for c in people if c.consented),
            row.get("users"),
        )
    helpful = sum(c.helpful for c in citizens)
    not_helpful = sum(c.not_helpful for c in citizens)
    checks.equal(
        "rated helpful", helpful, stats["satisfaction"]["helpful"], summary["Đánh giá hữu ích"]
    )
    checks.equal(
        "rated not helpful",
        not_helpful,
        stats["satisfaction"]["not_helpful"],
        summary["Đánh giá chưa hữu ích"],
    )
    checks.equal(
        "new Zalo followers",
        sum(c.follows for c in citizens),
        stats["followers"]["new"],
        summary["Người theo dõi mới (Zalo OA)"],
    )
    checks.equal(
        "fallbacks (JSON, workbook)",
        stats["fallbacks"],
        summary["Số câu không trả lời được (chuyển hướng)"],
    )
    expected_communes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in consenting:
        name = c.commune.name if c.commune and c.commune_saved else "Chưa cho biết"
        expected_communes[name][0] += 1
        expected_communes[name][1] += c.after_consent
    got = {k: [v["users"], v["messages"]] for k, v in stats["by_commune"].items()}
    checks.equal(
        "per commune (sent, JSON)",
        dict(sorted(expected_communes.items())),
        dict(sorted(got.items())),
    )
    # The page and the workbook show communes as on official papers ("Phường Hòa Thắng").
    labels = {u.label: u.name for u in communes.load()}
    page_communes = {
        labels.get(row[0], row[0]): [int(row[1]), int(row[2])]
        for row in html_table(page, "by-commune")
    }
    checks.equal(
        "per commune (JSON, page)", dict(sorted(got.items())), dict(sorted(page_communes.items()))
    )
    sheet = {
        labels.get(r[0], r[0]): [r[1], r[2]]
        for r in book["Theo xã, phường"].iter_rows(min_row=2, values_only=True)
        if r[1] or r[2]
    }
    checks.equal(
        "per commune (JSON, workbook)", dict(sorted(got.items())), dict(sorted(sheet.items()))
    )
    topics = {r[0]: r[1] for r in book["Theo chủ đề"].iter_rows(min_row=2, values_only=True)}
    names = topic_names()
    # The workbook names topics in Vietnamese; the JSON keeps their ids.
    named = {names.get(topic, topic): n for topic, n in stats["by_topic"].items()}
    checks.equal("per topic (JSON, workbook)", named, topics)
    checks.equal(
        "per day sums to the total",
        sum(d["messages"] for d in stats["per_day"]),
        stats["messages"],
    )
    unanswered_page = [(q, int(n)) for q, n in html_table(page, "unanswered") if n.isdigit()]
    unanswered_book = [
        list(r) for r in book["Chưa trả lời được"].iter_rows(min_row=2, values_only=True)
    ]
    checks.equal(
        "unanswered questions (JSON, page, workbook)",
        [[q["text"], q["count"]] for q in stats["unanswered"]],
        [[unescape(q), n] for q, n in unanswered_page],
        unanswered_book,
    )
    same_month = {k: v for k, v in month_stats.items() if k not in ("from", "to", "per_day")}
    same_day = {k: v for k, v in stats.items() if k not in ("from", "to", "per_day")}
    checks.equal("the month's figures are the day's (one day of traffic)", same_day, same_month)
    checks.true(
        "CSV export has the same total",
        f"Số câu hỏi (lượt hỏi đáp),{stats['messages']}" in csv_bytes.decode("utf-8-sig"),
    )

    # Privacy: raw ids, phone and ID numbers nowhere an admin or an operator looks.
    raw_ids = [c.user_id for c in citizens]
    numbers = [n for values in secrets.values() for n in values]
    book_text = "\n".join(
        str(v)
        for s in book.worksheets
        for row in s.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    exports = {
        "dashboard": page,
        "JSON": json.dumps(stats, ensure_ascii=False),
        "workbook": book_text,
        "CSV": csv_bytes.decode("utf-8-sig"),
        "server log": log_text,
    }
    for name, text in exports.items():
        leaks = found_in(raw_ids + numbers, text)
        checks.true(
            f"no raw id or personal number in the {name}", not leaks, f"{len(leaks)} found"
        )
    dump, texts = database_dump(database_url)
    # Six-digit OTPs also occur inside timestamps: they are looked for in stored texts only.
    long_numbers = [n for key, values in secrets.items() if key != "otp" for n in values]
    leaks = found_in(raw_ids + long_numbers, dump) + found_in(secrets["otp"], texts)
    checks.true(
        "no raw id or personal number in the database outside recipients",
        not leaks,
        f"{len(leaks)} found",
    )
    stored = sum(1 for c in consenting for t in c.texts_sent if any(d.isdigit() for d in t))
    checks.true("messages with numbers were stored masked", stored == 0 or "[" in dump)
    return checks


def database_dump(url: str) -> tuple[str, str]:
    """Every value of every table (raw platform ids blanked in `recipients`, the one place they
    may live), and the stored message texts. Works on SQLite and PostgreSQL alike."""
    engine = sa.create_engine(sync_url(url))
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        lines = []
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    values = dict(row._mapping)
                    if table.name == "recipients":
                        values["platform_user_id"] = "-"
                    lines.append(f"{table.name}: {values}")
            texts = [str(t) for (t,) in conn.execute(sa.text("SELECT text FROM messages"))]
            # Tracker events: the texts only (their JSON also holds timestamps full of digits).
            for (data,) in conn.execute(sa.text("SELECT data FROM events")):
                with contextlib.suppress(ValueError, TypeError):
                    texts.append(str(json.loads(data).get("text") or ""))
    finally:
        engine.dispose()
    return "\n".join(lines), "\n".join(texts)


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database named in `url` (the simulation's own)."""
    target = sync_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = target.database
    if not name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit("the simulation database name must be [a-z0-9_]+")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def found_in(values: list[str], text: str) -> list[str]:
    """Values that occur in `text` as whole numbers (a 6-digit OTP inside a timestamp is not)."""
    digits = set(re.findall(r"\d+", text))
    return [v for v in values if v in digits]


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    citizens, secrets = make_citizens(args.users, rng)
    platforms = Platforms()
    await platforms.start()
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="khdx-sim-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'sim.db'}"
    if database_url.startswith("postgresql"):
        fresh_database(database_url)
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "VAR_DIR": str(workdir / "var"),
        "PSEUDONYM_KEY": "sim-pseudonym-key",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LOG_LEVEL": "DEBUG",
        "FACEBOOK_APP_SECRET": FB_SECRET,
        "FACEBOOK_VERIFY_TOKEN": "sim-verify",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "sim-page-token",
        "FACEBOOK_GRAPH_URL": f"{platforms.url}/v21.0",
        "ZALO_APP_ID": ZALO_APP_ID,
        "ZALO_APP_SECRET": "sim-zalo-app-secret",
        "ZALO_OA_SECRET_KEY": ZALO_OA_SECRET,
        "ZALO_ACCESS_TOKEN": "AT-sim-1",
        "ZALO_REFRESH_TOKEN": "RT-sim-1",
        "ZALO_API_URL": platforms.url,
        "ZALO_OAUTH_URL": platforms.url,
    }
    log_path = workdir / "server.log"
    base = f"http://127.0.0.1:{port}"
    first_day = datetime.now(VIETNAM).date()
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Cookies from 127.0.0.1, whose Secure admin cookie a browser keeps on loopback too.
            jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
            async with aiohttp.ClientSession(cookie_jar=jar) as session:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    try:
                        async with session.get(f"{base}/readyz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if server.poll() is not None:
                        raise SystemExit(f"the server exited; see {log_path}")
                    await asyncio.sleep(0.3)
                sim = Simulation(base, platforms, rng)
                sim.session = session
                started = time.monotonic()
                limit = asyncio.Semaphore(args.concurrency)

                async def one(citizen: Citizen) -> None:
                    async with limit:
                        await sim.live(citizen)

                await asyncio.gather(*(one(c) for c in citizens))
                elapsed = time.monotonic() - started
                while time.monotonic() - platforms.last_send < 2:  # the outbox drains
                    await asyncio.sleep(0.2)
                for citizen in citizens:
                    history = platforms.sent[citizen.user_id]
                    if not any(
                        b["payload"] == "/consent_accept" for r in history for b in buttons_of(r)
                    ):
                        sim.errors.append("a citizen never got the consent notice")
                last_day = datetime.now(VIETNAM).date()
                views = await admin_views(session, base, first_day, last_day)
        finally:
            server.terminate()
            server.wait(30)
    await platforms.close()
    checks = verify(
        citizens,
        platforms,
        *views,
        log_path.read_text(errors="replace"),
        database_url,
        secrets,
        sim.errors,
    )
    sent = sum(c.messages for c in citizens)
    print(
        f"simulated day: {len(citizens)} citizens, {sent} messages in {elapsed:.0f} s "
        f"({sent / elapsed:.1f} msg/s), {sum(platforms.by_channel.values())} replies"
    )
    print(
        f"consent: {sum(c.consented for c in citizens)} yes, "
        f"{sum(c.consent == 'no' for c in citizens)} no, "
        f"{sum(c.consent == 'ignore' for c in citizens)} ignored"
    )
    for ok, line in checks.lines:
        print(("ok    " if ok else "FAIL  ") + line[:300])
    print("all checks passed" if checks.ok else "SOME CHECKS FAILED", f"(files in {workdir})")
    return 0 if checks.ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=60)
    parser.add_argument("--keep", help="directory for the database and the server log")
    parser.add_argument(
        "--database-url",
        help="postgresql+asyncpg://... to run on PostgreSQL (the database is recreated)",
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
