"""Security headers on every response of the gateway, the admin pages included: a strict
Content-Security-Policy (scripts, styles, images and requests from this origin only, no inline
code), no MIME sniffing, no referrer, and no framing except the web chat page, which the
portals named in WEB_CHAT_FRAME_ANCESTORS may embed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web import keys

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
)
# The web chat's page: the only one a portal may frame.
CHAT_PAGE = "/"
STATIC = "/static/"


def _frame_ancestors(request: web.Request) -> str:
    if request.path == CHAT_PAGE:
        origins = request.app[keys.settings_key].web_chat_frame_ancestors
        return " ".join(origins) if origins else "'self'"
    return "'none'"


def _protect(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:  # a stream already sent its headers
        return
    ancestors = _frame_ancestors(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", f"{_POLICY}frame-ancestors {ancestors}")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith(STATIC):
        # Revalidated each time: a browser must not keep a chat.js older than the server's API.
        headers.setdefault("Cache-Control", "no-cache")
    if ancestors == "'none'":
        headers.setdefault("X-Frame-Options", "DENY")
    elif ancestors == "'self'":
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _protect(request, exc)
        raise
    _protect(request, response)
    return response
