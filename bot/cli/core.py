"""Foundation commands: run, worker, db, admin, invite, deputy import, jobs."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings


async def _context(settings: Settings | None = None):  # noqa: ANN202
    from bot.runners import prepare

    return await prepare(settings or load_settings())


async def cmd_run(args: argparse.Namespace) -> int:
    from bot.runners import BotApp, serve

    settings = load_settings()
    settings.require_token()
    await serve(BotApp(settings))
    return 0


async def cmd_worker(args: argparse.Namespace) -> int:
    from bot.runners import BotApp, serve

    settings = load_settings()
    settings.require_token()
    await serve(BotApp(settings, with_dispatcher=False))
    return 0


async def cmd_db_upgrade(args: argparse.Namespace) -> int:
    ctx = await _context()
    print("database is up to date")
    await ctx.db.dispose()
    return 0


async def cmd_admin_add(args: argparse.Namespace) -> int:
    from models import Role
    from services import people

    ctx = await _context()
    async with ctx.db.session() as session:
        await people.bootstrap_admins(session, [args.telegram_id])
        await people.grant_role(session, args.telegram_id, Role.admin, by=None)
    print(f"{args.telegram_id} is now an administrator")
    await ctx.db.dispose()
    return 0


async def cmd_invite_create(args: argparse.Namespace) -> int:
    from models import Role
    from services import directory, invites

    ctx = await _context()
    async with ctx.db.session() as session:
        department_id = None
        if args.department:
            department_id = (await directory.ensure_department(session, None, args.department)).id
        new = await invites.create(session, None, Role(args.role), ttl_days=ctx.settings.invite_ttl_days,
                                   deputy_id=args.deputy, station_id=args.station, department_id=department_id)
    if ctx.settings.bot_username:
        print(ctx.deep_link(new.payload))
    else:
        print(f"/start {new.payload}")
        print("(set BOT_USERNAME to print a t.me link)", file=sys.stderr)
    print(f"expires {ctx.local_time(new.invite.expires_at)} {ctx.settings.timezone}", file=sys.stderr)
    await ctx.db.dispose()
    return 0


async def cmd_deputy_import(args: argparse.Namespace) -> int:
    from services import directory
    from services.i18n import translate

    path = Path(args.file)
    if not path.is_file():
        raise SettingsError(f"{path}: no such file")
    ctx = await _context()
    async with ctx.db.session() as session:
        report = await directory.import_deputies(session, None, directory.read_rows(path.read_bytes(), path.name))
    print(f"added {report.added}, updated {report.updated}, new stations {report.stations_created}, "
          f"bad rows {len(report.bad_rows)}")
    for number, message, params in report.bad_rows:
        print(f"  row {number}: {translate('en', message, **params)}")
    await ctx.db.dispose()
    return 0 if not report.bad_rows else 1


def _parse_at(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"--at {text!r} is not an ISO time like 2026-03-01T09:00+08:00") from None
    return at if at.tzinfo else at.replace(tzinfo=load_settings().tz)


async def cmd_jobs_run(args: argparse.Namespace) -> int:
    from jobs import load_all
    from jobs.registry import JOBS, JobContext

    load_all()
    job = JOBS.get(args.name)
    if job is None:
        raise SettingsError(f"unknown job {args.name!r}; jobs: {', '.join(sorted(JOBS))}")
    at = _parse_at(args.at)
    settings = load_settings()
    ctx = await _context(settings)
    if at is not None:
        ctx.clock = lambda: at.astimezone(timezone.utc)
    sender = None
    if job.needs_bot:
        from bot.app import create_bot
        from bot.sender import Sender

        sender = Sender(ctx, create_bot(ctx, replies=False))
    try:
        summary = await job.fn(JobContext(ctx, sender), ctx.now())
    finally:
        if sender is not None:
            await sender.bot.session.close()
        await ctx.db.dispose()
    print(f"{job.name}: {summary}")
    return 0


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    top = groups[""]
    top.add_parser("run", help="start the bot (polling, or webhook when WEBHOOK_URL is set) with its jobs").set_defaults(action=cmd_run)
    top.add_parser("worker", help="run the periodic jobs only (outbox, deadlines)").set_defaults(action=cmd_worker)
    groups["db"].add_parser("upgrade", help="apply database migrations").set_defaults(action=cmd_db_upgrade)
    admin = groups["admin"].add_parser("add", help="make a Telegram user an administrator")
    admin.add_argument("telegram_id", type=int, metavar="TELEGRAM_ID")
    admin.set_defaults(action=cmd_admin_add)
    invite = groups["invite"].add_parser("create", help="print a single-use invite link")
    invite.add_argument("--role", required=True, choices=["deputy", "staff", "department"])
    invite.add_argument("--deputy", type=int, help="link to this deputy record (id)")
    invite.add_argument("--station", type=int, help="station id (staff of a station, or the deputy's station)")
    invite.add_argument("--department", help="department name (created if new)")
    invite.set_defaults(action=cmd_invite_create)
    imp = groups["deputy"].add_parser("import", help="import deputies from FILE.xlsx or FILE.csv (name, level, station, phone)")
    imp.add_argument("file", metavar="FILE")
    imp.set_defaults(action=cmd_deputy_import)
    run = groups["jobs"].add_parser("run", help="run one job once, optionally as if at --at")
    run.add_argument("name", metavar="NAME")
    run.add_argument("--at", metavar="ISO_TIME", help="e.g. 2026-03-01T09:00+08:00")
    run.set_defaults(action=cmd_jobs_run)
