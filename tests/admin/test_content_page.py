"""/admin/content: an admin sees the facts past or near their review day; a volunteer may not;
without a session the page sends to the login."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient

from bot.content import facts
from bot.core.vntime import local_day
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from tests.admin.test_auth import ADMIN_PASSWORD, form_token, login
from tests.conftest import ClientFactory
from tests.fakes.settings import make_settings


def _fact(title: str, review_by: str, **more: object) -> dict[str, object]:
    return {
        "title": title,
        "messages": ["Một thông tin để thử."],
        "source": f"Nguồn của {title}",
        "as_of": "2019-06-01",
        "review_by": review_by,
        **more,
    }


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    runner: AssistantRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> TestClient:
    soon = local_day(datetime.now(timezone.utc)) + timedelta(days=10)
    answers = {
        "planted_overdue": _fact("Quá hạn thử", "2020-01-01"),
        "planted_soon": _fact("Sắp hạn thử", soon.isoformat()),
        "planted_later": _fact("Còn lâu thử", "2099-01-01"),
        "planted_undated": {"title": "Chưa ghi ngày", "messages": ["Một thông tin."]},
        "planted_greeting": {"title": "Chào thử", "messages": ["Xin chào!"], "factual": False},
    }
    quiz = {"questions": [{"id": "q_overdue", "q": "Câu hỏi quá hạn?", **_fact("", "2019-12-01")}]}
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "answers.yml").write_text(yaml.safe_dump(answers, allow_unicode=True), "utf-8")
    (folder / "quiz.yml").write_text(yaml.safe_dump(quiz, allow_unicode=True), "utf-8")
    monkeypatch.setattr(facts, "CONTENT_DIR", folder)
    settings = make_settings(tmp_path, ADMIN_PASSWORD=ADMIN_PASSWORD)
    return await aiohttp_client(create_app(settings, runner=runner))


async def test_without_a_session_the_page_sends_to_the_login(client: TestClient) -> None:
    resp = await client.get("/admin/content", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "/admin/login"


async def test_an_admin_sees_the_facts_due_for_review(client: TestClient) -> None:
    assert await login(client, "admin", ADMIN_PASSWORD) == 302
    assert 'href="/admin/content"' in await (await client.get("/admin")).text()
    page = await client.get("/admin/content")
    assert page.status == 200
    html = await page.text()
    due = html.split('id="due"', 1)[1].split("</table>", 1)[0]
    # Sorted by review day: the quiz question (1/12/2019), then the answer (1/1/2020), then soon.
    assert due.index("q_overdue") < due.index("planted_overdue") < due.index("planted_soon")
    assert "Quá hạn thử" in due and "Nguồn của Quá hạn thử" in due
    assert "01/06/2019" in due and "01/01/2020" in due
    assert due.count("Quá hạn</strong>") == 2 and due.count("Sắp đến hạn") == 1
    assert "planted_later" not in html and "planted_greeting" not in html
    undated = html.split('id="undated"', 1)[1]
    assert "planted_undated" in undated


async def test_a_volunteer_may_not_see_the_page(client: TestClient) -> None:
    assert await login(client, "admin", ADMIN_PASSWORD) == 302
    token = await form_token(client, "/admin/users")
    created = await client.post(
        "/admin/users",
        data={
            "csrf": token,
            "username": "tnv.noidung",
            "password": "tinh-nguyen-vien-2",
            "role": "volunteer",
        },
    )
    assert created.status == 200
    client.session.cookie_jar.clear()
    assert await login(client, "tnv.noidung", "tinh-nguyen-vien-2") == 302
    assert (await client.get("/admin/content")).status == 403
    assert 'href="/admin/content"' not in await (await client.get("/admin")).text()
