"""The result sheet of a vote for the notice board: PDF (Chinese embedded, rendered offline) and XLSX.

Both are drawn from services.votes.Sheet in the current language; numbers stay numbers.
"""
from __future__ import annotations

from datetime import tzinfo

from services.i18n import N_, _
from services.render.table_pdf import table_pdf
from services.votes import Sheet, verdict
from services.xlsx import Table, workbook

COLUMNS = ((N_("No."), 6), (N_("Candidate project"), 36), (N_("Implementing unit"), 22), (N_("For"), 8),
           (N_("Against"), 8), (N_("Abstain"), 9), (N_("Run-off: for"), 11), (N_("Rank"), 7), (N_("Result"), 20))


def filename(result: Sheet, kind: str) -> str:
    return f"vote-{result.session.id}-{result.session.held_on.isoformat()}.{kind}"


def _head(result: Sheet, tz: tzinfo) -> list[str]:
    vote = result.session
    lines = [_("Result of the vote on livelihood projects"),
             _("{meeting} · {day} · {place}", meeting=vote.meeting, day=vote.held_on.isoformat(), place=vote.place),
             _("Deputies present: {present} · needed to pass (more than half): {threshold}",
               present=result.present, threshold=result.threshold)]
    if vote.slots is not None:
        lines.append(_("Slots: {slots}, filled: {filled}", slots=vote.slots, filled=result.adopted))
    for rnd in result.rounds:
        lines.append(_("Round {round}: ballots in the bot {electronic}, on paper {paper}, blank {blank}, "
                       "invalid {invalid}", round=rnd.round, electronic=rnd.electronic, paper=rnd.paper,
                       blank=rnd.electronic_blank + rnd.paper_blank, invalid=rnd.paper_invalid))
    if vote.closed_at is not None:
        lines.append(_("Announced {when}", when=vote.closed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    return lines


def _rows(result: Sheet) -> list[list[object]]:
    return [[line.position, line.title, line.unit, line.tally.yes, line.tally.no, line.tally.abstain,
             line.runoff.yes if line.runoff else "", line.rank or "", verdict(line)] for line in result.lines]


def xlsx(result: Sheet, tz: tzinfo) -> bytes:
    return workbook(Table(_("Result"), COLUMNS, _rows(result), head=_head(result, tz)))


def pdf(result: Sheet, tz: tzinfo) -> bytes:
    return table_pdf(_head(result, tz), COLUMNS, _rows(result), title=result.session.meeting)
