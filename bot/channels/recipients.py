"""Looking up the raw platform id behind a pseudonymous user reference (to send to them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import recipients

CACHE_LIMIT = 50_000


class RecipientDirectory:
    """`user_ref -> platform user id`, cached: a ref is an HMAC of the platform id, so the
    mapping never changes once written."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._cache: dict[str, str] = {}

    async def platform_user_id(self, ref: str) -> str | None:
        if ref in self._cache:
            return self._cache[ref]
        async with self._engine.connect() as conn:
            user_id = (
                await conn.execute(
                    select(recipients.c.platform_user_id).where(recipients.c.user_ref == ref)
                )
            ).scalar()
        if user_id is not None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[ref] = user_id
        return user_id

    def forget(self, ref: str) -> None:
        """After an erasure: the next lookup reads the table again."""
        self._cache.pop(ref, None)
