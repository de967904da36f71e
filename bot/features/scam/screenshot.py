"""Reading a screenshot a citizen sent: the image fetched from the platform's address and its
text read by Tesseract (Vietnamese), for the scam check.

Everything here is bounded, and runs in the citizen's turn, never on a webhook's ack: the fetch
by a time limit and a size cap (reading stops past it), public addresses only unless the setting
ATTACHMENT_ALLOW_PRIVATE allows loopback and private ones (tests, fake platforms); the OCR in a
child process (`tesseract`, Debian's tesseract-ocr and tesseract-ocr-vie), killed past its time
limit, a few at a time: the event loop and other citizens' turns never wait for it. Anything
that fails gives None, and the citizen gets the usual screenshot advice. No address or text is
logged.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import shutil
import socket
import struct
import time
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

log = logging.getLogger(__name__)

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
# Tesseract's "single column of text": a phone screenshot is one column of messages; its default
# layout analysis split a long screenshot into false columns and lost the link.
PAGE_MODE = "4"


@dataclass(frozen=True)
class Limits:
    # A phone screenshot is well under 2 MB; reading stops past this.
    max_bytes: int = 5 * 1024 * 1024
    # Decoded size: a small file can unpack to a huge bitmap (a "decompression bomb").
    max_pixels: int = 40_000_000
    fetch_timeout_s: float = 10.0
    ocr_timeout_s: float = 20.0
    # OCR at once: one leaves the other core to the turns and the webhooks.
    concurrency: int = 1
    # A screenshot waiting longer than this for the OCR gets the advice instead.
    queue_timeout_s: float = 15.0
    max_redirects: int = 3
    # Fewer letters and digits than this: no text worth checking (a photo, a sticker).
    min_chars: int = 8
    command: str = "tesseract"
    language: str = "vie"


LIMITS = Limits()


class Unreadable(Exception):
    """Why an image was not read: logged without its address."""


@dataclass(frozen=True)
class Reading:
    """What was read, and how long each part took (for the log and the README's figures)."""

    text: str
    fetch_s: float
    ocr_s: float
    size: int


class ScreenshotReader:
    def __init__(self, limits: Limits = LIMITS, *, allow_private: bool = False) -> None:
        self._limits = limits
        self._allow_private = allow_private
        self._slots = asyncio.Semaphore(limits.concurrency)
        # Run at a lower priority when `nice` exists: turns and webhooks come first.
        nice = shutil.which("nice")
        self._prefix = (nice, "-n", "10") if nice else ()

    async def text(self, url: str) -> str | None:
        """The text of the image at `url`, or None when there is none or it was not read."""
        reading = await self.read(url)
        return reading.text if reading is not None else None

    async def read(self, url: str) -> Reading | None:
        try:
            started = time.perf_counter()
            image = await self.fetch(url)
            fetched = time.perf_counter()
            text = await self.ocr(image)
        except Unreadable as exc:
            log.info("screenshot not read: %s", exc)
            return None
        except Exception as exc:  # never a failed turn: the citizen gets the advice
            log.warning("screenshot not read: %s", type(exc).__name__)
            return None
        ocr_s = time.perf_counter() - fetched
        log.info(
            "screenshot read: %d kB in %.2f s, OCR %.2f s, %d characters",
            len(image) // 1024,
            fetched - started,
            ocr_s,
            len(text),
        )
        if sum(ch.isalnum() for ch in text) < self._limits.min_chars:
            return None
        return Reading(text, fetched - started, ocr_s, len(image))

    async def fetch(self, url: str) -> bytes:
        """The image's bytes; Unreadable past the size cap or the time limit, for an address
        that is not http(s), or one on a private network when that is not allowed."""
        try:
            return await asyncio.wait_for(self._fetch(url), self._limits.fetch_timeout_s)
        except asyncio.TimeoutError as exc:
            raise Unreadable("fetch timed out") from exc
        except aiohttp.ClientError as exc:
            raise Unreadable(f"fetch failed: {type(exc).__name__}") from exc

    async def _fetch(self, url: str) -> bytes:
        resolver = None if self._allow_private else PublicResolver()
        connector = aiohttp.TCPConnector(resolver=resolver, limit=1)
        async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
            target = URL(url)
            for _ in range(self._limits.max_redirects + 1):
                self._check_address(target)
                async with session.get(target, allow_redirects=False) as resp:
                    if resp.status in REDIRECTS and "Location" in resp.headers:
                        target = resp.url.join(URL(resp.headers["Location"]))
                        continue
                    if resp.status != 200:
                        raise Unreadable(f"http {resp.status}")
                    return await self._body(resp)
        raise Unreadable("too many redirects")

    def _check_address(self, url: URL) -> None:
        if url.scheme not in ("http", "https") or not url.host:
            raise Unreadable("not an http(s) address")
        if self._allow_private:
            return
        try:
            literal = ipaddress.ip_address(url.host)
        except ValueError:
            return  # a name: its addresses are checked when it is resolved (PublicResolver)
        if not is_public(literal):
            raise Unreadable("a private address")

    async def _body(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = self._limits.max_bytes
        if resp.content_length is not None and resp.content_length > cap:
            raise Unreadable("image too large")
        data = bytearray()
        async for chunk in resp.content.iter_chunked(CHUNK):
            data += chunk
            if len(data) > cap:
                raise Unreadable("image too large")
        return bytes(data)

    async def ocr(self, image: bytes) -> str:
        """The image's text, read by Tesseract in a child process (killed past the limit)."""
        width, height = image_size(image)
        if width * height > self._limits.max_pixels:
            raise Unreadable("image too large")
        try:
            await asyncio.wait_for(self._slots.acquire(), self._limits.queue_timeout_s)
        except asyncio.TimeoutError as exc:
            raise Unreadable("OCR busy") from exc
        try:
            return await self._tesseract(image)
        finally:
            self._slots.release()

    async def _tesseract(self, image: bytes) -> str:
        limits = self._limits
        # One thread: concurrency is ours to bound, and OpenMP's threads slow Tesseract down
        # on a busy machine.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._prefix,
                limits.command,
                "stdin",
                "stdout",
                "-l",
                limits.language,
                "--psm",
                PAGE_MODE,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            raise Unreadable(f"tesseract not started: {type(exc).__name__}") from exc
        try:
            out, _ = await asyncio.wait_for(proc.communicate(image), limits.ocr_timeout_s)
        except asyncio.TimeoutError as exc:
            raise Unreadable("OCR timed out") from exc
        finally:
            if proc.returncode is None:
                # Timed out or the turn was cancelled: the child never outlives its turn.
                proc.kill()
                await proc.wait()
        if proc.returncode != 0:
            raise Unreadable(f"tesseract exit {proc.returncode}")
        return " ".join(out.decode("utf-8", "replace").split())


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_global)


class PublicResolver(ThreadedResolver):
    """Resolves only to public addresses: a name pointing inside the network is refused when
    the connection is made, so a redirect or a DNS change cannot reach it either."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await super().resolve(host, port, family)
        public = [r for r in found if is_public(ipaddress.ip_address(r["host"]))]
        if not public:
            raise OSError(f"no public address for the image's host (port {port})")
        return public


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG, JPEG or WebP header; Unreadable for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_size(data)
    raise Unreadable("not a PNG, JPEG or WebP image")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:  # markers without a length
            i += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        i += 2 + length
    raise Unreadable("a JPEG without a frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    raise Unreadable("an unknown WebP chunk")
