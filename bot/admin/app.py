"""The admin as an aiohttp sub-application, mounted at /admin with its own security middleware
(bot/admin/guard.py): its own pages, the features' pages and the figures the dashboard shows.

The runtime builds its services and the features' desks when the gateway starts, after the
routes are fixed: the sub-application takes them then, through the two callables it is given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.web_urldispatcher import PrefixedSubAppResource

from bot.admin import answers, content, pages, review
from bot.admin.auth import SessionSigner
from bot.admin.figures import FigureProvider
from bot.admin.guard import STYLE, guard
from bot.admin.keys import (
    AdminServices,
    FeaturePages,
    figures_key,
    limiter_key,
    secure_key,
    services_key,
    signer_key,
)
from bot.admin.limiter import LoginLimiter
from bot.modelops import admin as models_admin

PREFIX = "/admin"
TEMPLATES = Path(__file__).parent / "templates"
# The pages' styles, in a file of their own: the Content-Security-Policy allows no inline style.
STYLE_SHEET = (TEMPLATES / "admin.css").read_bytes()


async def style_sheet(request: web.Request) -> web.Response:
    return web.Response(body=STYLE_SHEET, content_type="text/css", charset="utf-8")


def create_admin_app(
    signer: SessionSigner,
    *,
    secure_cookies: bool,
    services: Callable[[], AdminServices],
    desk: Callable[[str], Any],
    feature_pages: Mapping[str, FeaturePages],
    figures: Sequence[FigureProvider[Any]],
) -> web.Application:
    """`services()` and `desk(feature name)` are called once the gateway has started;
    `feature_pages` are the features' pages by feature name, `figures` the features' figures in
    the order the dashboard and the report show them. Mount the result with `mount`."""
    admin_app = web.Application(middlewares=[guard])
    aiohttp_jinja2.setup(
        admin_app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    admin_app[signer_key] = signer
    admin_app[limiter_key] = LoginLimiter()
    admin_app[secure_key] = secure_cookies
    admin_app[figures_key] = list(figures)
    admin_app.router.add_get("/admin.css", style_sheet, name=STYLE)
    pages.setup(admin_app)
    content.setup(admin_app)
    answers.setup(admin_app)
    models_admin.setup(admin_app)
    review.setup(admin_app)
    for feature in feature_pages.values():
        feature.setup(admin_app)

    async def take_services(admin_app: web.Application) -> AsyncIterator[None]:
        admin_app[services_key] = services()
        for name, feature in feature_pages.items():
            admin_app[feature.desk_key] = desk(name)
        yield

    admin_app.cleanup_ctx.append(take_services)
    return admin_app


class _PathPrefixed(PrefixedSubAppResource):
    """The sub-application's resource, matched on the request's path alone. aiohttp 3.9 builds
    the request's absolute URL to match a prefix, which fails with the pinned yarl when the Host
    header carries a port (aiohttp issue 9435, fixed in aiohttp 3.10.7)."""

    async def resolve(self, request: web.Request) -> Any:
        path = request.rel_url.raw_path
        if not path.startswith(self._prefix2) and path != self._prefix:
            return None, set()
        match_info = await self._app.router.resolve(request)
        match_info.add_app(self._app)
        if isinstance(match_info.http_exception, web.HTTPMethodNotAllowed):
            return match_info, match_info.http_exception.allowed_methods
        return match_info, set()


def mount(app: web.Application, admin_app: web.Application) -> None:
    """`app.add_subapp(PREFIX, admin_app)`, with the resource above."""
    app._add_subapp(partial(_PathPrefixed, PREFIX, admin_app), admin_app)
