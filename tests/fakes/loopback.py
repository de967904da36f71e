"""A cookie jar that treats loopback as a secure origin, as browsers do: the admin cookies are
Secure, and the test client talks plain HTTP to 127.0.0.1."""

from __future__ import annotations

from http.cookies import BaseCookie

from aiohttp import CookieJar
from yarl import URL

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_NO_URL = URL()


class LoopbackJar(CookieJar):
    def __init__(self) -> None:
        super().__init__(unsafe=True)

    def filter_cookies(self, request_url: URL = _NO_URL) -> BaseCookie[str]:
        if request_url.scheme == "http" and request_url.host in LOOPBACK:
            request_url = request_url.with_scheme("https")
        return super().filter_cookies(request_url)
