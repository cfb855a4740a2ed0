"""The vote's buttons and screens that staff (handlers.votes) and deputies (handlers.ballot) share.

The services put these buttons on the messages they queue (the briefing, check-in, the ballot
notice), so their packed data is handed to the services as text.
"""
from __future__ import annotations

import re

from aiogram.filters.callback_data import CallbackData

from bot.keyboards import Id, Row, button
from bot.text import h
from services import counting, votes
from services.i18n import _

MARKS_SHAPE = re.compile(r"[yna-]{1,%d}" % votes.ITEMS_MAX)


class BallotCb(CallbackData, prefix="bt"):
    """A ballot's state travels in its own buttons: the marks so far (`m`), never on the server.

    a: o(pen) | m(ark) | r(eview) | e(dit again) | s(ubmit)."""

    a: str
    s: Id
    r: Id
    m: str = ""
    i: Id = 0
    c: str = ""


class SeatCb(CallbackData, prefix="dv"):
    act: str  # list | checkin | results
    id: Id = 0


class QuestionCb(CallbackData, prefix="vq"):
    act: str  # ask (id: item) | answer (id: question)
    id: Id


def ballot_button(session_id: int, round_: int) -> str:
    return BallotCb(a="o", s=session_id, r=round_).pack()


def checkin_button(session_id: int) -> str:
    return SeatCb(act="checkin", id=session_id).pack()


def ask_button(item_id: int) -> str:
    return QuestionCb(act="ask", id=item_id).pack()


def answer_button(question_id: int) -> str:
    return QuestionCb(act="answer", id=question_id).pack()


def mark_label(mark: str) -> str:
    return {counting.YES: _("For"), counting.NO: _("Against"), counting.ABSTAIN: _("Abstain")}.get(
        mark, _("not marked"))


def ballot_screen(ballot: votes.Ballot, marks: str) -> tuple[str, list[Row]]:
    vote = ballot.session
    lines = [_("<b>Secret ballot</b> · {meeting} · round {round}", meeting=h(vote.meeting), round=ballot.round),
             _("Mark each candidate, review, then submit once. A candidate you leave unmarked counts as an "
               "abstention.")]
    if ballot.slots is not None:
        lines.append(_("You may vote for at most {slots} candidates.", slots=ballot.slots))
    lines.append("")
    rows: list[Row] = []
    for index, ((item, title), mark) in enumerate(zip(ballot.items, marks)):
        lines.append(_("{number}. {title} — {mark}", number=item.position + 1, title=h(title),
                       mark=mark_label(mark)))
        rows.append([button(("● " if mark == choice else "") + f"{item.position + 1} " + mark_label(choice),
                            BallotCb(a="m", s=vote.id, r=ballot.round, m=marks, i=index, c=choice))
                     for choice in (counting.YES, counting.NO, counting.ABSTAIN)])
    rows.append([button(_("Review and submit"), BallotCb(a="r", s=vote.id, r=ballot.round, m=marks))])
    return "\n".join(lines), rows


def review_screen(ballot: votes.Ballot, marks: str) -> tuple[str, list[Row]]:
    vote = ballot.session
    lines = [_("<b>Check your ballot</b> · {meeting} · round {round}", meeting=h(vote.meeting), round=ballot.round),
             ""]
    lines += [_("{number}. {title} — {mark}", number=item.position + 1, title=h(title), mark=mark_label(mark))
              for (item, title), mark in zip(ballot.items, marks)]
    if counting.is_blank(marks):
        lines += ["", _("You have marked nothing: this is a blank ballot.")]
    lines += ["", _("Once submitted, your ballot cannot be changed or cast again.")]
    return "\n".join(lines), [
        [button(_("Submit my ballot"), BallotCb(a="s", s=vote.id, r=ballot.round, m=marks))],
        [button(_("« Change my marks"), BallotCb(a="e", s=vote.id, r=ballot.round, m=marks))]]
