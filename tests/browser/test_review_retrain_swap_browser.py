"""Issue 18, end to end in headless Chromium on two workers (PostgreSQL and Redis): citizens ask
a question the model does not understand; an admin finds their group on the review page, assigns
it to the right answer, retrains, puts the new model into use, and both workers answer the
question right. Then an answer edited in the browser is served at the next message, and the
rollbacks (model and answer) bring the old behaviour and text back. The pages are photographed
on the way for the README (docs/screenshots/)."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from actions.content import baseline
from bot.settings import PROJECT_ROOT
from tests.browser.conftest import CHROMIUM
from tests.browser.screens import shot
from tests.browser.workers import Workers, ask_on_every_worker, consenting_citizen, say
from tests.fakes.platforms import FakeGraph
from tests.fakes.postgres import fresh_databases, pg_up
from tests.multiworker.conftest import (
    Redis,
    graph,
    no_process_left,
    redis,
    rows,
    start_workers,
    stop,
    wait_ready,
)

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed"),
    pytest.mark.skipif(
        not (pg_up() and shutil.which("redis-server")), reason="needs PostgreSQL and redis-server"
    ),
]
# The multi-worker tests' fixtures: fake Graph, a private Redis, no process outliving the test.
__all__ = ["graph", "no_process_left", "redis"]

PASSWORD = "quan-tri-vien-xem-lai-2026"
INTENT = "sector_tourism"
FILE_TEXT = baseline().answers[INTENT].messages[0]
NEW_TEXT = "Du lịch số Khánh Hòa: bản đồ số các điểm tham quan có trên cổng du lịch của tỉnh."
# The model of `make train` does not understand this (it falls back); citizens ask it in a few
# ways, as they do, so that the review page shows them as one group.
QUESTION = "bản đồ số các điểm tham quan nha trang"
VARIANTS = [
    QUESTION,
    "ban do so cac diem tham quan nha trang",
    "bản đồ số điểm tham quan ở nha trang",
    "bản đồ số các điểm tham quan nha trang ở đâu",
    "ban do so diem tham quan nha trang o dau",
]
TRAIN_WITHIN_MS = 6 * 60 * 1000
SWAP_WITHIN_S = 90


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_databases("khdx_e2e") as make:
        yield make()


@dataclass
class Admin:
    page: Page
    base: str

    async def log_in(self) -> None:
        await self.page.goto(f"{self.base}/admin/login")
        await self.page.fill("#username", "admin")
        await self.page.fill("#password", PASSWORD)
        await self.page.click("button[type=submit]")
        await expect(self.page.get_by_role("heading", name="Tổng quan")).to_be_visible()

    async def shot(self, name: str) -> None:
        await shot(self.page, name)


def model_stamp() -> tuple[int, int]:
    """The repository's model file (`make train`'s): retraining must leave it as it is."""
    found = (PROJECT_ROOT / "models" / "assistant.tar.gz").stat()
    return found.st_size, found.st_mtime_ns


async def answered(workers: Workers, text: str, want: str, *, within_s: float = 0) -> None:
    """`text`, asked by new citizens on every worker, gets `want` in the first reply (waiting
    up to `within_s` for the workers to take a change)."""
    deadline = time.monotonic() + within_s
    while True:
        got = await ask_on_every_worker(workers, text)
        if all(want in first for first in got.values()):
            return
        if time.monotonic() >= deadline:
            pytest.fail(f"{text!r} should get {want!r} on every worker, got {got}")
        await asyncio.sleep(2)


@pytest.mark.timeout(900)
async def test_review_assign_retrain_swap_then_edit_and_roll_back(
    tmp_path: Path, database: str, redis: Redis, graph: FakeGraph, browser: Browser
) -> None:
    stamp = model_stamp()
    proc, port = start_workers(
        tmp_path,
        database,
        redis.url,
        graph,
        workers=2,
        ADMIN_PASSWORD=PASSWORD,
        WEBCHAT_KEY="e2e-web-chat-key",
        # Every citizen of the test comes from 127.0.0.1: the per-address limits would stop them.
        WEBCHAT_ADDRESS_SESSIONS_PER_HOUR="1000",
        WEBCHAT_ADDRESS_MESSAGES_PER_MIN="1000",
    )
    base = f"http://127.0.0.1:{port}"
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, port, 2)
            workers = Workers(port, proc.pid)
            assert len(workers.pids()) == 2
            await workers.all_ready()

            # Before: neither worker understands the question.
            before = await ask_on_every_worker(workers, QUESTION)
            assert not any(
                FILE_TEXT in first for first in before.values()
            ), f"`make train`'s model now understands {QUESTION!r}: pick a question it misses"
            # Citizens who agreed to keep their questions ask it their ways, on both workers.
            pids = workers.pids()
            for n, text in enumerate(VARIANTS):
                citizen = await consenting_citizen(workers, pids[n % len(pids)])
                await say(workers, citizen, text)

            admin = Admin(await context.new_page(), base)
            await admin.log_in()
            page = admin.page

            # The review queue: the citizens' questions are one group.
            await page.click("nav >> text=Xem lại câu hỏi")
            await expect(page).to_have_url(f"{base}/admin/review")
            group = page.locator("section.review-group", has_text=QUESTION)
            await expect(group).to_have_count(1)
            await expect(group.locator(".review-count")).to_have_text(str(len(VARIANTS)))
            await admin.shot("review-queue")
            await group.locator("select[name=intent]").select_option(INTENT)
            await group.get_by_role("button", name="Gán").click()
            await expect(page.locator("#done")).to_contain_text(f"Đã gán {len(VARIANTS)} câu hỏi")
            await expect(page.locator("section.review-group", has_text=QUESTION)).to_have_count(0)

            # Retrain with the reviewed examples; the page follows the progress.
            await page.click("nav >> text=Mô hình")
            await expect(page).to_have_url(f"{base}/admin/models")
            await page.get_by_role("button", name="Huấn luyện lại").click()
            progress = page.locator("#train-progress")
            await expect(progress).to_contain_text("Đang huấn luyện", timeout=120_000)
            await admin.shot("models-training")
            await expect(progress).to_contain_text("Xong", timeout=TRAIN_WITHIN_MS)
            await page.reload()
            versions = page.locator("#model-versions")
            old_row = versions.locator("tr[data-status=active]")
            new_row = versions.locator("tr[data-status=ready]")
            await expect(old_row).to_have_count(1)
            await expect(new_row).to_have_count(1)
            old_version = await old_row.get_attribute("data-version")
            new_version = await new_row.get_attribute("data-version")
            # The new model learnt from the reviewed questions; the held-out set measured it.
            assert int(await new_row.locator("td").nth(2).inner_text()) > 0
            await expect(page.locator("#accuracy-newest")).to_contain_text("%")
            await admin.shot("models-trained")

            # Into use (a lower held-out accuracy asks for a confirmation first).
            confirm = new_row.locator("input[name=confirm]")
            if await confirm.count():
                await confirm.check()
            await new_row.get_by_role("button", name="Đưa vào dùng").click()
            await expect(versions.locator("tr[data-status=active]")).to_have_attribute(
                "data-version", str(new_version)
            )

            # Both workers now answer the question right, without a restart.
            await answered(workers, QUESTION, FILE_TEXT, within_s=SWAP_WITHIN_S)
            # The models page says which model each worker has in memory.
            loads = page.locator(f"#model-loads tr[data-version='{new_version}']")
            for _ in range(15):
                await page.reload()
                if await loads.count() == 2:
                    break
                await asyncio.sleep(2)
            await expect(loads).to_have_count(2)
            await admin.shot("models-in-use")

            # An answer edited in the browser is what the next message gets.
            await page.click("nav >> text=Câu trả lời")
            await page.fill("#q", "du lich so")
            await page.click("form[action='/admin/answers'] button[type=submit]")
            await page.click(f"#answers tr:has-text('{INTENT}') >> text=Sửa")
            await expect(page.locator("#message_1")).to_have_value(FILE_TEXT)
            await page.fill("#message_1", NEW_TEXT)
            await page.fill("#note", "Thêm bản đồ số điểm tham quan")
            await page.click("text=Lưu phiên bản mới")
            await expect(page.locator("#saved")).to_contain_text("Đã lưu phiên bản 1")
            await answered(workers, QUESTION, NEW_TEXT)

            await page.click("text=Lịch sử phiên bản")
            await admin.shot("answer-history")
            await page.click(
                "#versions tr:has-text('Thêm bản đồ số điểm tham quan') >> text=Xem thay đổi"
            )
            added = page.locator("#diff tr.diff-add", has_text="bản đồ số các điểm tham quan")
            await expect(added).to_have_count(1)
            await admin.shot("answer-diff")
            await page.go_back()

            # The answer's rollback: the file's text again, on every worker.
            await page.click("#versions tr:has-text('tệp gốc') >> text=Khôi phục")
            await expect(page.locator("#restored")).to_contain_text("phiên bản 0")
            await answered(workers, QUESTION, FILE_TEXT)

            # The model's rollback: the question is not understood again, on every worker.
            await page.click("nav >> text=Mô hình")
            await page.get_by_role("button", name="Quay lại bản trước").click()
            await expect(versions.locator("tr[data-status=active]")).to_have_attribute(
                "data-version", str(old_version)
            )
            deadline = time.monotonic() + SWAP_WITHIN_S
            while True:
                after = await ask_on_every_worker(workers, QUESTION)
                if after == before or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(2)
            assert after == before, "both workers should be back to the old model"
            # Every step is a line of the audit log.
            actions = {action for (action,) in rows(database, "SELECT action FROM audit_log")}
            assert {
                "review_assign",
                "model_train_requested",
                "model_trained",
                "model_activated",
                "answer_edit",
                "answer_rollback",
                "model_rolled_back",
            } <= actions, actions
    finally:
        await context.close()
        await stop(proc)
    assert model_stamp() == stamp
