"""Admin accounts and sessions: scrypt password hashes, signed session cookies, CSRF tokens,
login rate limiting.

The session cookie holds the user id, role, expiry, the CSRF token and a session id, signed with
an HMAC key that lives in the environment (ADMIN_SESSION_KEY) or, in development, under var/. It
is HttpOnly, SameSite=Strict and Secure (unless ADMIN_INSECURE_COOKIES), and honoured only while
its session row lives (bot/admin/sessions.py). Unknown names cost a password check too, so the
answer's time does not tell which accounts exist.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import admin_users
from bot.db.writer import BatchWriter

USERNAME_MAX = 64  # admin_users.username
ROLES = ("admin", "volunteer")
COOKIE = "khdx_admin"
SESSION_SECONDS = 8 * 3600
# scrypt cost: a login is rare, so each guess can be made expensive (32 MiB, about 0.1 s).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
# At most two checks at a time: each takes 32 MiB and a core.
_HASHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")


class AuthError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AuthError("mật khẩu cần ít nhất 10 ký tự")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_SCRYPT_MAXMEM
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was hashed at another cost than today's."""
    return not stored.startswith(f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


async def check_password(password: str, stored: str | None) -> bool:
    """`verify_password` on a worker thread; against a dummy hash when there is no account,
    so that an unknown name takes as long as a known one."""
    loop = asyncio.get_running_loop()
    if stored is None:
        # Made on the worker thread too: the first one costs a hash, never the event loop's.
        dummy = await loop.run_in_executor(_HASHER, _dummy_hash)
        await loop.run_in_executor(_HASHER, verify_password, password, dummy)
        return False
    return await loop.run_in_executor(_HASHER, verify_password, password, stored)


async def rehash(writer: BatchWriter, user_id: int, password: str) -> None:
    """Store the password at today's cost (after a login with an older hash)."""
    loop = asyncio.get_running_loop()
    password_hash = await loop.run_in_executor(_HASHER, hash_password, password)

    def work(conn: Connection) -> None:
        conn.execute(
            admin_users.update()
            .where(admin_users.c.id == user_id)
            .values(password_hash=password_hash)
        )

    await writer.write(work)


@dataclass(frozen=True)
class Session:
    user_id: int
    username: str
    role: str
    csrf: str
    expires: int
    # Names the session's row (bot/admin/sessions.py); cookies issued before it are refused.
    sid: str


class SessionSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def dumps(self, session: Session) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(session.__dict__).encode()).decode()
        sig = hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()
        return f"{payload}.{sig}"

    def loads(self, value: str | None, now: float | None = None) -> Session | None:
        if not value or "." not in value:
            return None
        payload, sig = value.rsplit(".", 1)
        expected = hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, sig):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            session = Session(**data)
        except (ValueError, TypeError):
            return None
        if session.expires < (now if now is not None else time.time()):
            return None
        return session


async def find_user(engine: AsyncEngine, username: str) -> object | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(admin_users).where(
                    admin_users.c.username == username.strip().lower(),
                    admin_users.c.disabled.is_(False),
                )
            )
        ).first()


async def create_user(
    writer: BatchWriter, username: str, password: str, role: str, now: datetime
) -> None:
    if role not in ROLES:
        raise AuthError(f"vai trò phải là {' hoặc '.join(ROLES)}")
    name = username.strip().lower()
    if not name or len(name) > USERNAME_MAX:
        raise AuthError("tên đăng nhập không hợp lệ")
    password_hash = hash_password(password)

    def work(conn: Connection) -> None:
        exists = conn.execute(
            select(func.count()).select_from(admin_users).where(admin_users.c.username == name)
        ).scalar_one()
        if exists:
            raise AuthError(f"tài khoản {name} đã có")
        conn.execute(
            admin_users.insert().values(
                username=name,
                password_hash=password_hash,
                role=role,
                created_at=now,
                disabled=False,
            )
        )

    await writer.write(work)


async def ensure_first_admin(
    writer: BatchWriter, engine: AsyncEngine, password: str, now: datetime
) -> bool:
    """Create `admin` from ADMIN_PASSWORD when there is no account at all."""
    if not password:
        return False
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(admin_users))).scalar_one()
    if count:
        return False
    try:
        await create_user(writer, "admin", password, "admin", now)
    except IntegrityError:  # another worker starting at the same moment created it
        return False
    return True


def new_session(user_id: int, username: str, role: str, now: float) -> Session:
    return Session(
        user_id,
        username,
        role,
        secrets.token_urlsafe(24),
        int(now) + SESSION_SECONDS,
        secrets.token_urlsafe(24),
    )


async def change_account(
    writer: BatchWriter,
    username: str,
    *,
    role: str | None = None,
    disable: bool = False,
    end_sessions: Callable[[Connection, int], None],
) -> None:
    """Give `username` another role, or disable it; `end_sessions(conn, user_id)` ends its
    sessions in the same transaction."""
    if role is not None and role not in ROLES:
        raise AuthError(f"vai trò phải là {' hoặc '.join(ROLES)}")
    name = username.strip().lower()

    def work(conn: Connection) -> None:
        user_id = conn.execute(
            select(admin_users.c.id).where(
                admin_users.c.username == name, admin_users.c.disabled.is_(False)
            )
        ).scalar()
        if user_id is None:
            raise AuthError(f"không có tài khoản {name}")
        values: dict[str, object] = {"disabled": True} if disable else {"role": role}
        conn.execute(admin_users.update().where(admin_users.c.id == user_id).values(**values))
        end_sessions(conn, user_id)

    await writer.write(work)
