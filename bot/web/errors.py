"""Error handling shared by all routes: clear JSON errors, never a stack trace to a client."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_REASONS_VI = {
    400: "Yêu cầu không hợp lệ.",
    401: "Chưa xác thực.",
    403: "Không có quyền truy cập.",
    404: "Không tìm thấy.",
    405: "Phương thức không được hỗ trợ.",
    413: "Nội dung gửi lên quá lớn.",
    415: "Định dạng nội dung không được hỗ trợ.",
    503: "Hệ thống đang khởi động, bạn thử lại sau ít phút.",
}


def json_error(status: int, detail: str | None = None) -> web.Response:
    return web.json_response(
        {"error": detail or _REASONS_VI.get(status, "Lỗi."), "status": status}, status=status
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith(("/webhooks/", "/readyz")):
            raise
        return json_error(exc.status, exc.text if exc.status not in _REASONS_VI else None)
    except HttpProcessingError:
        # A body the parser could not read (a broken chunk or compression): the sender's error.
        return json_error(400)
    except Exception:
        # Logged with the route only: request bodies may hold personal data.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "Lỗi hệ thống, bạn vui lòng thử lại sau.")
