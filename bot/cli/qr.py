"""`minsheng deputy qr` and `minsheng station poster`: QR code PNGs and printable PDF posters."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from services.errors import DomainError


def _settings_for_links() -> Settings:
    settings = load_settings()
    if not settings.bot_username:
        raise SettingsError("BOT_USERNAME is not set: the QR codes encode https://t.me/<bot username>?start=..., "
                            "so set BOT_USERNAME=<your bot's username> (or put it in .env).")
    return settings


def _refusal(exc: DomainError, args: argparse.Namespace) -> SettingsError:
    """One line naming what is wrong with the id the operator typed."""
    from services.errors import NotFound
    from services.i18n import translate

    if isinstance(exc, NotFound):
        kind, number = ("deputy", args.deputy) if getattr(args, "deputy", None) is not None else ("station", args.station)
        return SettingsError(f"no {kind} has id {number} (`minsheng {kind} list` shows them)")
    return SettingsError(translate("en", exc.message, **exc.params))


async def cmd_deputy_qr(args: argparse.Namespace) -> int:
    from bot.runners import prepare
    from services import deputy_codes
    from services.errors import DomainError
    from services.i18n import use_locale

    settings = _settings_for_links()
    ctx = await prepare(settings)
    try:
        async with ctx.db.session() as session:
            with use_locale(settings.default_locale):
                posters = await deputy_codes.poster_set(session, None, ctx.now(), ctx.deep_link,
                                                        deputy_id=args.deputy, station_id=args.station,
                                                        congress=settings.congress_name)
    except DomainError as exc:
        raise _refusal(exc, args) from None
    finally:
        await ctx.db.dispose()
    pngs, pdf = await asyncio.to_thread(deputy_codes.render_posters, posters)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for file_name, data in [*pngs, (f"{posters.name}.pdf", pdf)]:
        (out / file_name).write_bytes(data)
        print(out / file_name)
    return 0


async def cmd_station_poster(args: argparse.Namespace) -> int:
    from bot.runners import prepare
    from services import deputy_codes
    from services.errors import DomainError
    from services.i18n import use_locale

    settings = _settings_for_links()
    if args.out and not Path(args.out).parent.is_dir():
        raise SettingsError(f"--out {args.out}: the folder {Path(args.out).parent} does not exist")
    ctx = await prepare(settings)
    try:
        async with ctx.db.session() as session:
            with use_locale(settings.default_locale):
                poster = await deputy_codes.station_poster(session, None, ctx.deep_link, args.station,
                                                           congress=settings.congress_name)
    except DomainError as exc:
        raise _refusal(exc, args) from None
    finally:
        await ctx.db.dispose()
    out = Path(args.out or f"{poster.name}.pdf")
    out.write_bytes(await asyncio.to_thread(deputy_codes.render_station_poster, poster))
    print(out)
    if not poster.sheet.link:
        print(f"(station {args.station} has no active code, so the poster has no QR code; "
              f"`minsheng deputy qr --station {args.station}` issues one)", file=sys.stderr)
    return 0


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    qr = groups["deputy"].add_parser(
        "qr", help="write QR code PNGs and an A4 PDF poster for a deputy or a whole station (needs BOT_USERNAME)")
    target = qr.add_mutually_exclusive_group(required=True)
    target.add_argument("--deputy", type=int, metavar="ID", help="one deputy (id)")
    target.add_argument("--station", type=int, metavar="ID", help="a station: its own code and one page per deputy")
    qr.add_argument("--out", default=".", metavar="DIR", help="where to write the files (default: here)")
    qr.set_defaults(action=cmd_deputy_qr)
    poster = groups["station"].add_parser(
        "poster", help="write an A4 PDF listing a station's deputies and their reception hours, with the "
                       "station's QR code if it has one (needs BOT_USERNAME)")
    poster.add_argument("--station", type=int, metavar="ID", required=True, help="the station (id)")
    poster.add_argument("--out", metavar="FILE", help="where to write (default: ./station-ID-hours.pdf)")
    poster.set_defaults(action=cmd_station_poster)
