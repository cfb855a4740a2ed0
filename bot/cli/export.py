"""`minsheng export suggestions|pool [--out FILE] [--lang LOCALE]`: the staff spreadsheets, offline."""
from __future__ import annotations

import argparse
from pathlib import Path

from bot.settings import LOCALES, SettingsError, load_settings


async def _write(args: argparse.Namespace, what: str) -> int:
    from bot.runners import prepare
    from services import suggestion_export

    settings = load_settings()
    out = Path(args.out or f"{what}.xlsx")
    if not out.parent.is_dir():
        raise SettingsError(f"--out {out}: the folder {out.parent} does not exist")
    locale = args.lang or settings.default_locale
    ctx = await prepare(settings)
    try:
        async with ctx.db.session() as session:
            if what == "suggestions":
                content = await suggestion_export.suggestions_xlsx(session, None, locale=locale, tz=settings.tz)
            else:
                content = await suggestion_export.pool_xlsx(session, None, locale=locale, tz=settings.tz)
    finally:
        await ctx.db.dispose()
    out.write_bytes(content)
    print(f"wrote {out}")
    return 0


async def cmd_export_suggestions(args: argparse.Namespace) -> int:
    return await _write(args, "suggestions")


async def cmd_export_pool(args: argparse.Namespace) -> int:
    return await _write(args, "pool")


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    for name, action, help_text in (
        ("suggestions", cmd_export_suggestions, "every suggestion with its status, place and support, as XLSX"),
        ("pool", cmd_export_pool, "the candidate pool with the suggestions behind each candidate, as XLSX"),
    ):
        parser = groups["export"].add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--out", metavar="FILE", help=f"where to write (default: ./{name}.xlsx)")
        parser.add_argument("--lang", choices=LOCALES, help="language of the headers (default: DEFAULT_LOCALE)")
        parser.set_defaults(action=action)
