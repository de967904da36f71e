"""Compressed request bodies are refused before anything reads them: neither platform nor the
web chat compresses what it posts, and expanding one is how a small body becomes a large one."""

from __future__ import annotations

from aiohttp import web

from bot.web.errors import Handler, json_error

IDENTITY = frozenset({"", "identity"})


@web.middleware
async def refuse_encoded_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in IDENTITY:
        return json_error(415, "Không nhận nội dung nén (Content-Encoding).")
    return await handler(request)


# How every server of ours is run (and the tests' servers): bodies are never decompressed, so
# a compressed one costs nothing and leaves the connection usable after its 415.
DECOMPRESS_BODIES = False
SERVER_OPTIONS: dict[str, bool] = {"auto_decompress": DECOMPRESS_BODIES}
