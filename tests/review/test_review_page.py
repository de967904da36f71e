"""/admin/review on the whole assistant (real model, SQLite, web chat on loopback): citizens'
questions appear grouped, an admin assigns a group to an answer or writes a new answer for it,
the group leaves the page, the examples and the audit lines are written, the new answer is what
the assistant serves; wrong input gets a Vietnamese message, never an error page."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from actions import content as answers
from bot.engine.runner import AssistantRunner
from bot.runtime.app import create_app
from bot.web import keys
from tests.conftest import ClientFactory
from tests.fakes.channels import Channels, channel_settings, login, web_ask
from tests.fakes.platforms import FakeGraph, FakeZalo
from tests.fakes.server import served

PAGE = "/admin/review"
VNEID = ["Làm sao cài VNeID?", "lam sao cai vneid", "ko cài dc vneid ạ", "cai vneid the nao"]
OTHER = "lịch tiêm phòng cho trẻ em"
SECTION = re.compile(
    r'<section class="review-group[^"]*" data-key="([0-9a-f]+)"(.*?)</section>', re.S
)
EXAMPLE = re.compile(r'<li class="review-example">([^<]*)</li>')

Make = Callable[..., Awaitable[Channels]]


@pytest.fixture
def make(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    runner: AssistantRunner,
    graph: FakeGraph,
    zalo: FakeZalo,
) -> Make:
    async def build(role: str = "admin", **env: str) -> Channels:
        settings = channel_settings(tmp_path, graph, zalo, **env)
        client = await served(aiohttp_client, create_app(settings, runner=runner))
        channels = Channels(client, settings, graph, zalo)
        await login(channels, f"{role}.a", role)
        return channels

    return build


async def ask_each(channels: Channels, texts: list[str], prefix: str) -> None:
    """Each text from a citizen of its own who consented earlier."""
    names = [f"{prefix}-{i}" for i in range(len(texts))]
    channels.consented("web", *names)
    for name, text in zip(names, texts, strict=True):
        assert await web_ask(channels.client, text, name)


async def page(client: TestClient) -> tuple[str, dict[str, list[str]]]:
    resp = await client.get(PAGE)
    assert resp.status == 200
    html = await resp.text()
    return html, {key: EXAMPLE.findall(body) for key, body in SECTION.findall(html)}


def unescape(text: str) -> str:
    return text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


async def token(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', await (await client.get(PAGE)).text())
    assert found
    return found.group(1)


async def rows(client: TestClient, sql: str) -> list[tuple[Any, ...]]:
    engine = client.app[keys.services_key].engine
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(sa.text(sql))).all()]


def key_of(groups: dict[str, list[str]], text: str) -> str:
    keys_ = [k for k, examples in groups.items() if text in map(unescape, examples)]
    assert len(keys_) == 1, groups
    return keys_[0]


async def test_assign_a_group_then_write_an_answer_for_another(make: Make) -> None:
    # Every question the model answered (not a button, not a handler's sure answer) joins.
    channels = await make(REVIEW_LOW_CONFIDENCE="1")
    client = channels.client
    await ask_each(channels, [*VNEID, OTHER], "c")
    html, groups = await page(client)
    assert "Xem lại câu hỏi" in html
    vneid, other = key_of(groups, VNEID[0]), key_of(groups, OTHER)
    assert vneid != other
    assert len(groups[vneid]) == 3  # "Làm sao cài VNeID?" / "lam sao cai vneid": one text
    assert f'data-key="{vneid}"' in html.split(f'data-key="{other}"')[0], "biggest first"
    assert re.search(r'class="review-count">4<', html)
    assert 'class="review-week">Tuần ' in html

    csrf = await token(client)
    resp = await client.post(
        f"{PAGE}/{vneid}/assign",
        data={"csrf": csrf, "intent": "dx_what_is"},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert resp.headers["Location"].startswith(PAGE)
    html = await (await client.get(resp.headers["Location"])).text()
    groups = {k: EXAMPLE.findall(body) for k, body in SECTION.findall(html)}
    assert "Đã gán 4 câu hỏi vào" in html
    assert vneid not in groups and other in groups
    examples = await rows(client, "SELECT text, intent, kind, reviewer FROM reviewed_examples")
    assert sorted(examples) == sorted(
        (t, "dx_what_is", "assign", "admin.a")
        for t in ["Làm sao cài VNeID?", "ko cài dc vneid ạ", "cai vneid the nao"]
    )
    assert ("review_assign", 4) in await rows(client, "SELECT action, rows FROM audit_log")

    resp = await client.post(
        f"{PAGE}/{other}/answer",
        data={
            "csrf": csrf,
            "title": "Lịch tiêm chủng",
            "message": "Lịch tiêm chủng cho trẻ em do trạm y tế xã, phường thông báo hằng tháng.",
            "source": "Sở Y tế tỉnh Khánh Hòa",
            "as_of": "2026-11-01",
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    html = await (await client.get(resp.headers["Location"])).text()
    assert "Đã tạo câu trả lời “Lịch tiêm chủng”" in html
    assert "sau khi huấn luyện lại" in html
    assert "Không có câu hỏi nào cần xem lại." in html
    [(intent, title, version, review_by)] = await rows(
        client, "SELECT intent, title, version, review_by FROM answer_versions"
    )
    assert intent.startswith("reviewed_lich_tiem_phong") and title == "Lịch tiêm chủng"
    assert (version, review_by) == (1, "2027-11-01")
    assert (OTHER, intent, "answer") in await rows(
        client, "SELECT text, intent, kind FROM reviewed_examples"
    )
    actions = [a for (a,) in await rows(client, "SELECT action FROM audit_log")]
    assert {"answer_edit", "review_answer"} <= set(actions)
    # Served from the next message on: the answer is there for action_answer.
    await ask_each(channels, ["xin chào"], "d")
    served_answer = answers.content().get(intent)
    assert served_answer is not None and served_answer.title == "Lịch tiêm chủng"
    # The new answer can be chosen for the next groups.
    assert f'<option value="{intent}">Lịch tiêm chủng' in (await page(client))[0]


async def test_wrong_input_gets_a_vietnamese_message(make: Make) -> None:
    channels = await make(REVIEW_LOW_CONFIDENCE="1")
    client = channels.client
    await ask_each(channels, [OTHER], "e")
    _, groups = await page(client)
    [key] = groups
    csrf = await token(client)

    resp = await client.post(f"{PAGE}/{key}/assign", data={"csrf": csrf, "intent": "khong_co"})
    assert resp.status == 400
    assert "Hãy chọn một câu trả lời có trong danh sách." in await resp.text()
    resp = await client.post(f"{PAGE}/abc123/assign", data={"csrf": csrf, "intent": "dx_what_is"})
    assert resp.status == 404
    assert "không còn trong danh sách" in await resp.text()
    resp = await client.post(f"{PAGE}/{key}/answer", data={"csrf": csrf, "title": "Tiêm chủng"})
    assert resp.status == 400
    text = await resp.text()
    assert "Cần có ít nhất một tin nhắn." in text
    assert 'value="Tiêm chủng"' in text  # what was typed is kept
    resp = await client.post(
        f"{PAGE}/{key}/answer",
        data={"csrf": csrf, "title": "Tiêm", "message": "Xem {khong_co}.", "as_of": "30/11/2026"},
    )
    assert resp.status == 400
    text = await resp.text()
    assert "chưa có liên kết {khong_co}" in text and "NĂM-THÁNG-NGÀY" in text
    resp = await client.post(f"{PAGE}/{key}/answer", data={"title": "x", "message": "y"})
    assert resp.status == 403  # no CSRF token
    assert await rows(client, "SELECT id FROM reviewed_examples") == []
    assert await rows(client, "SELECT id FROM answer_versions") == []
    assert list((await page(client))[1]) == [key]


async def test_a_thumbs_down_puts_the_rated_question_in_the_queue(make: Make) -> None:
    channels = await make()
    client = channels.client
    channels.consented("web", "f-1")
    replies = await web_ask(client, "chuyển đổi số là gì", "f-1")
    payloads = [b.get("payload") for r in replies for b in r["buttons"]]
    assert "/feedback_negative" in payloads
    assert (await page(client))[1] == {}
    await web_ask(client, "/feedback_negative", "f-1")
    _, groups = await page(client)
    assert list(groups.values()) == [["chuyển đổi số là gì"]]


async def test_volunteers_do_not_see_the_queue(make: Make) -> None:
    channels = await make("volunteer")
    resp = await channels.client.get(PAGE)
    assert resp.status == 403
