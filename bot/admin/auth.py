"""Admin accounts and sessions: scrypt password hashes, signed session cookies, CSRF tokens,
login rate limiting.

The session cookie holds the user id, role, expiry and the CSRF token, signed with an HMAC key
that lives in the environment (ADMIN_SESSION_KEY) or, in development, under var/. It is
HttpOnly, SameSite=Strict, and Secure unless the server only listens on loopback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import admin_users
from bot.db.writer import BatchWriter

ROLES = ("admin", "volunteer")
COOKIE = "khdx_admin"
SESSION_SECONDS = 8 * 3600
# scrypt cost: a login is rare, so each guess can be made expensive.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
LOGIN_WINDOW_S = 300
LOGIN_MAX_FAILURES = 5


class AuthError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AuthError("mật khẩu cần ít nhất 10 ký tự")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


@dataclass(frozen=True)
class Session:
    user_id: int
    username: str
    role: str
    csrf: str
    expires: int


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


class LoginLimiter:
    """At most LOGIN_MAX_FAILURES failed logins per (client, username) per window."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def blocked(self, client: str, username: str, now: float) -> bool:
        failures = self._failures[(client, username.lower())]
        while failures and failures[0] < now - LOGIN_WINDOW_S:
            failures.popleft()
        return len(failures) >= LOGIN_MAX_FAILURES

    def failed(self, client: str, username: str, now: float) -> None:
        self._failures[(client, username.lower())].append(now)
        if len(self._failures) > 10_000:  # forget idle entries
            self._failures = defaultdict(deque, list(self._failures.items())[-5_000:])

    def succeeded(self, client: str, username: str) -> None:
        self._failures.pop((client, username.lower()), None)


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
    if not name or len(name) > 64:
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
    return Session(user_id, username, role, secrets.token_urlsafe(24), int(now) + SESSION_SECONDS)
