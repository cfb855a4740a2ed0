"""`minsheng export vote SESSION [--format pdf|xlsx] [--out FILE] [--lang LOCALE]`: the result sheet, offline."""
from __future__ import annotations

import argparse
from pathlib import Path

from bot.settings import LOCALES, SettingsError, load_settings


async def cmd_export_vote(args: argparse.Namespace) -> int:
    from bot.runners import prepare
    from services import vote_export, votes
    from services.errors import DomainError
    from services.i18n import use_locale

    settings = load_settings()
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise SettingsError(f"--out {out}: the folder {out.parent} does not exist")
    ctx = await prepare(settings)
    try:
        with use_locale(args.lang or settings.default_locale):
            async with ctx.db.session() as session:
                try:
                    result = await votes.sheet(session, None, args.session)
                except DomainError as error:
                    raise SettingsError(f"vote session {args.session}: {error.localized()}") from None
            render = vote_export.pdf if args.format == "pdf" else vote_export.xlsx
            content = render(result, settings.tz)
    finally:
        await ctx.db.dispose()
    out = out or Path(vote_export.filename(result, args.format))
    out.write_bytes(content)
    print(f"wrote {out}")
    return 0


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    help_text = "the result sheet of a vote session for the notice board, as PDF or XLSX"
    parser = groups["export"].add_parser("vote", help=help_text, description=help_text)
    parser.add_argument("session", type=int, metavar="SESSION", help="the vote session's number")
    parser.add_argument("--format", choices=("pdf", "xlsx"), default="pdf", help="default: pdf")
    parser.add_argument("--out", metavar="FILE", help="where to write (default: ./vote-SESSION-DATE.pdf|xlsx)")
    parser.add_argument("--lang", choices=LOCALES, help="language of the sheet (default: DEFAULT_LOCALE)")
    parser.set_defaults(action=cmd_export_vote)
