"""Zalo OA access tokens: stored in the database, refreshed before they expire, single-flight.

Zalo's refresh token is single-use and rotated on every refresh (Zalo OA API, access token
reference). Two refreshes racing with the same refresh token leave one of them holding a dead
token, so:
- one refresh at a time in the process (an asyncio lock);
- a caller whose token went stale first re-reads the row: if someone else already refreshed,
  it uses that token instead of refreshing again;
- the new pair is committed before the new access token is used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import zalo_tokens
from bot.db.upsert import insert_for
from bot.pipeline.locks import LocalLocks, Locks
from bot.settings import ZaloSettings

log = logging.getLogger(__name__)

OAUTH_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)
# Zalo access tokens last ~25 h; refresh when less than this remains.
REFRESH_MARGIN = timedelta(hours=5)
REFRESH_WAIT_S = 20.0  # a refresh in another worker takes one OAuth call
DEFAULT_LIFETIME = timedelta(hours=25)


class TokenRefreshError(RuntimeError):
    """The OAuth server refused the refresh (e.g. the refresh token is gone: re-consent)."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime


class ZaloTokenManager:
    def __init__(
        self,
        engine: AsyncEngine,
        session: aiohttp.ClientSession,
        *,
        key: str,
        app_id: str,
        app_secret: str,
        oauth_url: str,
        clock: Callable[[], datetime],
        initial: TokenPair | None = None,
        locks: Locks | None = None,
    ) -> None:
        self._engine = engine
        self._session = session
        self._key = key
        self._app_id = app_id
        self._app_secret = app_secret
        self._url = f"{oauth_url}/v4/oa/access_token"
        self._clock = clock
        self._initial = initial
        self._lock = asyncio.Lock()
        # Across worker processes: one refresh at a time (the refresh token is single-use).
        self._locks: Locks = locks or LocalLocks()
        self.refresh_count = 0

    @classmethod
    def from_settings(
        cls,
        engine: AsyncEngine,
        session: aiohttp.ClientSession,
        settings: ZaloSettings,
        clock: Callable[[], datetime],
        locks: Locks | None = None,
    ) -> ZaloTokenManager:
        """One token row per Zalo app; the configured pair (if any) is the first one."""
        initial = None
        if settings.access_token and settings.refresh_token:
            initial = TokenPair(
                settings.access_token, settings.refresh_token, clock() + DEFAULT_LIFETIME
            )
        return cls(
            engine,
            session,
            key=settings.app_id,
            app_id=settings.app_id,
            app_secret=settings.app_secret,
            oauth_url=settings.oauth_url,
            clock=clock,
            initial=initial,
            locks=locks,
        )

    async def _load(self) -> TokenPair | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(zalo_tokens).where(zalo_tokens.c.oa_id == self._key))
            ).first()
        if row is None:
            return None
        expires_at = row.expires_at
        if expires_at.tzinfo is None:  # SQLite returns naive datetimes
            expires_at = expires_at.replace(tzinfo=self._clock().tzinfo)
        return TokenPair(row.access_token, row.refresh_token, expires_at)

    async def store(self, pair: TokenPair) -> None:
        """Insert or replace the pair (used for the first pair and by the admin CLI)."""
        now = self._clock()
        async with self._engine.begin() as conn:
            updated = await conn.execute(
                update(zalo_tokens)
                .where(zalo_tokens.c.oa_id == self._key)
                .values(
                    access_token=pair.access_token,
                    refresh_token=pair.refresh_token,
                    expires_at=pair.expires_at,
                    updated_at=now,
                    version=zalo_tokens.c.version + 1,
                )
            )
            if updated.rowcount == 0:
                await conn.execute(
                    zalo_tokens.insert().values(
                        oa_id=self._key,
                        access_token=pair.access_token,
                        refresh_token=pair.refresh_token,
                        expires_at=pair.expires_at,
                        updated_at=now,
                        version=1,
                    )
                )

    async def ensure_initial(self) -> None:
        """Store the configured first pair unless a pair is stored already (never overwrite:
        the stored pair may be a newer, rotated one)."""
        if self._initial is None:
            return
        pair = self._initial
        async with self._engine.begin() as conn:
            await conn.execute(
                insert_for(conn, zalo_tokens)
                .values(
                    oa_id=self._key,
                    access_token=pair.access_token,
                    refresh_token=pair.refresh_token,
                    expires_at=pair.expires_at,
                    updated_at=self._clock(),
                    version=1,
                )
                .on_conflict_do_nothing(index_elements=["oa_id"])
            )

    async def current(self) -> TokenPair | None:
        pair = await self._load()
        if pair is None and self._initial is not None:
            await self.ensure_initial()
            pair = await self._load()
        return pair

    async def access_token(self) -> str:
        pair = await self.current()
        if pair is None:
            return ""
        if pair.expires_at - self._clock() < REFRESH_MARGIN:
            try:
                return await self.refresh(stale=pair.access_token)
            except TokenRefreshError:
                log.error("zalo token refresh failed; using the current token while it lasts")
        return pair.access_token

    async def refresh(self, *, stale: str) -> str:
        """A fresh access token. `stale` is the token the caller found wanting."""
        async with self._lock, self._locks.wait(f"zalo-token:{self._key}", REFRESH_WAIT_S) as mine:
            if not mine:
                raise TokenRefreshError("another worker is refreshing, or the locks are down")
            pair = await self.current()
            if pair is None:
                raise TokenRefreshError("no Zalo token pair stored: paste one with the CLI")
            if pair.access_token != stale and pair.expires_at - self._clock() >= REFRESH_MARGIN:
                return pair.access_token  # someone refreshed while we waited
            new = await self._request(pair.refresh_token)
            await self.store(new)  # persisted before anyone uses it
            self.refresh_count += 1
            log.info("zalo access token refreshed (valid until %s)", new.expires_at.isoformat())
            return new.access_token

    async def _request(self, refresh_token: str) -> TokenPair:
        form = {
            "refresh_token": refresh_token,
            "app_id": self._app_id,
            "grant_type": "refresh_token",
        }
        try:
            async with self._session.post(
                self._url,
                data=form,
                headers={"secret_key": self._app_secret},
                timeout=OAUTH_TIMEOUT,
            ) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise TokenRefreshError(f"oauth request failed: {type(exc).__name__}") from exc
        # Errors may come with HTTP 200: only a body with both tokens is a success.
        if (
            not isinstance(body, dict)
            or not body.get("access_token")
            or not body.get("refresh_token")
        ):
            reason = body.get("error_name") if isinstance(body, dict) else None
            raise TokenRefreshError(
                f"oauth refused the refresh ({reason or 'no token in answer'})"
            )
        try:
            lifetime = timedelta(seconds=int(body.get("expires_in") or 0)) or DEFAULT_LIFETIME
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        return TokenPair(
            str(body["access_token"]), str(body["refresh_token"]), self._clock() + lifetime
        )
