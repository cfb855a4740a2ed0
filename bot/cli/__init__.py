"""The `minsheng` command. Subcommands that do not talk to Telegram never import aiogram."""
from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import pkgutil
import sys
from typing import Awaitable, Callable

from bot.settings import SettingsError

# Every module in this package adds its subcommands to the groups below with `add_commands(groups)`.
GROUPS = {
    "db": "database maintenance",
    "admin": "administrators",
    "invite": "single-use invite links",
    "deputy": "deputies: import, list, QR codes",
    "station": "liaison stations: list, posters",
    "jobs": "periodic jobs",
    "export": "spreadsheets for staff",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minsheng", description="Minsheng bot: livelihood projects voted by deputies.")
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    groups = {"": top}
    for name, help_text in GROUPS.items():
        group = top.add_parser(name, help=help_text, description=help_text)
        groups[name] = group.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}").add_commands(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run, every two seconds
    args = build_parser().parse_args(argv)
    action: Callable[[argparse.Namespace], Awaitable[int | None]] = args.action
    try:
        return asyncio.run(action(args)) or 0
    except SettingsError as exc:
        print(f"minsheng: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
