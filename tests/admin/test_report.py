"""The monthly workbook: downloaded from the dashboard, opened and checked cell by cell against
/admin/api/stats for the same month."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from openpyxl import load_workbook

from bot.core.vntime import local_day
from bot.engine.topics import topic_names
from bot.settings import PROJECT_ROOT
from tests.fakes.channels import Channels, fb_text, login


async def test_workbook_agrees_with_the_stats(channels: Channels, tmp_path: Path) -> None:
    # The messages are recorded now: the report is of this month in Vietnam.
    first = local_day(datetime.now(timezone.utc)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    month = first.strftime("%Y-%m")
    channels.consented("facebook", "700", "701", commune="Cam Lâm")
    channels.consented("facebook", "702", "703")
    client = channels.client
    for i, text in enumerate(
        ["chuyen doi so la gi", "vneid muc 2 dang ky o dau", "gia vang hom nay", "rat huu ich"]
    ):
        assert (await channels.post_facebook(fb_text(f"70{i}", text, f"m_r{i}"))).status == 200
    await channels.graph.wait_messages(4)
    await asyncio.sleep(0.5)
    assert (await client.get(f"/admin/report?month={month}", allow_redirects=False)).status == 302
    await login(channels)
    stats = await (await client.get(f"/admin/api/stats?from={first}&to={last}")).json()
    resp = await client.get(f"/admin/report?month={month}&format=xlsx")
    assert resp.status == 200
    assert f"bao-cao-chuyen-doi-so-{month}.xlsx" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await resp.read()))
    assert book.sheetnames == [
        "Tổng hợp",
        "Theo nội dung",
        "Theo chủ đề",
        "Theo kênh",
        "Theo xã, phường",
        "Hài lòng",
        "Cuộc thi",
        "Bản tin",
        "Tình nguyện viên",
        "Hỗ trợ trực tuyến theo xã",
        "Hỗ trợ trực tuyến theo TNV",
        "Chưa trả lời được",
        "Theo ngày",
    ]
    summary = {row[0].value: row[1].value for row in book["Tổng hợp"].iter_rows(min_row=2)}
    assert summary["Kỳ báo cáo"] == f"{first} đến {last}"
    reached = "Số người được tiếp cận (người dùng đã hỏi, có đồng ý lưu dữ liệu)"
    assert summary[reached] == stats["users"] == 4
    assert summary["Số cuộc trò chuyện"] == stats["conversations"] == 4
    assert summary["Số câu hỏi (lượt hỏi đáp)"] == stats["messages"] == 4
    assert summary["Số câu không trả lời được (chuyển hướng)"] == stats["fallbacks"] == 1
    assert summary["Số câu trả lời được"] == 3
    assert summary["Đánh giá hữu ích"] == 1
    areas = {row[0].value: row[1].value for row in book["Theo nội dung"].iter_rows(min_row=2)}
    assert areas["Nội dung cơ bản, tầm quan trọng, mục tiêu của chuyển đổi số"] == 1
    assert areas["Chính quyền số (dịch vụ công, định danh điện tử)"] == 1
    assert sum(areas.values()) == stats["messages"]
    topics = {row[0].value: row[1].value for row in book["Theo chủ đề"].iter_rows(min_row=2)}
    # Topics by their Vietnamese names (content/topics.yml), the same counts as the API's ids.
    named = {topic_names()[t]: n for t, n in stats["by_topic"].items()}
    assert topics == named
    assert named["Kiến thức cơ bản về chuyển đổi số"] == 1
    channels_sheet = [[c.value for c in row] for row in book["Theo kênh"].iter_rows(min_row=2)]
    assert channels_sheet == [["Facebook Messenger", 4, 4, stats["replies"]]]
    assert stats["replies"] == len(channels.graph.messages())
    communes = [[c.value for c in row] for row in book["Theo xã, phường"].iter_rows(min_row=2)]
    assert len(communes) == 65 + 1  # every unit, then "not given"
    assert ["Xã Cam Lâm", 2, 2] in communes
    assert communes[-1] == ["Chưa cho biết", 2, 2]
    assert sum(row[2] for row in communes) == stats["messages"]
    unanswered = [[c.value for c in row] for row in book["Chưa trả lời được"].iter_rows(min_row=2)]
    assert unanswered == [["gia vang hom nay", 1]]
    days = list(book["Theo ngày"].iter_rows(min_row=2))
    assert len(days) == last.day
    assert sum(row[1].value for row in days) == 4
    for sheet in book.worksheets:  # no raw platform id anywhere
        for row in sheet.iter_rows(values_only=True):
            assert not any(str(v).startswith("70") and len(str(v)) == 3 for v in row if v)

    as_csv = await (await client.get(f"/admin/report?month={month}&format=csv")).read()
    text = as_csv.decode("utf-8-sig")
    assert "Số câu hỏi (lượt hỏi đáp),4" in text
    assert list(csv.reader(io.StringIO(text)))[0] == ["Tổng hợp"]


def test_report_cli_writes_the_workbook(tmp_path: Path) -> None:
    out = tmp_path / "bao-cao.xlsx"
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--month", "2026-10", "--out", str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    book = load_workbook(out)
    assert book["Tổng hợp"]["B2"].value == "2026-10-01 đến 2026-10-31"
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--month", "tháng-10"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
