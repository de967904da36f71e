"""Events, the writing contest and the volunteers' guidance log through the real channel path
and the admin pages, down to the dashboard and the monthly workbook."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from tests.fakes.channels import Channels, fb_text, login, login_volunteer

VIETNAM = timezone(timedelta(hours=7))


async def csrf_of(channels: Channels, path: str) -> str:
    page = await (await channels.client.get(path)).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


async def ask(channels: Channels, psid: str, text: str, mid: str, count: int) -> str:
    await channels.post_facebook(fb_text(psid, text, mid))
    sent = await channels.graph.wait_messages(count)
    await asyncio.sleep(0.3)
    return "\n".join(r.body["message"]["text"] for r in sent[count - 1 :])


async def test_events_are_answered_from_admin_data_by_commune(channels: Channels) -> None:
    await login(channels)
    csrf = await csrf_of(channels, "/admin/events")
    soon = (datetime.now(VIETNAM) + timedelta(days=3)).replace(hour=8, minute=0)
    for kind, title, commune in (
        ("training", "Hướng dẫn cài VNeID mức 2", "Cam Lâm"),
        ("event", "Ngày hội chuyển đổi số tỉnh", ""),
    ):
        resp = await channels.client.post(
            "/admin/events",
            data={
                "csrf": csrf,
                "kind": kind,
                "title": title,
                "starts_at": soon.strftime("%Y-%m-%dT%H:%M"),
                "place": "Nhà văn hóa",
                "commune": commune,
                "link": "",
            },
        )
        assert "Đã thêm sự kiện" in await resp.text()
    channels.consented("facebook", "6601")
    here = await ask(channels, "6601", "lich tap huan o xa cam lam", "m_e1", 1)
    assert "ở Xã Cam Lâm" in here and "Hướng dẫn cài VNeID mức 2" in here
    assert f"08:00 {soon:%d/%m/%Y}" in here
    elsewhere = await ask(channels, "6601", "lịch tập huấn ở phường Bắc Nha Trang", "m_e2", 2)
    assert "chưa có lịch tập huấn, hướng dẫn nào ở Phường Bắc Nha Trang" in elsewhere
    everything = await ask(channels, "6601", "sắp tới có sự kiện gì", "m_e3", 3)
    assert "Ngày hội chuyển đổi số tỉnh" in everything and "Hướng dẫn cài VNeID" in everything


async def test_writing_contest_submission_in_chat_and_export(channels: Channels) -> None:
    await login(channels)
    csrf = await csrf_of(channels, "/admin/events")
    deadline = (datetime.now(VIETNAM) + timedelta(days=20)).date()
    resp = await channels.client.post(
        "/admin/contest",
        data={
            "csrf": csrf,
            "title": "Cuộc thi viết Chuyển đổi số gần dân",
            "rules": "Bài viết về một câu chuyện thật ở địa phương, tối đa 1.500 chữ.",
            "deadline": deadline.isoformat(),
            "link": "",
        },
    )
    assert "Đã lưu thể lệ" in await resp.text()
    channels.consented("facebook", "6602")
    rules = await ask(channels, "6602", "cuộc thi viết về chuyển đổi số", "m_c1", 1)
    assert "Cuộc thi viết Chuyển đổi số gần dân" in rules
    assert f"Hạn gửi bài: {deadline:%d/%m/%Y}" in rules
    assert channels.graph.messages()[-1].body["message"]["quick_replies"][0]["payload"] == (
        "/contest_submit"
    )
    await channels.post_facebook(fb_text("6602", "Gửi bài", "m_c2", quick_reply="/contest_submit"))
    await channels.graph.wait_messages(2)
    story = (
        "Năm nay bà con thôn tôi đã quen nộp hồ sơ trên dịch vụ công. Đoàn thanh niên xã đến "
        "từng nhà hướng dẫn cài VNeID, bà ngoại tôi bảy mươi tuổi cũng tự làm được giấy tờ, "
        "gọi số 0912345678 của cháu để hỏi khi cần, không phải đi xa mất cả ngày như trước."
    )
    got = await ask(channels, "6602", story, "m_c3", 3)
    assert "tên liên hệ" in got
    await ask(channels, "6602", "Nguyễn Thị Hoa", "m_c4", 4)
    done = await ask(channels, "6602", "ninh hai", "m_c5", 5)
    reference = f"BV-{datetime.now(VIETNAM).year}-00001"
    assert f"Mã số: {reference}" in done
    page = await (await channels.client.get("/admin/events")).text()
    assert reference in page and "Nguyễn Thị Hoa" in page
    export = (await (await channels.client.get("/admin/contest/submissions.csv")).read()).decode(
        "utf-8-sig"
    )
    assert reference in export and "Ninh Hải" in export
    assert "0912345678" not in export and "[số điện thoại]" in export
    stats = await (await channels.client.get("/admin/api/stats")).json()
    assert stats["contest_submissions"] == 1


async def test_volunteers_log_help_sessions_for_the_report(channels: Channels) -> None:
    csrf = await login_volunteer(channels, "tnv.ninhhai")
    future = (datetime.now(VIETNAM) + timedelta(days=2)).date().isoformat()
    today = datetime.now(VIETNAM).date().isoformat()
    form = {
        "csrf": csrf,
        "held_on": future,
        "commune": "Ninh Hải",
        "residents": "25",
        "topics": ["vneid", "security"],
        "notes": "",
    }
    bad = await channels.client.post("/admin/guidance", data=form)
    assert bad.status == 400 and "tương lai" in await bad.text()
    ok = await channels.client.post("/admin/guidance", data={**form, "held_on": today})
    assert "Đã ghi buổi hỗ trợ" in await ok.text()
    channels.client.session.cookie_jar.clear()
    await login(channels)
    stats = await (await channels.client.get("/admin/api/stats")).json()
    assert stats["guidance"] == {
        "sessions": 1,
        "residents": 25,
        "by_topic": {"vneid": 25, "security": 25},
        "by_commune": {"Ninh Hải": 25},
    }
    page = await (await channels.client.get("/admin")).text()
    assert 'id="guidance">1 / 25<' in page
    month = datetime.now(VIETNAM).strftime("%Y-%m")
    book = load_workbook(
        io.BytesIO(await (await channels.client.get(f"/admin/report?month={month}")).read())
    )
    sheet = {r[0]: r[1] for r in book["Tình nguyện viên"].iter_rows(min_row=2, values_only=True)}
    assert sheet["Số lượt người dân được hỗ trợ"] == 25
    assert sheet["  tại Ninh Hải"] == 25
