"""Settings read from the environment (and `.env` in development).

`Settings.from_env` takes any mapping so tests never touch `os.environ`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_FACEBOOK_GRAPH_URL = "https://graph.facebook.com/v21.0"
DEFAULT_ZALO_API_URL = "https://openapi.zalo.me"
DEFAULT_ZALO_OAUTH_URL = "https://oauth.zaloapp.com"


class SettingsError(ValueError):
    """A setting has a value the assistant cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _str(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, "").strip() or default


def _words(env: Mapping[str, str], name: str) -> list[str]:
    return env.get(name, "").replace(",", " ").split()


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Addresses or CIDR networks, separated by commas or spaces."""
    words = _words(env, name)
    for word in words:
        try:
            ipaddress.ip_network(word, strict=False)
        except ValueError as exc:
            raise SettingsError(f"{name}: {word!r} is not an IP address or network") from exc
    return tuple(words)


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Web origins (https://host[:port]), separated by commas or spaces."""
    words = _words(env, name)
    for word in words:
        if not re.fullmatch(r"https?://[A-Za-z0-9.*-]+(:[0-9]{1,5})?", word):
            raise SettingsError(f"{name}: {word!r} is not an origin like https://host")
    return tuple(words)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in {"", "0", "1", "true", "false", "yes", "no"}:
        raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")
    return raw in {"1", "true", "yes"}


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class FacebookSettings:
    app_secret: str = field(default="", repr=False)
    # FACEBOOK_APP_ID: tells our echoes from replies staff send in the page inbox; unset, every
    # echo is taken for ours (staff replies then do not pause the assistant).
    app_id: str = ""
    verify_token: str = field(default="", repr=False)
    page_access_token: str = field(default="", repr=False)
    graph_url: str = DEFAULT_FACEBOOK_GRAPH_URL

    @property
    def enabled(self) -> bool:
        return bool(self.app_secret and self.verify_token and self.page_access_token)

    @property
    def missing(self) -> list[str]:
        names = {
            "FACEBOOK_APP_SECRET": self.app_secret,
            "FACEBOOK_VERIFY_TOKEN": self.verify_token,
            "FACEBOOK_PAGE_ACCESS_TOKEN": self.page_access_token,
        }
        return [name for name, value in names.items() if not value]


@dataclass(frozen=True)
class ZaloSettings:
    app_id: str = ""
    app_secret: str = field(default="", repr=False)
    oa_secret_key: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    api_url: str = DEFAULT_ZALO_API_URL
    oauth_url: str = DEFAULT_ZALO_OAUTH_URL
    # ZALO_REPLAY_WINDOW_S: a signed event older than this (by its own timestamp) is a replay.
    replay_window_s: float = 86400.0

    @property
    def enabled(self) -> bool:
        # Tokens may also come from the database (pasted by an admin), so only the
        # webhook secrets decide whether the channel is on.
        return bool(self.app_id and self.app_secret and self.oa_secret_key)

    @property
    def missing(self) -> list[str]:
        names = {
            "ZALO_APP_ID": self.app_id,
            "ZALO_APP_SECRET": self.app_secret,
            "ZALO_OA_SECRET_KEY": self.oa_secret_key,
        }
        return [name for name, value in names.items() if not value]


def worker_id(index: int | str, override: str = "") -> str:
    """The id of the supervisor's worker `index` on this host, or `override` (WORKER_ID) for a
    worker started on its own. Stable across restarts: a restarted worker takes its own rows
    back at once instead of waiting for its claims to expire."""
    return (override or f"{socket.gethostname()}:{index}")[:48]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = ""
    redis_url: str = ""
    pseudonym_key: str = field(default="", repr=False)
    admin_password: str = field(default="", repr=False)
    admin_session_key: str = field(default="", repr=False)
    model_path: Path = PROJECT_ROOT / "models" / "assistant.tar.gz"
    var_dir: Path = PROJECT_ROOT / "var"
    log_level: str = "INFO"
    # Largest request body accepted by any route; bigger ones get 413.
    max_body_bytes: int = 256 * 1024
    # Longest user message passed to the NLU; longer pastes are cut (the reply says so).
    max_message_chars: int = 5000
    turn_timeout_s: float = 30.0
    # A webhook not stored within this many seconds (database or lock unreachable, a dead
    # connection) is answered 503 with Retry-After, so the platform delivers it again.
    ack_timeout_s: float = 5.0
    # Opening a database connection gives up after this long.
    db_connect_timeout_s: float = 3.0
    # A process told to stop (SIGTERM) has finished within this long, or is killed with its
    # children (a task or a thread stuck on a dead connection never ends by itself).
    stop_timeout_s: float = 40.0
    # "process": the Rasa agent runs in a supervised child process (acks never wait for a
    # turn); "thread": on a thread of the server process (lighter, for small pilots).
    agent_mode: str = "process"
    # Records older than this are deleted by the daily retention job.
    retention_days: int = 365
    # A handoff nobody claims within this many minutes gets an apology and the hotline.
    handoff_timeout_min: int = 30
    # A handoff of a citizen whose commune is known is offered only to that commune's volunteers
    # (and admins) this many minutes, then to every volunteer of the province (0: at once).
    handoff_local_wait_min: int = 10
    # A phone line citizens can call when no volunteer is free: configured, since no source
    # names one for the province yet (so it is not written into the answers).
    handoff_hotline: str = ""
    # STAFF_PAUSE_MIN: after page/OA staff write to a citizen from outside the assistant, it
    # leaves that citizen's messages unanswered this long (from staff's last reply).
    staff_pause_min: float = 30.0
    # Signs the web chat's sender ids (WEBCHAT_KEY; var/webchat.key in development).
    webchat_key: str = field(default="", repr=False)
    # A web chat id unused this long starts a new conversation (shared commune computers).
    webchat_idle_min: int = 30
    # Messages one web chat sender may send per 10 seconds.
    webchat_sender_messages: int = 10
    # Messages per minute, and new web chat ids per hour, from one client address.
    webchat_address_messages_per_min: int = 60
    webchat_address_sessions_per_hour: int = 30
    facebook: FacebookSettings = FacebookSettings()
    zalo: ZaloSettings = ZaloSettings()
    # Set by `run --workers N` for each worker process (bot/runtime/supervisor.py).
    worker_index: int = 0
    workers: int = 0
    turn_hints_dir: str = ""
    # WORKER_ID: this worker's name in claims; host:index when unset.
    worker_name: str = ""
    # The tracker store's database for the agent child (set by its parent).
    agent_database_url: str = ""
    # TRUSTED_PROXIES: addresses or networks of the reverse proxies whose X-Forwarded-For is
    # believed (the admin login's rate limit needs the real client's address); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # ADMIN_INSECURE_COOKIES=1: admin cookies without Secure, for a plain-HTTP test deployment
    # on an address other than loopback (browsers keep Secure cookies on http://127.0.0.1).
    admin_insecure_cookies: bool = False
    # WEB_CHAT_FRAME_ANCESTORS: origins (https://portal.example) that may embed the web chat.
    web_chat_frame_ancestors: tuple[str, ...] = ()
    # ATTACHMENT_ALLOW_PRIVATE=1: a citizen's image may be fetched from a loopback or private
    # address (tests and local fake platforms); off, only public addresses are fetched.
    attachment_allow_private: bool = False
    # REVIEW_LOW_CONFIDENCE: a question answered less sure than this joins the review queue.
    review_low_confidence: float = 0.6

    @property
    def worker_id(self) -> str:
        """Who claims inbox and outbox rows: unique per worker process of the deployment."""
        return worker_id(self.worker_index, self.worker_name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        var_dir = _path(env, "VAR_DIR", PROJECT_ROOT / "var")
        database_url = (
            _str(env, "DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir / 'assistant.db'}"
        )
        if not database_url.startswith(("sqlite", "postgresql")):
            raise SettingsError(
                "DATABASE_URL must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL"
            )
        log_level = _str(env, "LOG_LEVEL", "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(
                f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}"
            )
        agent_mode = _str(env, "AGENT_MODE", "process").lower()
        if agent_mode not in {"process", "thread"}:
            raise SettingsError(f"AGENT_MODE must be process or thread, got {agent_mode!r}")
        return cls(
            agent_mode=agent_mode,
            retention_days=_int(env, "RETENTION_DAYS", 365, low=1, high=3650),
            handoff_timeout_min=_int(env, "HANDOFF_TIMEOUT_MIN", 30, low=1, high=7 * 24 * 60),
            handoff_hotline=_str(env, "HANDOFF_HOTLINE"),
            handoff_local_wait_min=_int(env, "HANDOFF_LOCAL_WAIT_MIN", 10, low=0, high=24 * 60),
            staff_pause_min=_float(env, "STAFF_PAUSE_MIN", 30.0, low=0.01, high=7 * 24 * 60.0),
            webchat_key=_str(env, "WEBCHAT_KEY"),
            webchat_idle_min=_int(env, "WEBCHAT_IDLE_MIN", 30, low=1, high=24 * 60),
            webchat_sender_messages=_int(env, "WEBCHAT_SENDER_MESSAGES", 10, low=1, high=1000),
            webchat_address_messages_per_min=_int(
                env, "WEBCHAT_ADDRESS_MESSAGES_PER_MIN", 60, low=1, high=100_000
            ),
            webchat_address_sessions_per_hour=_int(
                env, "WEBCHAT_ADDRESS_SESSIONS_PER_HOUR", 30, low=1, high=100_000
            ),
            host=_str(env, "HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8080, low=0, high=65535),
            database_url=database_url,
            redis_url=_str(env, "REDIS_URL"),
            pseudonym_key=_str(env, "PSEUDONYM_KEY"),
            admin_password=_str(env, "ADMIN_PASSWORD"),
            admin_session_key=_str(env, "ADMIN_SESSION_KEY"),
            model_path=_path(env, "MODEL_PATH", PROJECT_ROOT / "models" / "assistant.tar.gz"),
            var_dir=var_dir,
            log_level=log_level,
            max_body_bytes=_int(
                env, "MAX_BODY_BYTES", 256 * 1024, low=1024, high=16 * 1024 * 1024
            ),
            max_message_chars=_int(env, "MAX_MESSAGE_CHARS", 5000, low=100, high=100_000),
            turn_timeout_s=_float(env, "TURN_TIMEOUT_S", 30.0, low=1.0, high=600.0),
            ack_timeout_s=_float(env, "ACK_TIMEOUT_S", 5.0, low=0.5, high=60.0),
            db_connect_timeout_s=_float(env, "DB_CONNECT_TIMEOUT_S", 3.0, low=0.5, high=60.0),
            stop_timeout_s=_float(env, "STOP_TIMEOUT_S", 40.0, low=2.0, high=600.0),
            facebook=FacebookSettings(
                app_secret=_str(env, "FACEBOOK_APP_SECRET"),
                app_id=_str(env, "FACEBOOK_APP_ID"),
                verify_token=_str(env, "FACEBOOK_VERIFY_TOKEN"),
                page_access_token=_str(env, "FACEBOOK_PAGE_ACCESS_TOKEN"),
                graph_url=_str(env, "FACEBOOK_GRAPH_URL", DEFAULT_FACEBOOK_GRAPH_URL).rstrip("/"),
            ),
            worker_index=_int(env, "WORKER_INDEX", 0, low=0, high=1024),
            workers=_int(env, "KHDX_WORKERS", 0, low=0, high=1024),
            turn_hints_dir=_str(env, "KHDX_TURN_HINTS_DIR"),
            worker_name=_str(env, "WORKER_ID"),
            agent_database_url=_str(env, "AGENT_DATABASE_URL"),
            trusted_proxies=_networks(env, "TRUSTED_PROXIES"),
            admin_insecure_cookies=_flag(env, "ADMIN_INSECURE_COOKIES"),
            web_chat_frame_ancestors=_origins(env, "WEB_CHAT_FRAME_ANCESTORS"),
            attachment_allow_private=_flag(env, "ATTACHMENT_ALLOW_PRIVATE"),
            review_low_confidence=_float(env, "REVIEW_LOW_CONFIDENCE", 0.6, low=0.0, high=1.0),
            zalo=ZaloSettings(
                app_id=_str(env, "ZALO_APP_ID"),
                app_secret=_str(env, "ZALO_APP_SECRET"),
                oa_secret_key=_str(env, "ZALO_OA_SECRET_KEY"),
                access_token=_str(env, "ZALO_ACCESS_TOKEN"),
                refresh_token=_str(env, "ZALO_REFRESH_TOKEN"),
                api_url=_str(env, "ZALO_API_URL", DEFAULT_ZALO_API_URL).rstrip("/"),
                oauth_url=_str(env, "ZALO_OAUTH_URL", DEFAULT_ZALO_OAUTH_URL).rstrip("/"),
                replay_window_s=_float(
                    env, "ZALO_REPLAY_WINDOW_S", 86400.0, low=60.0, high=30 * 86400.0
                ),
            ),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def turn_process(self) -> bool:
        """Turns (Rasa, dispatcher, relay) run in a process of their own, apart from intake
        (bot/pipeline/hints.py): with PostgreSQL and Redis, where two processes can share the work.
        SQLite keeps one writer process."""
        return self.agent_mode == "process" and not self.is_sqlite and bool(self.redis_url)


def load_dotenv_file(path: Path | None = None) -> None:
    """Read `.env` into the process environment without overriding what is already set."""
    from dotenv import load_dotenv

    load_dotenv(path or PROJECT_ROOT / ".env", override=False)
