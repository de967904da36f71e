"""The dashboard officials read at a glance: Vietnamese names in place of ids, server-drawn
charts, this month against the last, and the printable page for the steering committee.

Messages are recorded through the assistant's own recorder (bot.conversation.recording) at
chosen instants, so that two months hold known figures; the app is the real one on SQLite."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.conversation.citizens import GRANTED, Citizen
from bot.conversation.recording import MessageRecorder
from bot.core import communes
from bot.core.vntime import local
from bot.engine.runner import TurnResult
from bot.runtime.app import create_app
from bot.web import keys
from bot.web.edge import ref_for
from tests.conftest import ClientFactory
from tests.fakes.channels import OA_ID, PAGE_ID, Channels, channel_settings, login
from tests.fakes.platforms import FakeGraph, FakeZalo
from tests.fakes.server import served

PAGES = {"facebook": PAGE_ID, "zalo": OA_ID, "web": "web"}
IDS = ("scam_awareness", "data_rights", "smalltalk", "out_of_scope", "vneid")


@pytest.fixture
async def admin(
    aiohttp_client: ClientFactory, tmp_path: Path, graph: FakeGraph, zalo: FakeZalo
) -> Channels:
    """The whole app with both channels on; no model is needed to read figures."""
    settings = channel_settings(
        tmp_path, graph, zalo, MODEL_PATH=str(tmp_path / "no-model.tar.gz")
    )
    client = await served(aiohttp_client, create_app(settings))
    return Channels(client, settings, graph, zalo)


def _at(day: str, hour: int = 10) -> datetime:
    """10:00 Vietnam time on `day`, as the recorder's clock gives it (UTC)."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+07:00").astimezone(timezone.utc)


async def record(
    channels: Channels,
    when: datetime,
    platform: str,
    user: str,
    topic: str,
    *,
    fallback: bool = False,
) -> None:
    """One question of a consented citizen (see `Channels.consented`), recorded at `when`."""
    app = channels.client.app
    recorder = MessageRecorder(app[keys.services_key].writer, lambda: when)
    ref = ref_for(app, platform, PAGES[platform], user)
    commune = channels.rows(f"SELECT commune FROM citizens WHERE user_ref = '{ref}'")[0][0]  # noqa: S608
    citizen = Citizen(ref=ref, channel=platform, consent=GRANTED, commune=commune)
    intent = None if fallback else f"{topic}_question"
    result = TurnResult(replies=[], intent=intent, confidence=0.9, fallback=fallback)
    await recorder.inbound(citizen, platform, topic, result, "câu hỏi")


async def seed_two_months(channels: Channels) -> None:
    """September 2026: 4 questions from 2 people, 3 answered. October 2026: 6 questions from
    3 people, 5 answered, on three channels."""
    channels.consented("zalo", "a", commune="Cam Lâm")
    channels.consented("zalo", "b")
    channels.consented("facebook", "c", commune="Cam Lâm")
    channels.consented("web", "d", commune="Nam Cam Ranh")
    september = [
        ("2026-09-03", "zalo", "a", "scam_awareness", False),
        ("2026-09-03", "zalo", "a", "scam_awareness", False),
        ("2026-09-20", "zalo", "b", "vneid", False),
        ("2026-09-30", "zalo", "b", "out_of_scope", True),
    ]
    october = [
        ("2026-10-01", "zalo", "a", "scam_awareness", False),
        ("2026-10-01", "facebook", "c", "scam_awareness", False),
        ("2026-10-15", "facebook", "c", "scam_awareness", False),
        ("2026-10-15", "web", "d", "data_rights", False),
        ("2026-10-31", "web", "d", "smalltalk", False),
        ("2026-10-31", "zalo", "a", "out_of_scope", True),
    ]
    for day, platform, user, topic, fallback in september + october:
        await record(channels, _at(day), platform, user, topic, fallback=fallback)


def _svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


def _row(html: str, row_id: str) -> list[str]:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row {row_id}"
    return re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))


async def test_dashboard_shows_names_charts_and_last_month(admin: Channels) -> None:
    await seed_two_months(admin)
    await login(admin)
    page = await admin.client.get("/admin?from=2026-10-01&to=2026-10-31")
    assert page.status == 200
    html = await page.text()

    assert "Lừa đảo trực tuyến" in html
    assert "Quyền về dữ liệu cá nhân" in html
    assert "Chào hỏi, trò chuyện" in html
    for topic_id in IDS:
        assert topic_id not in html
    assert "Zalo OA" in html and "Trò chuyện trên web" in html
    assert ">zalo<" not in html and ">web<" not in html
    assert "<td>Xã Cam Lâm</td>" in html

    daily = _svg(html, "chart-daily")
    assert daily.count('<rect class="bar"') == 31  # a column a day of October
    assert "<title" in daily and "<desc" in daily
    topics = _svg(html, "chart-topics")
    assert topics.count('<rect class="bar"') == 4  # scams, data rights, greetings, out of scope
    assert re.search(r"<title>Lừa đảo trực tuyến: 3 câu hỏi</title>", topics)
    assert "<tr><td>Lừa đảo trực tuyến</td><td>3</td><td>50,0%</td></tr>" in html

    assert "Tháng 10/2026 so với tháng 09/2026" in html
    assert _row(html, "compare-messages") == ["6", "4", "+2 (+50,0%)"]
    assert _row(html, "compare-users") == ["3", "2", "+1 (+50,0%)"]
    assert _row(html, "compare-answered") == ["83,3%", "75,0%", "+8,3 điểm %"]
    assert _row(html, "compare-satisfied") == ["—", "—", "—"]  # nobody rated: no rate


async def test_a_month_after_an_empty_one_divides_by_nothing(admin: Channels) -> None:
    await seed_two_months(admin)
    await login(admin)
    html = await (await admin.client.get("/admin?from=2026-09-01&to=2026-09-30")).text()
    assert _row(html, "compare-messages") == ["4", "0", "+4 (tháng trước chưa có)"]
    assert _row(html, "compare-answered") == ["75,0%", "—", "—"]
    empty = await (await admin.client.get("/admin?from=2026-07-01&to=2026-07-31")).text()
    assert _row(empty, "compare-messages") == ["0", "0", "0"]
    assert "Chưa có dữ liệu." in empty


async def test_communes_chart_keeps_the_top_15_and_adds_up_the_rest(admin: Channels) -> None:
    units = communes.load()[:17]
    for i, unit in enumerate(units):
        admin.consented("web", f"u{i}", commune=unit.name)
        # The first unit asks 17 times, the last once: a clear order.
        for _ in range(17 - i):
            await record(admin, _at("2026-08-10"), "web", f"u{i}", "vneid")
    await login(admin)
    html = await (await admin.client.get("/admin?from=2026-08-01&to=2026-08-31")).text()
    chart = _svg(html, "chart-communes")
    assert chart.count('<rect class="bar') == 16
    assert chart.count('<rect class="bar muted"') == 1  # the rest, added up, in grey
    assert f"{units[0].label}: 17 câu hỏi" in chart
    assert "Các xã, phường khác (2): 3 câu hỏi" in chart  # 2 + 1
    assert units[16].label not in chart
    assert f"<td>{units[16].label}</td>" in html  # the table keeps every one
    admin.consented("web", "anonymous-place")  # no commune given
    await record(admin, _at("2026-08-11"), "web", "anonymous-place", "vneid")
    html = await (await admin.client.get("/admin?from=2026-08-01&to=2026-08-31")).text()
    chart = _svg(html, "chart-communes")
    assert chart.count('<rect class="bar') == 17  # the same 16, then "not given" last
    assert chart.rindex("Chưa cho biết: 1 câu hỏi") > chart.index("Các xã, phường khác (2)")


async def test_printable_page_for_the_steering_committee(admin: Channels) -> None:
    await seed_two_months(admin)
    resp = await admin.client.get("/admin/report/print?month=2026-10", allow_redirects=False)
    assert resp.status == 302  # signed in only
    await login(admin)
    resp = await admin.client.get("/admin/report/print?month=2026-10")
    assert resp.status == 200
    html = await resp.text()
    assert "Ban Chỉ đạo chuyển đổi số tỉnh Khánh Hòa" in html
    assert "Tháng 10/2026" in html
    today = local(datetime.now(timezone.utc))
    printed = {f"{d:%d/%m/%Y}" for d in (today, today - timedelta(minutes=1))}
    assert any(f"Ngày in: {p}" in html for p in printed)
    assert "<nav" not in html and "Đăng xuất" not in html
    assert _row(html, "compare-messages") == ["6", "4", "+2 (+50,0%)"]
    assert _svg(html, "chart-daily").count('<rect class="bar"') == 31
    assert _svg(html, "chart-topics").count('<rect class="bar"') == 4
    assert '<details id="per-day" open>' in html  # the day table is printed too
    assert "Lừa đảo trực tuyến" in html
    for topic_id in IDS:
        assert topic_id not in html
    # Scams and data rights count for the plan's "self-protection" content area.
    safety = "Tự bảo vệ thông tin, kỹ năng an toàn, an ninh mạng"
    assert f"<tr><td>{safety}</td><td>4</td></tr>" in html
    assert 'href="/admin/admin.css"' in html
    css = await (await admin.client.get("/admin/admin.css")).text()
    assert "@media print" in css and "size: A4" in css

    bad = await admin.client.get("/admin/report/print?month=2026-13")
    assert bad.status == 400


async def test_workbook_names_topics_and_channels(admin: Channels) -> None:
    await seed_two_months(admin)
    await login(admin)
    resp = await admin.client.get("/admin/report?month=2026-10&format=xlsx")
    book = load_workbook(io.BytesIO(await resp.read()))
    topics = {row[0].value: row[1].value for row in book["Theo chủ đề"].iter_rows(min_row=2)}
    assert topics == {
        "Lừa đảo trực tuyến": 3,
        "Quyền về dữ liệu cá nhân": 1,
        "Chào hỏi, trò chuyện": 1,
        "Ngoài phạm vi": 1,
    }
    channels = {row[0].value for row in book["Theo kênh"].iter_rows(min_row=2)}
    assert channels == {"Zalo OA", "Facebook Messenger", "Trò chuyện trên web"}
