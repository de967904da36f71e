"""/admin/models (admin role): the trained models with their held-out accuracy, a retrain in the
background with its progress, putting a model in service on every worker, and the rollback.

A model whose held-out accuracy is lower than the one in service needs the confirmation box
(409 without it). Every step is a line of the audit log (bot/modelops/store.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.engine import Connection

from bot.admin.auth import Session
from bot.admin.guard import require
from bot.admin.keys import services_key
from bot.core.vntime import local
from bot.modelops import jobs, store

log = logging.getLogger(__name__)

SCRIPT = (Path(__file__).parent / "models.js").read_bytes()
STATUS_NAMES = {
    "active": "đang dùng",
    "previous": "bản trước",
    "ready": "mới",
    "training": "đang huấn luyện",
    "failed": "lỗi",
    "retired": "đã thôi dùng",
}
FORM_NAMES = {"accented": "có dấu", "unaccented": "không dấu", "teencode": "viết tắt"}
FLASHES = {
    "started": "Đã bắt đầu huấn luyện lại. Trang tự cập nhật tiến độ.",
    "activated": "Đã đưa mô hình vào dùng. Mọi máy chủ chuyển sang mô hình này trong ít giây.",
    "rolledback": "Đã quay lại bản trước. Mọi máy chủ chuyển lại trong ít giây.",
}


async def _read(request: web.Request, work: Any) -> Any:
    engine = request.app[services_key].engine
    async with engine.connect() as conn:
        return await conn.run_sync(work)


async def _page(
    request: web.Request, session: Session, *, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    services = request.app[services_key]
    now = services.clock()

    def read(conn: Connection) -> tuple[list[store.Version], jobs.Progress, list[Any]]:
        return store.all_versions(conn), jobs.progress(conn, now), store.loads(conn)

    versions, progress, loads = await _read(request, read)
    active = next((v for v in versions if v.status == "active"), None)
    newest = next((v for v in versions if not v.baseline and v.status != "training"), None)
    context = {
        "session": session,
        "local": local,
        "versions": versions,
        "active": active,
        "newest": newest if newest is not None and newest is not active else None,
        "has_baseline_row": any(v.baseline for v in versions),
        "progress": progress,
        "loads": loads,
        "running": progress.state in {"waiting", "training", "evaluating"},
        "status_names": STATUS_NAMES,
        "form_names": FORM_NAMES,
        "is_lower": store.is_lower,
        "error": error,
        "flash": FLASHES.get(request.query.get("done", "")),
    }
    return aiohttp_jinja2.render_template("models.html", request, context, status=status)


@require("admin")
async def models_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _page(request, session)


@require("admin")
async def progress_json(request: web.Request, session: Session) -> web.StreamResponse:
    now = request.app[services_key].clock()
    progress = await _read(request, lambda conn: jobs.progress(conn, now))
    return web.json_response(progress.as_json())


async def script(request: web.Request) -> web.Response:
    return web.Response(body=SCRIPT, content_type="text/javascript", charset="utf-8")


@require("admin")
async def train(request: web.Request, session: Session) -> web.StreamResponse:
    services = request.app[services_key]
    settings = services.settings
    try:
        await jobs.start(
            services.writer,
            settings.database_url,
            var_dir=settings.var_dir,
            baseline=settings.model_path,
            trained_by=session.username,
            now=services.clock(),
        )
    except store.Busy:
        return await _page(
            request,
            session,
            error="Đang có một lần huấn luyện chạy. Hãy đợi lần đó xong rồi thử lại.",
            status=409,
        )
    except OSError:
        return await _page(
            request, session, error="Không khởi động được việc huấn luyện.", status=500
        )
    raise web.HTTPSeeOther("/admin/models?done=started")


def _id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


@require("admin")
async def activate(request: web.Request, session: Session) -> web.StreamResponse:
    services = request.app[services_key]
    version_id = _id(request.match_info["id"])
    form = await request.post()
    confirmed = form.get("confirm") == "yes"
    if version_id is None:
        return await _page(request, session, error="Không có mô hình này.", status=404)
    now = services.clock()
    baseline = services.settings.model_path

    def work(conn: Connection) -> store.Version:
        return store.activate(conn, version_id, now, baseline=baseline, confirmed=confirmed)

    try:
        await services.writer.write(work)
    except store.Refused as exc:
        return await _page(request, session, error=str(exc), status=409)
    raise web.HTTPSeeOther("/admin/models?done=activated")


@require("admin")
async def rollback(request: web.Request, session: Session) -> web.StreamResponse:
    services = request.app[services_key]
    now = services.clock()
    baseline = services.settings.model_path

    def work(conn: Connection) -> store.Version:
        return store.rollback(conn, now, baseline=baseline)

    try:
        await services.writer.write(work)
    except store.Refused as exc:
        return await _page(request, session, error=str(exc), status=409)
    raise web.HTTPSeeOther("/admin/models?done=rolledback")


def setup(admin_app: web.Application) -> None:
    """Routes under the admin sub-application's prefix, /admin."""
    admin_app.router.add_get("/models", models_page)
    admin_app.router.add_get("/models/progress", progress_json)
    admin_app.router.add_get("/models.js", script)
    admin_app.router.add_post("/models/train", train)
    admin_app.router.add_post("/models/rollback", rollback)
    admin_app.router.add_post(r"/models/{id}/activate", activate)
