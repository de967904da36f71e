"""The quiz through Messenger (signed webhooks in, fake Graph API out) and its administration:
an admin opens a contest and edits a question in the admin pages, a citizen plays a counted
attempt with quick replies, and the figures reach the dashboard, JSON and workbook."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from tests.fakes.channels import Channels, fb_text, login


async def csrf_of(channels: Channels, path: str) -> str:
    page = await (await channels.client.get(path)).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def answer_now(channels: Channels) -> str:
    ids, position = channels.rows(
        "SELECT question_ids, position FROM quiz_attempts WHERE status = 'active'"
    )[0]
    qid = json.loads(ids)[position]
    return str(channels.rows(f"SELECT answer FROM quiz_questions WHERE id = '{qid}'")[0][0])  # noqa: S608


async def test_contest_on_messenger_reaches_dashboard_and_workbook(channels: Channels) -> None:
    client = channels.client
    await login(channels)
    csrf = await csrf_of(channels, "/admin/quiz")
    today = datetime.now(timezone(timedelta(hours=7))).date()
    resp = await client.post(
        "/admin/quiz/contests",
        data={
            "csrf": csrf,
            "name": "Hội thi Chuyển đổi số Khánh Hòa",
            "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert "Đã tạo cuộc thi" in await resp.text()
    # An edit is live at once: switch one question off.
    edit = await (await client.get("/admin/quiz/questions/dx01")).text()
    assert "Ngày Chuyển đổi số quốc gia" in edit
    form = {
        "csrf": csrf,
        "id": "dx01",
        "topic": "dx",
        "question": "Ngày Chuyển đổi số quốc gia là ngày nào trong năm?",
        "option_A": "1/1",
        "option_B": "10/10",
        "option_C": "2/9",
        "option_D": "20/11",
        "answer": "B",
        "why": "Ngày 10/10 hằng năm là Ngày Chuyển đổi số quốc gia.",
        "source": "Quyết định 505/QĐ-TTg",
    }
    saved = await (await client.post("/admin/quiz/questions", data=form)).text()
    assert "Đã lưu câu hỏi dx01" in saved
    assert channels.rows("SELECT active FROM quiz_questions WHERE id = 'dx01'") == [(0,)]
    bad = await client.post("/admin/quiz/questions", data={**form, "answer": "E"})
    assert bad.status == 400

    channels.consented("facebook", "7701", commune="Cam Lâm")
    graph = channels.graph
    await channels.post_facebook(fb_text("7701", "Thi thử", "m_q0", quick_reply="/quiz_start"))
    sent = await graph.wait_messages(2)
    assert "Lượt này được tính điểm" in sent[0].body["message"]["text"]
    assert [q["payload"] for q in sent[1].body["message"]["quick_replies"]][:4] == [
        "/quiz_answer:A",
        "/quiz_answer:B",
        "/quiz_answer:C",
        "/quiz_answer:D",
    ]
    count = 2
    for i in range(10):
        await asyncio.sleep(0.1)
        letter = answer_now(channels)
        body = fb_text("7701", letter, f"m_q{i + 1}", quick_reply=f"/quiz_answer:{letter}")
        await channels.post_facebook(body)
        count += 2 if i < 9 else 3
        sent = await graph.wait_messages(count)
    texts = [r.body["message"]["text"] for r in sent]
    assert any("Hoàn thành! Bạn trả lời đúng 10/10 câu." in t for t in texts)
    assert "dx01" not in channels.rows("SELECT question_ids FROM quiz_attempts")[0][0]

    stats = await (await client.get("/admin/api/stats")).json()
    assert stats["quiz"]["counted"] == 1 and stats["quiz"]["players"] == 1
    assert stats["quiz"]["by_commune"] == {"Cam Lâm": 1}
    page = await (await client.get("/admin")).text()
    assert 'id="quiz">1 / 1 / 1 / 10.0<' in page
    board = await (await client.get("/admin/quiz")).text()
    assert "Cam Lâm" in board and "7701" not in board
    month = today.strftime("%Y-%m")
    book = load_workbook(
        io.BytesIO(await (await client.get(f"/admin/report?month={month}&format=xlsx")).read())
    )
    quiz = {r[0]: r[1] for r in book["Cuộc thi"].iter_rows(min_row=2, values_only=True)}
    assert quiz["Số người dự thi (lượt tính điểm)"] == 1
    assert quiz["Người dự thi ở Cam Lâm"] == 1
