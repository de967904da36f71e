"""Command line: `python -m bot run | train | ask | chat | simulate | fake-platforms |
facebook setup-profile | zalo set-tokens | review | db upgrade | backup | restore`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings, SettingsError, load_dotenv_file

log = logging.getLogger("bot")


def _settings(args: argparse.Namespace) -> Settings:
    from bot.logging_setup import configure_logging

    load_dotenv_file()
    settings = Settings.from_env()
    configure_logging(getattr(args, "log_level", None) or settings.log_level)
    return settings


# -- run -----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bot.runtime.app import create_app
    from bot.web.serving import serve

    settings = _settings(args)
    if args.host:
        settings = replace(settings, host=args.host)
    if args.port is not None:
        settings = replace(settings, port=args.port)
    if not settings.model_path.exists():
        log.error("no model at %s: run `make train` first", settings.model_path)
        return 2
    if args.workers > 1:
        from bot.runtime.supervisor import check, supervise

        problem = check(settings, args.workers)
        if problem:
            log.error("%s", problem)
            return 2
        forwarded = ["--host", settings.host, "--port", str(settings.port)]
        return supervise(settings, args.workers, forwarded)
    app = create_app(settings)
    log.info("starting on http://%s:%d", settings.host, settings.port)
    serve(
        app,
        stop_timeout_s=settings.stop_timeout_s,
        host=settings.host,
        port=settings.port,
        reuse_port=args.reuse_port,
    )
    log.info("stopped")
    return 0


# -- train ---------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    from bot.engine.training import train

    settings = _settings(args)
    model = Path(args.out) if args.out else settings.model_path
    config = Path(args.config) if args.config else PROJECT_ROOT / "config.yml"
    trained = train(model, config=config, force=args.force)
    print(f"{'trained' if trained else 'up to date'}: {model}")
    return 0


# -- ask / chat ----------------------------------------------------------------------------


def _reply_dicts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from bot.conversation.turn import replies_from_rasa

    return [r.as_dict() for r in replies_from_rasa(messages)]


async def _ask(settings: Settings, texts: list[str], as_json: bool) -> None:
    from bot.engine.runner import AssistantRunner
    from bot.engine.topics import TopicMap

    runner = AssistantRunner(settings.model_path)
    topics = TopicMap.load()
    await runner.load()
    try:
        for text in texts:
            # A fresh conversation per utterance: "what a new conversation would be answered".
            result = await runner.turn(f"cli:{uuid.uuid4().hex}", text)
            replies = _reply_dicts(result.replies)
            if as_json:
                record = {
                    "text": text,
                    "intent": result.intent,
                    "confidence": round(result.confidence, 4),
                    "topic": topics.topic_of(result.intent, fallback=result.fallback),
                    "replies": replies,
                }
                print(json.dumps(record, ensure_ascii=False), flush=True)
            else:
                _print_replies(replies)
    finally:
        await runner.stop()


def _print_replies(replies: list[dict[str, Any]]) -> None:
    for reply in replies:
        print(reply["text"])
        for button in reply["buttons"]:
            print(f"  [{button['title']}]")
        print()


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    texts: list[str] = []
    if args.file:
        source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
        with source:
            texts = [line.strip() for line in source if line.strip()]
    if args.text:
        texts.append(" ".join(args.text))
    if not texts:
        print("Nothing to ask: give TEXT or --file F", file=sys.stderr)
        return 2
    asyncio.run(_ask(settings, texts, args.json))
    return 0


async def _chat(settings: Settings) -> None:
    from bot.engine.runner import AssistantRunner

    runner = AssistantRunner(settings.model_path)
    print("Đang tải mô hình...", flush=True)
    await runner.load()
    sender = f"cli:{uuid.uuid4().hex}"
    print("Trợ lý chuyển đổi số Khánh Hòa. Gõ câu hỏi, Ctrl+D để thoát.\n")
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, _read_line)
            if line is None:
                break
            if not line.strip():
                continue
            result = await runner.turn(sender, line.strip())
            _print_replies(_reply_dicts(result.replies))
    finally:
        await runner.stop()


def _read_line() -> str | None:
    try:
        return input("Bạn: ")
    except EOFError:
        return None


def cmd_chat(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_chat(settings))
    return 0


def cmd_admin_create_user(args: argparse.Namespace) -> int:
    """Create an admin-pages account; the password is read from the terminal or stdin."""
    import getpass
    from datetime import datetime, timezone

    from bot.admin.auth import AuthError, create_user
    from bot.db.migrate import upgrade
    from bot.db.writer import BatchWriter

    settings = _settings(args)
    if sys.stdin.isatty():
        password = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại: ") != password:
            print("Hai lần nhập không khớp.", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    upgrade(settings.database_url)

    async def create() -> None:
        writer = BatchWriter(settings.database_url)
        try:
            await create_user(
                writer, args.username, password, args.role, datetime.now(timezone.utc)
            )
        finally:
            await writer.stop()

    try:
        asyncio.run(create())
    except AuthError as exc:
        print(f"Không tạo được: {exc}", file=sys.stderr)
        return 2
    print(f"Đã tạo tài khoản {args.username.strip().lower()} ({args.role}).")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The monthly report as a file: `report --month 2026-10 --format xlsx`."""
    from bot.admin.report import build
    from bot.admin.stats import RangeError
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade
    from bot.features.registry import figure_providers

    settings = _settings(args)
    upgrade(settings.database_url)

    async def make() -> bytes:
        engine = create_engine(settings.database_url)
        try:
            return await build(engine, args.month, args.format, figure_providers())
        finally:
            await engine.dispose()

    try:
        body = asyncio.run(make())
    except RangeError as exc:
        print(f"Tháng không hợp lệ: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or f"bao-cao-chuyen-doi-so-{args.month}.{args.format}")
    out.write_bytes(body)
    print(f"Đã ghi {out}")
    return 0


def cmd_agent_worker(args: argparse.Namespace) -> int:
    """Internal: the agent child process started by `run` (see bot/engine/agent_process.py)."""
    settings = _settings(args)
    if args.turns:
        from bot.runtime.turn_process import serve_turn_process

        serve_turn_process(args.socket, Path(args.model), settings, Path(args.hints))
        return 0
    from bot.engine.agent_process import serve_worker

    database_url = settings.agent_database_url or None
    serve_worker(
        args.socket,
        Path(args.model),
        database_url,
        settings.redis_url,
        stop_timeout_s=settings.stop_timeout_s,
    )
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from bot.db.migrate import upgrade
    from bot.db.writer import BatchWriter
    from bot.features.data_rights.erasure import apply_retention

    settings = _settings(args)
    upgrade(settings.database_url)
    days = args.days or settings.retention_days

    async def run() -> int:
        writer = BatchWriter(settings.database_url)
        try:
            return await apply_retention(writer, days, datetime.now(timezone.utc))
        finally:
            await writer.stop()

    removed = asyncio.run(run())
    print(f"retention {days} days: {removed} rows deleted")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    """The review queue's groups (as /admin/review shows them), as a table or as JSON."""
    from datetime import datetime, timezone

    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade
    from bot.review.queue import groups

    settings = _settings(args)
    upgrade(settings.database_url)

    async def read() -> list[Any]:
        engine = create_engine(settings.database_url)
        try:
            return await groups(engine, datetime.now(timezone.utc), settings.review_low_confidence)
        finally:
            await engine.dispose()

    found = asyncio.run(read())
    rows = [
        {
            "key": g.key,
            "count": g.count,
            "weeks": dict(g.weeks()),
            "reasons": dict(g.reasons()),
            "examples": g.examples(),
        }
        for g in found
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("Không có câu hỏi nào cần xem lại.")
        return 0
    print(f"{len(rows)} nhóm, {sum(r['count'] for r in rows)} câu hỏi")
    for row in rows:
        weeks = ", ".join(f"{w}: {n}" for w, n in row["weeks"].items())
        print(f"{row['key']}  {row['count']:>4}  {row['examples'][0]}  ({weeks})")
    return 0


# -- db ------------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade
    from bot.db.permissions import secure_storage

    settings = _settings(args)
    # A database first created here is private too, not only one the server creates.
    secure_storage(settings.database_url, settings.var_dir)
    upgrade(settings.database_url, args.revision)
    print(f"database at revision {args.revision}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """A backup of the whole database to a new file (0600), taken while the assistant runs."""
    from bot.db.backup import BackupError, backup

    settings = _settings(args)
    try:
        backup(settings.database_url, Path(args.file))
    except BackupError as exc:
        print(f"Không sao lưu được: {exc}", file=sys.stderr)
        return 2
    print(f"Đã sao lưu vào {args.file}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into a fresh database (the assistant stopped)."""
    from bot.db.backup import BackupError, restore
    from bot.db.permissions import secure_storage

    settings = _settings(args)
    try:
        restored = restore(settings.database_url, Path(args.file), force=args.force)
    except BackupError as exc:
        print(f"Không khôi phục được: {exc}", file=sys.stderr)
        return 2
    secure_storage(settings.database_url, settings.var_dir)
    print(f"Đã khôi phục {args.file} (phiên bản cấu trúc {restored.revision}).")
    if not restored.current:
        print(
            f"Cấu trúc dữ liệu ở phiên bản {restored.revision}, mã nguồn cần {restored.head}:"
            " chạy `python -m bot db upgrade` trước khi khởi động.",
            file=sys.stderr,
        )
        return 1
    return 0


# -- channels tooling ---------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot.channels.fake_platforms import simulate

    settings = _settings(args)
    base = args.url or f"http://{settings.host}:{settings.port}"
    return asyncio.run(simulate(settings, args.platform, " ".join(args.text), args.user, base))


def cmd_fake_platforms(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.channels.fake_platforms import fake_platforms_app

    _settings(args)
    print(f"fake Graph API and Zalo OpenAPI on http://127.0.0.1:{args.port} (Ctrl+C to stop)")
    web.run_app(fake_platforms_app(), host="127.0.0.1", port=args.port, print=None)
    return 0


def cmd_facebook_setup_profile(args: argparse.Namespace) -> int:
    from bot.channels.facebook.profile import setup_profile

    settings = _settings(args)
    if not settings.facebook.page_access_token:
        print("FACEBOOK_PAGE_ACCESS_TOKEN is unset", file=sys.stderr)
        return 2
    status, body = asyncio.run(
        setup_profile(settings.facebook.graph_url, settings.facebook.page_access_token)
    )
    print(f"{status}: {json.dumps(body, ensure_ascii=False)}")
    return 0 if status == 200 else 1


def cmd_zalo_set_tokens(args: argparse.Namespace) -> int:
    """Store a token pair pasted by an admin (after re-consent, when the refresh token is lost)."""
    from datetime import datetime, timedelta, timezone

    from bot.channels.zalo.tokens import TokenPair, ZaloTokenManager
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade

    settings = _settings(args)
    if not settings.zalo.app_id:
        print("ZALO_APP_ID is unset", file=sys.stderr)
        return 2
    upgrade(settings.database_url)

    async def store() -> None:
        import aiohttp

        engine = create_engine(settings.database_url)
        async with aiohttp.ClientSession() as session:
            manager = ZaloTokenManager.from_settings(
                engine, session, settings.zalo, lambda: datetime.now(timezone.utc)
            )
            expires = datetime.now(timezone.utc) + timedelta(seconds=args.expires_in)
            await manager.store(TokenPair(args.access_token, args.refresh_token, expires))
        await engine.dispose()

    asyncio.run(store())
    print("Zalo token pair stored; the server uses it from its next send.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the server (web chat, webhooks, admin)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument(
        "--workers", type=int, default=1, help="server processes (PostgreSQL and Redis needed)"
    )
    run.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)

    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if up to date")
    train.add_argument("--config", help="pipeline config (default config.yml)")
    train.add_argument("--out", help="model file (default models/assistant.tar.gz)")
    train.set_defaults(func=cmd_train)

    ask = sub.add_parser("ask", help="answer utterances from the command line")
    ask.add_argument("text", nargs="*")
    ask.add_argument("--json", action="store_true", help="one JSON object per utterance")
    ask.add_argument("--file", help="one utterance a line ('-' for stdin)")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="interactive chat in the terminal")
    chat.set_defaults(func=cmd_chat)

    simulate = sub.add_parser("simulate", help="send a signed webhook to a running server")
    simulate.add_argument("platform", choices=["facebook", "zalo"])
    simulate.add_argument("text", nargs="+")
    simulate.add_argument("--user", default="1234567890123456", help="platform user id")
    simulate.add_argument("--url", help="server base URL (default http://HOST:PORT)")
    simulate.set_defaults(func=cmd_simulate)

    fake = sub.add_parser("fake-platforms", help="local fake Send APIs that print messages")
    fake.add_argument("--port", type=int, default=9900)
    fake.set_defaults(func=cmd_fake_platforms)

    facebook = sub.add_parser("facebook", help="Messenger page set-up")
    fb_sub = facebook.add_subparsers(dest="facebook_command", required=True)
    profile = fb_sub.add_parser("setup-profile", help="Get Started, greeting, persistent menu")
    profile.set_defaults(func=cmd_facebook_setup_profile)

    zalo = sub.add_parser("zalo", help="Zalo OA tokens")
    zalo_sub = zalo.add_subparsers(dest="zalo_command", required=True)
    tokens = zalo_sub.add_parser("set-tokens", help="store a new access/refresh token pair")
    tokens.add_argument("--access-token", required=True)
    tokens.add_argument("--refresh-token", required=True)
    tokens.add_argument("--expires-in", type=int, default=90000, help="seconds (default 25 h)")
    tokens.set_defaults(func=cmd_zalo_set_tokens)

    retention = sub.add_parser("retention", help="delete records older than RETENTION_DAYS")
    retention.add_argument("--days", type=int, help="override RETENTION_DAYS")
    retention.set_defaults(func=cmd_retention)

    admin = sub.add_parser("admin", help="admin pages accounts")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create-user", help="create an account (password on stdin)")
    create.add_argument("username")
    create.add_argument("--role", choices=["admin", "volunteer"], default="volunteer")
    create.set_defaults(func=cmd_admin_create_user)

    report = sub.add_parser("report", help="monthly report for the steering committee")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    report.add_argument("--out", help="file to write (default bao-cao-chuyen-doi-so-MONTH.FMT)")
    report.set_defaults(func=cmd_report)

    worker = sub.add_parser("agent-worker", help=argparse.SUPPRESS)
    worker.add_argument("--socket", required=True)
    worker.add_argument("--model", required=True)
    worker.add_argument("--turns", action="store_true", help="also run dispatcher and relay")
    worker.add_argument("--hints", help="Unix datagram socket for the gateway's hints")
    worker.set_defaults(func=cmd_agent_worker)

    review = sub.add_parser("review", help="questions to review, grouped by similarity")
    review.add_argument("--json", action="store_true", help="the groups as JSON")
    review.set_defaults(func=cmd_review)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db)

    save = sub.add_parser("backup", help="back up the database to a new file (0600)")
    save.add_argument("file")
    save.set_defaults(func=cmd_backup)

    load = sub.add_parser("restore", help="restore a backup into a fresh database")
    load.add_argument("file")
    load.add_argument("--force", action="store_true", help="replace a database that has rows")
    load.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
