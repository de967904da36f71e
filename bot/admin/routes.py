"""Admin pages at /admin: login, logout, overview, accounts (admin role only).

Server-rendered (Jinja2 through aiohttp-jinja2), Vietnamese, no CDN. Every state-changing form
carries a CSRF token checked in constant time; pages without a session redirect to the login.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy import select

from bot import keys
from bot.admin.auth import (
    COOKIE,
    SESSION_SECONDS,
    AuthError,
    LoginLimiter,
    Session,
    SessionSigner,
    create_user,
    find_user,
    new_session,
    verify_password,
)
from bot.admin.report import build as build_report
from bot.admin.stats import Period, RangeError, compute
from bot.db.models import admin_users
from bot.vntime import local_day

TEMPLATES = Path(__file__).parent / "templates"
LOGIN_CSRF_COOKIE = "khdx_login_csrf"
signer_key: web.AppKey[SessionSigner] = web.AppKey("admin_signer")
limiter_key: web.AppKey[LoginLimiter] = web.AppKey("admin_limiter")
secure_key: web.AppKey[bool] = web.AppKey("admin_cookie_secure")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def current_session(request: web.Request) -> Session | None:
    return request.app[signer_key].loads(request.cookies.get(COOKIE))


def require(role: str | None = None) -> Callable[[Callable[..., Awaitable[Any]]], Handler]:
    """Decorator: a session is required (redirect to login), and the role if one is named."""

    def wrap(handler: Callable[..., Awaitable[Any]]) -> Handler:
        async def inner(request: web.Request) -> web.StreamResponse:
            session = current_session(request)
            if session is None:
                raise web.HTTPFound("/admin/login")
            if role is not None and session.role != role:
                raise web.HTTPForbidden(text="Bạn không có quyền xem trang này.")
            if request.method == "POST":
                form = await request.post()
                token = str(form.get("csrf", ""))
                if not hmac.compare_digest(token.encode(), session.csrf.encode()):
                    raise web.HTTPForbidden(text="Phiên làm việc không hợp lệ, hãy tải lại trang.")
            return await handler(request, session)

        return inner

    return wrap


def _no_store(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    if current_session(request) is not None:
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
    return _no_store(response)


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = str(form.get("csrf", ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return _login_form(request, "Phiên đăng nhập hết hạn, bạn thử lại nhé.", status=403)
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    client = request.remote or "?"
    now = time.time()
    limiter = request.app[limiter_key]
    if limiter.blocked(client, username, now):
        return _login_form(request, "Sai quá nhiều lần. Bạn chờ 5 phút rồi thử lại.", status=429)
    user: Any = await find_user(request.app[keys.db_key], username)
    if user is None or not verify_password(password, user.password_hash):
        limiter.failed(client, username, now)
        return _login_form(request, "Tên đăng nhập hoặc mật khẩu không đúng.", status=401)
    limiter.succeeded(client, username)
    session = new_session(user.id, user.username, user.role, now)
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
    response = web.HTTPFound("/admin/login")
    response.del_cookie(COOKIE, path="/admin")
    raise response


@require()
async def home(request: web.Request, session: Session) -> web.StreamResponse:
    today = local_day(request.app[keys.clock_key]())  # the day in Vietnam, as periods are
    error = None
    try:
        period = Period.parse(request.query.get("from"), request.query.get("to"), today)
    except RangeError as exc:
        error = f"Khoảng thời gian không hợp lệ: {exc}."
        period = Period.parse(None, None, today)
    stats = await compute(request.app[keys.db_key], period)
    response = aiohttp_jinja2.render_template(
        "home.html", request, {"session": session, "stats": stats, "error": error}
    )
    return _no_store(response)


async def api_stats(request: web.Request) -> web.StreamResponse:
    """The dashboard's figures as JSON; a session is required (401 without)."""
    if current_session(request) is None:
        return web.json_response({"error": "Chưa đăng nhập."}, status=401)
    today = local_day(request.app[keys.clock_key]())  # the day in Vietnam, as periods are
    try:
        period = Period.parse(request.query.get("from"), request.query.get("to"), today)
    except RangeError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    response = web.json_response(await compute(request.app[keys.db_key], period))
    return _no_store(response)


async def _users_page(
    request: web.Request, session: Session, message: str | None = None, error: str | None = None
) -> web.StreamResponse:
    async with request.app[keys.db_key].connect() as conn:
        users = (
            await conn.execute(
                select(admin_users.c.username, admin_users.c.role, admin_users.c.created_at)
                .where(admin_users.c.disabled.is_(False))
                .order_by(admin_users.c.username)
            )
        ).all()
    response = aiohttp_jinja2.render_template(
        "users.html",
        request,
        {"session": session, "users": users, "message": message, "error": error},
        status=400 if error else 200,
    )
    return _no_store(response)


@require("admin")
async def users_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _users_page(request, session)


@require("admin")
async def users_create(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    try:
        await create_user(
            request.app[keys.writer_key],
            str(form.get("username", "")),
            str(form.get("password", "")),
            str(form.get("role", "")),
            request.app[keys.clock_key](),
        )
    except AuthError as exc:
        return await _users_page(request, session, error=f"Không tạo được: {exc}.")
    return await _users_page(request, session, message="Đã tạo tài khoản.")


@require()
async def report(request: web.Request, session: Session) -> web.StreamResponse:
    """The monthly workbook (or CSV) for download."""
    month = request.query.get("month") or request.app[keys.clock_key]().strftime("%Y-%m")
    fmt = request.query.get("format", "xlsx")
    if fmt not in {"xlsx", "csv"}:
        raise web.HTTPBadRequest(text="Định dạng phải là xlsx hoặc csv.")
    try:
        body = await build_report(request.app[keys.db_key], month, fmt)
    except RangeError as exc:
        raise web.HTTPBadRequest(text=f"Tháng không hợp lệ: {exc}.") from exc
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = web.Response(body=body, headers={"Content-Type": content_type})
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bao-cao-chuyen-doi-so-{month}.{fmt}"'
    )
    return _no_store(response)


def setup(app: web.Application, signer: SessionSigner, *, secure_cookies: bool) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    app[signer_key] = signer
    app[limiter_key] = LoginLimiter()
    app[secure_key] = secure_cookies
    app.router.add_get("/admin/login", login_page)
    app.router.add_post("/admin/login", login)
    app.router.add_post("/admin/logout", logout)
    app.router.add_get("/admin", home)
    app.router.add_get("/admin/api/stats", api_stats)
    app.router.add_get("/admin/report", report)
    app.router.add_get("/admin/users", users_page)
    app.router.add_post("/admin/users", users_create)
    from bot.admin import campaign, handoffs, newsletter, quiz  # noqa: PLC0415  (circular)

    campaign.setup(app)
    handoffs.setup(app)
    quiz.setup(app)
    newsletter.setup(app)
