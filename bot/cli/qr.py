"""`minsheng deputy qr`: QR code PNGs and a printable PDF poster for a deputy or a whole station."""
from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.settings import SettingsError, load_settings


async def cmd_deputy_qr(args: argparse.Namespace) -> int:
    from bot.runners import prepare
    from services import deputy_codes
    from services.errors import DomainError
    from services.i18n import translate, use_locale

    settings = load_settings()
    if not settings.bot_username:
        raise SettingsError("BOT_USERNAME is not set: the QR codes encode https://t.me/<bot username>?start=..., "
                            "so set BOT_USERNAME=<your bot's username> (or put it in .env).")
    ctx = await prepare(settings)
    try:
        async with ctx.db.session() as session:
            with use_locale(settings.default_locale):
                posters = await deputy_codes.poster_set(session, None, ctx.now(), ctx.deep_link,
                                                        deputy_id=args.deputy, station_id=args.station)
    except DomainError as exc:
        raise SettingsError(translate("en", exc.message, **exc.params)) from None
    finally:
        await ctx.db.dispose()
    pngs, pdf = await asyncio.to_thread(deputy_codes.render_posters, posters)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for file_name, data in [*pngs, (f"{posters.name}.pdf", pdf)]:
        (out / file_name).write_bytes(data)
        print(out / file_name)
    return 0


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    qr = groups["deputy"].add_parser(
        "qr", help="write QR code PNGs and an A4 PDF poster for a deputy or a whole station (needs BOT_USERNAME)")
    target = qr.add_mutually_exclusive_group(required=True)
    target.add_argument("--deputy", type=int, metavar="ID", help="one deputy (id)")
    target.add_argument("--station", type=int, metavar="ID", help="a station: its own code and one page per deputy")
    qr.add_argument("--out", default=".", metavar="DIR", help="where to write the files (default: here)")
    qr.set_defaults(action=cmd_deputy_qr)
