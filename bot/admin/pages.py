"""The admin's own pages: login, logout, overview (dashboard, its JSON, the monthly report and
its printable page) and accounts (admin role only).

Server-rendered (Jinja2 through aiohttp-jinja2), Vietnamese, no CDN. The login form carries its
own CSRF token in a short cookie, since there is no session yet.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import select

from bot.admin import dashboard
from bot.admin.auth import (
    COOKIE,
    SESSION_SECONDS,
    USERNAME_MAX,
    AuthError,
    Session,
    change_account,
    check_password,
    create_user,
    find_user,
    needs_rehash,
    new_session,
    rehash,
)
from bot.admin.client import client_address
from bot.admin.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from bot.admin.guard import LOGIN, current_session, require
from bot.admin.keys import figures_key, limiter_key, secure_key, services_key, signer_key
from bot.admin.report import build as build_report
from bot.admin.report import month_period
from bot.admin.sessions import close_session, close_sessions_of, open_session
from bot.admin.stats import Period, RangeError, Stats, compute
from bot.admin.volunteers import CommuneError, communes_by_volunteer, set_communes
from bot.core import communes
from bot.core.vntime import local, local_day
from bot.db.models import admin_users
from bot.pipeline.ratelimit import address_key

LOGIN_CSRF_COOKIE = "khdx_login_csrf"


async def login_page(request: web.Request) -> web.StreamResponse:
    if await current_session(request) is not None:
        raise web.HTTPFound("/admin")
    return _login_form(request, None)


def _login_form(request: web.Request, error: str | None, status: int = 200) -> web.StreamResponse:
    token = secrets.token_urlsafe(24)
    response = aiohttp_jinja2.render_template(
        "login.html", request, {"csrf": token, "error": error, "session": None}, status=status
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.app[secure_key],
        path="/admin",
    )
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = str(form.get("csrf", ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return _login_form(request, "Phiên đăng nhập hết hạn, bạn thử lại nhé.", status=403)
    # No account name is longer: a longer one only fills the limiter's tables.
    username = str(form.get("username", "")).strip()[:USERNAME_MAX]
    password = str(form.get("password", ""))
    services = request.app[services_key]
    # An IPv6 client counts as its /64: rotating addresses inside it gains nothing.
    client = address_key(client_address(request, services.settings.trusted_proxies))
    now = time.time()
    limiter = request.app[limiter_key]
    if limiter.blocked(client, username, now):
        return _login_form(request, "Sai quá nhiều lần. Bạn chờ 5 phút rồi thử lại.", status=429)
    # Counted before the (slow) check: guesses sent in parallel cannot all pass `blocked`.
    limiter.failed(client, username, now)
    user: Any = await find_user(services.engine, username)
    if not await check_password(password, user.password_hash if user else None):
        return _login_form(request, "Tên đăng nhập hoặc mật khẩu không đúng.", status=401)
    limiter.succeeded(client, username, now)
    if needs_rehash(user.password_hash):
        await rehash(services.writer, user.id, password)
    session = new_session(user.id, user.username, user.role, now)
    await open_session(services.writer, session, now)
    response = web.HTTPFound("/admin")
    response.set_cookie(
        COOKIE,
        request.app[signer_key].dumps(session),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=request.app[secure_key],
        path="/admin",
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/admin")
    raise response


@require()
async def logout(request: web.Request, session: Session) -> web.StreamResponse:
    await close_session(request.app[services_key].writer, session)
    response = web.HTTPFound("/admin/login")
    response.del_cookie(COOKIE, path="/admin")
    raise response


def _period(request: web.Request) -> Period:
    today = local_day(request.app[services_key].clock())  # periods are days in Vietnam
    return Period.parse(request.query.get("from"), request.query.get("to"), today)


async def _stats(request: web.Request, period: Period) -> Stats:
    return await compute(request.app[services_key].engine, period, request.app[figures_key])


@require()
async def home(request: web.Request, session: Session) -> web.StreamResponse:
    error = None
    try:
        period = _period(request)
    except RangeError as exc:
        error = f"Khoảng thời gian không hợp lệ: {exc}."
        period = Period.parse(None, None, local_day(request.app[services_key].clock()))
    view = await dashboard.gather(
        request.app[services_key].engine, period, request.app[figures_key]
    )
    stats = view.stats
    context = {
        "session": session,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "view": view,
        "traffic": stats.traffic,
        "features": [row for part in stats.features for row in part.dashboard],
        "delivery": stats.delivery,
        "error": error,
    }
    return aiohttp_jinja2.render_template(
        "home.html", request, context, status=400 if error else 200
    )


@require()
async def api_stats(request: web.Request, session: Session) -> web.StreamResponse:
    """The dashboard's figures as JSON (401 without a session)."""
    try:
        period = _period(request)
    except RangeError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response((await _stats(request, period)).as_json())


async def _users_page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    async with request.app[services_key].engine.connect() as conn:
        users = (
            await conn.execute(
                select(admin_users.c.username, admin_users.c.role, admin_users.c.created_at)
                .where(admin_users.c.disabled.is_(False))
                .order_by(admin_users.c.username)
            )
        ).all()
        served = await communes_by_volunteer(conn)
    return aiohttp_jinja2.render_template(
        "users.html",
        request,
        {
            "session": session,
            "users": users,
            "served": served,
            "communes": communes.load(),
            "message": message,
            "error": error,
        },
        status=400 if error else 200,
    )


@require("admin")
async def users_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _users_page(request, session)


@require("admin")
async def users_create(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    services = request.app[services_key]
    try:
        await create_user(
            services.writer,
            str(form.get("username", "")),
            str(form.get("password", "")),
            str(form.get("role", "")),
            services.clock(),
        )
    except AuthError as exc:
        return await _users_page(request, session, error=f"Không tạo được: {exc}.")
    return await _users_page(request, session, message="Đã tạo tài khoản.")


@require("admin")
async def users_communes(request: web.Request, session: Session) -> web.StreamResponse:
    """The communes a volunteer serves: handoffs of their citizens reach them first."""
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()
    try:
        chosen = await set_communes(
            request.app[services_key].writer,
            username,
            [str(v) for v in form.getall("communes", [])],
        )
    except CommuneError as exc:
        return await _users_page(request, session, error=f"Không lưu được xã phụ trách: {exc}.")
    done = f"{len(chosen)} xã, phường" if chosen else "không còn xã phụ trách nào"
    return await _users_page(request, session, message=f"Đã lưu cho {username}: {done}.")


@require()
async def report(request: web.Request, session: Session) -> web.StreamResponse:
    """The monthly workbook (or CSV) for download."""
    services = request.app[services_key]
    month = request.query.get("month") or f"{local(services.clock()):%Y-%m}"
    fmt = request.query.get("format", "xlsx")
    if fmt not in {"xlsx", "csv"}:
        raise web.HTTPBadRequest(text="Định dạng phải là xlsx hoặc csv.")
    try:
        body = await build_report(services.engine, month, fmt, request.app[figures_key])
    except RangeError as exc:
        raise web.HTTPBadRequest(text=f"Tháng không hợp lệ: {exc}.") from exc
    content_type = XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE
    response = web.Response(body=body, headers={"Content-Type": content_type})
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bao-cao-chuyen-doi-so-{month}.{fmt}"'
    )
    return response


@require()
async def report_print(request: web.Request, session: Session) -> web.StreamResponse:
    """The month's figures on A4 for the steering committee's meeting: no navigation, the
    browser's print dialog does the rest."""
    services = request.app[services_key]
    month = request.query.get("month") or f"{local(services.clock()):%Y-%m}"
    try:
        period = month_period(month)
    except RangeError as exc:
        raise web.HTTPBadRequest(text=f"Tháng không hợp lệ: {exc}.") from exc
    view = await dashboard.gather(services.engine, period, request.app[figures_key])
    context = {
        "session": session,
        "view": view,
        "traffic": view.stats.traffic,
        "features": [row for part in view.stats.features for row in part.dashboard],
        "month": f"{period.start:%m/%Y}",
        "printed": f"{local(services.clock()):%d/%m/%Y}",
    }
    return aiohttp_jinja2.render_template("print.html", request, context)


@require("admin")
async def users_change(request: web.Request, session: Session) -> web.StreamResponse:
    """Another role for an account, or the account disabled: its open sessions end at once."""
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()
    action = str(form.get("action", ""))
    if username == session.username:
        return await _users_page(
            request, session, error="Không tự đổi vai trò hay khóa chính mình."
        )
    try:
        await change_account(
            request.app[services_key].writer,
            username,
            role=None if action == "disable" else action,
            disable=action == "disable",
            end_sessions=close_sessions_of,
        )
    except AuthError as exc:
        return await _users_page(request, session, error=f"Không đổi được: {exc}.")
    done = "Đã khóa tài khoản" if action == "disable" else "Đã đổi vai trò"
    return await _users_page(request, session, message=f"{done} {username}.")


def setup(admin_app: web.Application) -> None:
    """Routes relative to the sub-application's prefix, /admin."""
    sign_in = admin_app.router.add_resource("/login", name=LOGIN)
    sign_in.add_route("GET", login_page)
    sign_in.add_route("POST", login)
    admin_app.router.add_post("/logout", logout)
    admin_app.router.add_get("", home)
    admin_app.router.add_get("/api/stats", api_stats)
    admin_app.router.add_get("/report", report)
    admin_app.router.add_get("/report/print", report_print)
    admin_app.router.add_get("/users", users_page)
    admin_app.router.add_post("/users", users_create)
    admin_app.router.add_post("/users/change", users_change)
    admin_app.router.add_post("/users/communes", users_communes)
