"""/admin/answers: an admin edits an answer in the browser and the next web chat message gets it,
without a restart; a rollback brings the old text back; bad edits are refused with Vietnamese
reasons next to the form; history, diff and the audit log show what happened."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from actions.content import baseline
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.web import keys
from tests.admin.test_auth import ADMIN_PASSWORD, form_token, login
from tests.conftest import ClientFactory
from tests.fakes.channels import web_ask, web_text
from tests.fakes.server import served
from tests.fakes.settings import make_settings

INTENT = "dx_what_is"
EDIT = "/admin/answers/dx_what_is"
NEW_TEXT = "Chuyển đổi số là đưa công nghệ số vào mọi việc: bản sửa thử trên trang quản trị."
FILE_TEXT = baseline().answers[INTENT].messages[0]


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, tmp_path: Path, runner: AssistantRunner
) -> TestClient:
    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD)
    client = await served(aiohttp_client, create_app(settings, runner=runner))
    assert await login(client, "admin", ADMIN_PASSWORD) == 302
    return client


def _form(token: str, **fields: str) -> dict[str, str]:
    answer = baseline().answers[INTENT]
    form = {
        "csrf": token,
        "after": "0",
        "title": answer.title,
        "message_1": NEW_TEXT,
        "message_2": "Tin thứ hai, giữ ngắn gọn.",
        "buttons": "dx_benefits, dx_goals",
        "factual": "on",
        "source": "Quyết định 749/QĐ-TTg ngày 3/6/2020",
        "as_of": "2020-06-03",
        "review_by": "2027-11-30",
        "note": "Viết lại cho dễ hiểu",
    }
    form.update(fields)
    return form


async def _save(client: TestClient, **fields: str) -> tuple[int, str]:
    token = await form_token(client, EDIT)
    after = re.search(r'name="after" value="(\d+)"', await (await client.get(EDIT)).text())
    assert after
    resp = await client.post(EDIT, data=_form(token, after=after.group(1), **fields))
    return resp.status, await resp.text()


async def _ask(client: TestClient, sender: str) -> list[dict[str, Any]]:
    # The button payload: the intent without the model's guess, as a tap on a quick reply.
    return await web_ask(client, f"/{INTENT}", sender)


async def _audit(client: TestClient) -> list[str]:
    engine = client.app[keys.services_key].engine
    async with engine.connect() as conn:
        found = await conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id"))
        return [row[0] for row in found]


async def test_an_edit_is_answered_at_once_and_a_rollback_restores_the_file(
    client: TestClient,
) -> None:
    before = web_text(await _ask(client, "nguoi-dan-1"))
    assert FILE_TEXT in before and NEW_TEXT not in before

    status, page = await _save(client)
    assert status == 200 and "Đã lưu phiên bản 1" in page

    replies = await _ask(client, "nguoi-dan-1")  # the same app, no restart
    assert replies[0]["text"] == NEW_TEXT
    assert FILE_TEXT not in web_text(replies)
    last = replies[-1]
    assert (
        "Nguồn: Quyết định 749/QĐ-TTg ngày 3/6/2020 (thông tin tính đến 3/6/2020)" in last["text"]
    )
    offered = [b["payload"] for b in last["buttons"]]
    assert offered[:2] == ["/dx_benefits", "/dx_goals"] and "/dx_day" not in offered

    history = await (await client.get(f"{EDIT}/history")).text()
    assert "Khôi phục" in history and "admin" in history and "Viết lại cho dễ hiểu" in history
    token = await form_token(client, f"{EDIT}/history")
    restored = await client.post(
        f"{EDIT}/rollback", data={"csrf": token, "version": "0", "after": "1"}
    )
    assert restored.status == 200
    assert "Đã khôi phục nội dung của phiên bản 0 thành phiên bản mới 2" in await restored.text()

    again = web_text(await _ask(client, "nguoi-dan-2"))
    assert FILE_TEXT in again and NEW_TEXT not in again
    assert await _audit(client) == ["answer_edit", "answer_rollback"]


async def test_history_and_diff_show_who_changed_what(client: TestClient) -> None:
    assert (await _save(client))[0] == 200
    history = await (await client.get(f"{EDIT}/history")).text()
    versions = history.split('id="versions"', 1)[1]
    assert versions.index(">1 <strong>(đang dùng)") < versions.index("tệp gốc")
    diff = await client.get(f"{EDIT}/diff/1")
    assert diff.status == 200
    html = await diff.text()
    added = re.findall(r'<tr class="diff-add">.*?<td class="pre-line">(.*?)</td>', html, re.S)
    removed = re.findall(r'<tr class="diff-del">.*?<td class="pre-line">(.*?)</td>', html, re.S)
    assert NEW_TEXT in " ".join(added)
    assert any("Chương trình quốc gia gọi đó là" in line for line in removed)
    assert any("Nút gợi ý" in line and "Ngày CĐS 10/10 (dx_day)" in line for line in removed)
    assert (await client.get(f"{EDIT}/diff/7")).status == 404
    assert (await client.get(f"{EDIT}/diff/abc")).status == 404
    assert (await client.get(f"{EDIT}/diff/{'9' * 5000}")).status == 404


async def test_odd_version_numbers_are_refused_without_an_error(client: TestClient) -> None:
    token = await form_token(client, f"{EDIT}/history")
    for version, after in (("²", "0"), ("1", "x"), ("9" * 5000, "0"), ("3", "0")):
        resp = await client.post(
            f"{EDIT}/rollback", data={"csrf": token, "version": version, "after": after}
        )
        assert resp.status == 400
        assert "Không có phiên bản này" in await resp.text()
    stale = await client.post(EDIT, data=_form(token, after="²"))
    assert stale.status == 400
    assert "Biểu mẫu không hợp lệ" in await stale.text()
    page = await client.get(f"{EDIT}/history", params={"restored": "²"})
    assert page.status == 200 and "Đã khôi phục" not in await page.text()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"message_1": "x" * 2001}, "tối đa 2000 ký tự"),
        ({"title": "Một tiêu đề nút quá dài để hiện"}, "tối đa 20"),
        (
            {"buttons": "dx_benefits, khong_co_that"},
            "Nút gợi ý không có câu trả lời nào: khong_co_that",
        ),
        ({"source": ""}, "cần ghi nguồn"),
        ({"as_of": "3/6/2020"}, "chưa đúng dạng NĂM-THÁNG-NGÀY"),
        ({"as_of": "2099-01-01", "review_by": "2099-06-01"}, "là ngày trong tương lai"),
        ({"review_by": ""}, "cần ngày “xem lại trước”"),
        ({"message_1": "Gọi {khong_co_lien_ket} nhé."}, "chưa có liên kết {khong_co_lien_ket}"),
        ({"message_1": "Một dấu { lẻ."}, "dấu ngoặc nhọn"),
        ({"message_1": "", "message_2": ""}, "Cần có ít nhất một tin nhắn"),
    ],
)
async def test_a_bad_edit_is_refused_with_the_reason_and_nothing_changes(
    client: TestClient, fields: dict[str, str], reason: str
) -> None:
    status, page = await _save(client, **fields)
    assert status == 400
    errors = page.split('id="errors"', 1)[1].split("</div>", 1)[0]
    assert reason in errors
    assert "Chưa lưu được" in errors
    # What the admin typed stays in the form to be corrected.
    assert "Viết lại cho dễ hiểu" in page
    assert FILE_TEXT in web_text(await _ask(client, "nguoi-dan-3"))
    assert await _audit(client) == []


async def test_a_greeting_needs_no_source(client: TestClient) -> None:
    token = await form_token(client, "/admin/answers/thank")
    resp = await client.post(
        "/admin/answers/thank",
        data={"csrf": token, "after": "0", "title": "Cảm ơn", "message_1": "Dạ không có gì ạ!"},
    )
    assert resp.status == 200
    assert (await web_ask(client, "/thank", "nguoi-dan-4"))[0]["text"] == "Dạ không có gì ạ!"


async def test_a_form_opened_before_another_save_does_not_overwrite_it(
    client: TestClient,
) -> None:
    token = await form_token(client, EDIT)
    assert (await client.post(EDIT, data=_form(token))).status == 200
    stale = await client.post(EDIT, data=_form(token, message_1="Bản cũ hơn", after="0"))
    assert stale.status == 400
    assert "vừa được người khác sửa" in await stale.text()
    assert (await _ask(client, "nguoi-dan-5"))[0]["text"] == NEW_TEXT


async def test_the_list_finds_answers_without_diacritics(client: TestClient) -> None:
    page = await (await client.get("/admin/answers", params={"q": "chuyen doi so la gi"})).text()
    table = page.split('id="answers"', 1)[1]
    assert "dx_what_is" in table and "vneid_level2" not in table
    assert 'href="/admin/answers"' in await (await client.get("/admin")).text()
    assert (await client.get("/admin/answers/khong_co")).status == 404


async def test_a_volunteer_may_not_edit(client: TestClient) -> None:
    token = await form_token(client, "/admin/users")
    created = await client.post(
        "/admin/users",
        data={
            "csrf": token,
            "username": "tnv.sua",
            "password": "tinh-nguyen-vien-3",
            "role": "volunteer",
        },
    )
    assert created.status == 200
    client.session.cookie_jar.clear()
    assert await login(client, "tnv.sua", "tinh-nguyen-vien-3") == 302
    assert (await client.get("/admin/answers")).status == 403
    assert (await client.get(EDIT)).status == 403


async def test_a_post_without_the_form_token_is_refused(client: TestClient) -> None:
    resp = await client.post(EDIT, data=_form("sai-token"))
    assert resp.status == 403
    assert FILE_TEXT in web_text(await _ask(client, "nguoi-dan-6"))


async def test_the_review_list_reads_the_edited_dates(client: TestClient) -> None:
    due = (await (await client.get("/admin/content")).text()).split('id="due"', 1)[1]
    assert "dx_what_is" not in due.split("</table>", 1)[0]
    assert (await _save(client, review_by="2021-01-01"))[0] == 200
    due = (await (await client.get("/admin/content")).text()).split('id="due"', 1)[1]
    row = due.split("dx_what_is", 1)[1].split("</tr>", 1)[0]
    assert "01/01/2021" in row and "Quá hạn" in row
