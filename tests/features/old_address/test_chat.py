"""Old addresses through the web chat on the real model: questions about old units get their new
units, ordinary questions still reach the NLU, and what is recorded."""

from __future__ import annotations

import csv
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.core.communes import OLD_TO_NEW_CSV
from bot.nlu.text import fold
from bot.settings import Settings
from tests.fakes.channels import web_sender

# Every sixth row of the table: units of both former provinces, the same ones every run.
STEP = 6


async def ask(client: TestClient, message: str, sender: str) -> list[dict[str, Any]]:
    resp = await client.post(
        "/webhooks/web", json={"sender": web_sender(client.app, sender), "message": message}
    )
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["replies"])


def recorded(settings: Settings) -> list[tuple[str, str]]:
    path = Path(settings.database_url.split("///", 1)[1])
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT intent, topic FROM messages WHERE direction = 'in' ORDER BY id"
        ).fetchall()


def sample() -> list[tuple[str, str, str, set[str]]]:
    """(province, district, old unit, its new units), from every STEP-th row."""
    with OLD_TO_NEW_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    went: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in rows:
        went[row["old_province"], row["old_district"], row["old_unit"]].add(row["new_unit"])
    picked = dict.fromkeys(
        (r["old_province"], r["old_district"], r["old_unit"]) for r in rows[::STEP]
    )
    return [(*old, went[old]) for old in picked]


async def test_thirty_old_units_of_both_provinces_get_their_new_units(
    client: TestClient, settings: Settings
) -> None:
    units = sample()
    assert len(units) >= 30
    assert {province for province, *_ in units} == {"Khánh Hòa", "Ninh Thuận"}
    for i, (_, district, old, new) in enumerate(units):
        question = f"{old} cũ nay thuộc xã, phường nào?"
        if i % 2:
            question = fold(question)  # typed without diacritics
        replies = await ask(client, question, f"old-unit-{i}")
        text = replies[0]["text"]
        assert f"{old} ({district}," in text, question
        for unit in new:
            assert unit in text, (question, unit)
        assert "(từ 1/7/2025)" in text and "Dữ liệu hành chính: VietMap" in text
    assert set(recorded(settings)) == {("old_address", "digital_government")}


async def test_the_issue_questions_in_the_chat(client: TestClient, settings: Settings) -> None:
    sender = "old-questions"
    ward = await ask(client, "phường Vĩnh Hải cũ nay thuộc phường nào", sender)
    assert "nay thuộc Phường Bắc Nha Trang (từ 1/7/2025)" in ward[0]["text"]
    assert "mình xin lưu câu hỏi của bạn" in ward[-1]["text"]  # the notice on first contact
    commune = await ask(client, "xa cam hai dong gio la xa gi", sender)
    assert "nay thuộc Xã Cam Lâm" in commune[0]["text"]
    district = await ask(client, "huyện Diên Khánh còn không", sender)
    assert "không còn: cấp huyện đã bỏ từ 1/7/2025" in district[0]["text"]
    town = await ask(client, "thi tran cam duc bay gio thuoc dau", sender)
    assert (
        "Thị trấn Cam Đức (Huyện Cam Lâm, tỉnh Khánh Hòa cũ) nay thuộc Xã Cam Lâm"
        in (town[0]["text"])
    )
    office = await ask(client, "bộ phận một cửa xã Cam Lâm ở đâu", sender)
    assert "hanhchinhcong.khanhhoa.gov.vn" in office[0]["text"]
    assert recorded(settings) == [
        ("old_address", "digital_government"),
        ("old_address", "digital_government"),
        ("old_address", "digital_government"),
        ("old_address", "digital_government"),
        ("commune_office", "public_services"),
    ]


async def test_ordinary_questions_still_reach_the_nlu(
    client: TestClient, settings: Settings
) -> None:
    sender = "ordinary"
    level2 = await ask(client, "VNeID mức 2 đăng ký ở đâu", sender)
    assert "công an" in level2[0]["text"]
    what = await ask(client, "chuyen doi so la gi", sender)
    assert "Chuyển đổi số là" in what[0]["text"]
    await ask(client, "UBND tỉnh Khánh Hòa", sender)
    intents = [intent for intent, _ in recorded(settings)]
    assert len(intents) == 3
    assert not {"old_address", "commune_office"} & set(intents)
