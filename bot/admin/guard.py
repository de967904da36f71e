"""The admin's security, shared by all its pages: a session for every page but the login, the
role a page asks for, the CSRF token of every form, and headers that keep pages out of caches,
frames and referrers."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.admin.auth import COOKIE, Session
from bot.admin.keys import services_key, signer_key
from bot.admin.sessions import is_open

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Page = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]

# Names of the resources that answer without a session: the login form and its style sheet.
LOGIN = "login"
STYLE = "admin_css"
_OPEN = frozenset({LOGIN, STYLE})
_SESSION = "admin_session"


async def current_session(request: web.Request) -> Session | None:
    """The request's session: a valid signature and a live row (not logged out, the account
    enabled and its role unchanged)."""
    now = time.time()
    session = request.app[signer_key].loads(request.cookies.get(COOKIE), now)
    if session is None or not await is_open(request.app[services_key].engine, session, now):
        return None
    return session


def _protect(response: web.StreamResponse) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"


async def _signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    match = request.match_info
    if match.http_exception is not None or match.route.name in _OPEN:
        return await handler(request)
    session = await current_session(request)
    if session is None:
        if request.path.startswith("/admin/api/"):
            return web.json_response({"error": "Chưa đăng nhập."}, status=401)
        raise web.HTTPFound("/admin/login")
    request[_SESSION] = session
    return await handler(request)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await _signed_in(request, handler)
    except web.HTTPException as exc:
        _protect(exc)
        raise
    _protect(response)
    return response


def require(role: str | None = None) -> Callable[[Page], Handler]:
    """Decorator: the page gets the session; the role if one is named, and on POST the form's
    CSRF token (checked in constant time), are required."""

    def wrap(page: Page) -> Handler:
        async def inner(request: web.Request) -> web.StreamResponse:
            session: Session = request[_SESSION]
            if role is not None and session.role != role:
                raise web.HTTPForbidden(text="Bạn không có quyền xem trang này.")
            if request.method == "POST":
                form = await request.post()
                token = str(form.get("csrf", ""))
                if not hmac.compare_digest(token.encode(), session.csrf.encode()):
                    raise web.HTTPForbidden(text="Phiên làm việc không hợp lệ, hãy tải lại trang.")
            return await page(request, session)

        return inner

    return wrap
