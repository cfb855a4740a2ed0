"""`minsheng export vote SESSION [--format pdf|xlsx] [--out FILE] [--lang LOCALE]`: the result sheet, offline."""
from __future__ import annotations

import argparse

from bot.cli.export import document_parser, write_document


async def cmd_export_vote(args: argparse.Namespace) -> int:
    from services import vote_export, votes

    return await write_document(
        args, f"vote session {args.session}", lambda session: votes.sheet(session, None, args.session),
        vote_export.pdf if args.format == "pdf" else vote_export.xlsx,
        lambda found: vote_export.filename(found, args.format))


def add_commands(groups: dict[str, argparse._SubParsersAction]) -> None:
    help_text = "the result sheet of a vote session for the notice board, as PDF or XLSX"
    parser = document_parser(groups, "vote", help_text, "vote-SESSION-DATE")
    parser.add_argument("session", type=int, metavar="SESSION", help="the vote session's number")
    parser.set_defaults(action=cmd_export_vote)
