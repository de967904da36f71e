"""An old name typed after "Chọn xã": stored as the unit it is now, asked back when it is an old
district or a split unit, and counted for the new unit on the dashboard and in the report."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.core.vntime import local_day
from bot.web import keys
from tests.fakes.channels import Channels, login, web_sender


async def say(client: TestClient, message: str, sender: str) -> list[dict[str, Any]]:
    resp = await client.post(
        "/webhooks/web", json={"sender": web_sender(client.app, sender), "message": message}
    )
    if resp.status == 429:  # faster than a person types: wait as asked, once
        await asyncio.sleep(float(resp.headers["Retry-After"]))
        return await say(client, message, sender)
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["replies"])


def titles(reply: dict[str, Any]) -> list[str]:
    return [b["title"] for b in reply["buttons"]]


async def choose(client: TestClient, sender: str) -> None:
    accepted = await say(client, "/consent_accept", sender)
    assert "/commune_choose" in [b["payload"] for b in accepted[0]["buttons"]]
    await say(client, "/commune_choose", sender)


async def test_an_old_ward_counts_for_its_new_unit_in_the_report(channels: Channels) -> None:
    client = channels.client
    sender = "old-ward-citizen"
    await choose(client, sender)
    saved = await say(client, "phường Vĩnh Hải", sender)
    assert "Đã ghi nhận: Phường Bắc Nha Trang (gồm Phường Vĩnh Hải cũ)" in saved[0]["text"]
    assert channels.rows("SELECT commune FROM citizens") == [("Bắc Nha Trang",)]
    await say(client, "chuyen doi so la gi", sender)

    await login(channels)
    stats = await (await client.get("/admin/api/stats")).json()
    assert stats["by_commune"]["Bắc Nha Trang"]["users"] == 1
    assert "Vĩnh Hải" not in stats["by_commune"]
    asked = stats["by_commune"]["Bắc Nha Trang"]["messages"]
    assert asked >= 1

    month = local_day(client.app[keys.services_key].clock()).strftime("%Y-%m")
    resp = await client.get(f"/admin/report?month={month}&format=xlsx")
    assert resp.status == 200
    book = load_workbook(io.BytesIO(await resp.read()))
    sheet = {row[0]: row[1:] for row in book["Theo xã, phường"].iter_rows(values_only=True)}
    assert sheet["Phường Bắc Nha Trang"] == (1, asked)
    assert sheet["Xã Vĩnh Hải"] == (0, 0)


async def test_old_districts_and_split_units_are_asked_back_with_buttons(
    client: TestClient,
) -> None:
    sender = "old-district-citizen"
    await choose(client, sender)
    district = await say(client, "huyện Diên Khánh", sender)
    assert "Huyện Diên Khánh không còn từ 1/7/2025" in district[0]["text"]
    assert set(titles(district[0])) == {
        "Diên Khánh", "Diên Lạc", "Diên Điền", "Diên Lâm", "Diên Thọ", "Suối Hiệp",
    }  # fmt: skip
    city = await say(client, "Phan Rang - Tháp Chàm", sender)
    assert {"Phan Rang", "Đông Hải", "Bảo An", "Ninh Chử", "Đô Vinh"} <= set(titles(city[0]))
    split = await say(client, "xa cam tan", sender)
    assert "Xã Cam Tân cũ nay chia về 3 đơn vị" in split[0]["text"]
    pick = next(b for b in split[0]["buttons"] if b["title"] == "Suối Dầu")
    saved = await say(client, pick["payload"], sender)
    assert "Đã ghi nhận: Xã Suối Dầu" in saved[0]["text"]

    await say(client, "đổi xã", sender)
    shared = await say(client, "Vĩnh Hải", sender)  # the current xã, or the old Nha Trang ward
    assert set(titles(shared[0])) == {"Vĩnh Hải", "Bắc Nha Trang"}
    for typed, unit in (("Vĩnh Nguyên", "Phường Nha Trang"), ("TT Vạn Giã", "Xã Vạn Ninh")):
        await say(client, "đổi xã", sender)
        assert f"Đã ghi nhận: {unit}" in (await say(client, typed, sender))[0]["text"]
    await say(client, "đổi xã", sender)
    assert "Đã ghi nhận: Xã Cam Lâm" in (await say(client, "cam duc", sender))[0]["text"]
