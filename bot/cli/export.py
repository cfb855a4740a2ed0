"""`minsheng export suggestions|pool|projects|filings|site-visits|evaluations [--out FILE] [--lang LOCALE]`
and `minsheng export evaluation-report YEAR [--format pdf|xlsx]`: the staff spreadsheets and the
year-end report, offline."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Awaitable, Callable

from bot.settings import LOCALES, SettingsError, load_settings

SHEETS = (
    ("suggestions", "every suggestion with its status, place and support, as XLSX"),
    ("pool", "the candidate pool with the suggestions behind each candidate, as XLSX"),
    ("projects", "every voted project with its status, progress, unit, station and supervising group, as XLSX"),
    ("filings", "every implementation plan, quarterly progress and completion report, with due days, as XLSX"),
    ("site-visits", "every site-visit report (those that found a problem first) and the answers, as XLSX"),
    ("evaluations", "every year-end rating, without who gave it, as XLSX"),
)


def _out(args: argparse.Namespace) -> Path | None:
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise SettingsError(f"--out {out}: the folder {out.parent} does not exist")
    return out


async def _write(args: argparse.Namespace) -> int:
    from bot.runners import prepare
    from services import project_export, suggestion_export

    what = args.sheet
    settings = load_settings()
    out = _out(args) or Path(f"{what}.xlsx")
    locale = args.lang or settings.default_locale
    render = {"suggestions": suggestion_export.suggestions_xlsx, "pool": suggestion_export.pool_xlsx,
              **project_export.EXPORTS}[what]
    ctx = await prepare(settings)
    try:
        async with ctx.db.session() as session:
            content = await render(session, None, locale=locale, tz=settings.tz)
    finally:
        await ctx.db.dispose()
    out.write_bytes(content)
    print(f"wrote {out}")
    return 0


async def write_document(args: argparse.Namespace, label: str, load: Callable[[Any], Awaitable[Any]],
                         render: Callable[[Any, Any], bytes], name: Callable[[Any], str]) -> int:
    """A report offline: `load(session)` finds it (a refusal is one line, after `label`), `render(found, tz)`
    draws it in --lang, and it is written to --out or `name(found)`."""
    from bot.runners import prepare
    from services.errors import DomainError
    from services.i18n import use_locale

    settings = load_settings()
    out = _out(args)
    ctx = await prepare(settings)
    try:
        with use_locale(args.lang or settings.default_locale):
            async with ctx.db.session() as session:
                try:
                    found = await load(session)
                except DomainError as error:
                    raise SettingsError(f"{label}: {error.localized()}") from None
            content = render(found, settings.tz)
    finally:
        await ctx.db.dispose()
    out = out or Path(name(found))
    out.write_bytes(content)
    print(f"wrote {out}")
    return 0


async def cmd_evaluation_report(args: argparse.Namespace) -> int:
    from services import evaluation_report

    return await write_document(
        args, f"evaluation {args.year}", lambda session: evaluation_report.report(session, None, args.year),
        evaluation_report.pdf if args.format == "pdf" else evaluation_report.xlsx,
        lambda found: evaluation_report.filename(found, args.format))


def document_parser(groups: dict[str, argparse._SubParsersAction], name: str, help_text: str,
                    default_name: str) -> argparse.ArgumentParser:
    """`export NAME [--format pdf|xlsx] [--out FILE] [--lang LOCALE]`, the options of write_document."""
    parser = groups["export"].add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--format", choices=("pdf", "xlsx"), default="pdf", help="default: pdf")
    parser.add_argument("--out", metavar="FILE", help=f"where to write (default: ./{default_name}.pdf|xlsx)")
    parser.add_argument("--lang", choices=LOCALES, help="language of the document (default: DEFAULT_LOCALE)")
    return parser


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    for name, help_text in SHEETS:
        parser = groups["export"].add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--out", metavar="FILE", help=f"where to write (default: ./{name}.xlsx)")
        parser.add_argument("--lang", choices=LOCALES, help="language of the headers (default: DEFAULT_LOCALE)")
        parser.set_defaults(action=_write, sheet=name)
    help_text = ("the year-end evaluation report of a closed evaluation: each project's satisfaction rate and "
                 "counts, deputies and residents apart, and the comments, as PDF or XLSX")
    parser = document_parser(groups, "evaluation-report", help_text, "evaluation-YEAR")
    parser.add_argument("year", type=int, metavar="YEAR", help="the year the projects were voted for")
    parser.set_defaults(action=cmd_evaluation_report)
