"""`minsheng deputy list` and `minsheng station list`: who is there, who joined the bot, which codes work."""
from __future__ import annotations

import argparse

from bot.settings import load_settings


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


async def _print_roster(kind: str) -> int:
    from bot.runners import prepare
    from services import deputy_codes
    from services.text import plain_table

    ctx = await prepare(load_settings())
    try:
        async with ctx.db.session() as session:
            if kind == "deputy":
                rows = [(d.id, d.name, d.station or "-", _yes(d.active), _yes(d.joined), _yes(d.code))
                        for d in await deputy_codes.deputy_roster(session)]
                headers = ("id", "name", "station", "active", "on the bot", "active code")
            else:
                rows = [(s.id, s.name, s.deputies, s.joined, _yes(s.code))
                        for s in await deputy_codes.station_roster(session)]
                headers = ("id", "name", "deputies", "on the bot", "active code")
    finally:
        await ctx.db.dispose()
    print(plain_table(headers, rows) if rows else f"no {kind} yet")
    return 0


async def cmd_deputy_list(args: argparse.Namespace) -> int:
    return await _print_roster("deputy")


async def cmd_station_list(args: argparse.Namespace) -> int:
    return await _print_roster("station")


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    groups["deputy"].add_parser(
        "list", help="every deputy: id, name, station, whether active, on the bot, with an active code").set_defaults(
        action=cmd_deputy_list)
    groups["station"].add_parser(
        "list", help="every station: id, name, active deputies, how many on the bot, whether it has an active code"
    ).set_defaults(action=cmd_station_list)
