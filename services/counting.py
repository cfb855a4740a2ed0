"""Counting the vote at the congress: pure arithmetic, no database, no Telegram.

Seed 000: a candidate passes with yes votes from more than half of the deputies
*present* (not of the ballots cast), so an abstention, a "no", a blank or a ballot not
cast all count against it. Seed 002 (差额): with fewer slots than candidates, the ones
that pass are ranked by yes votes and fill the slots; a tie across the last slot cannot
be settled by arithmetic and is flagged, for a run-off between the tied candidates.

A ballot is a string of marks, one per candidate in the session's order: ``y`` (for),
``n`` (against), ``a`` (abstain) or ``-`` (left unmarked, counted as an abstention).
A ballot with no mark at all is blank.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

YES, NO, ABSTAIN, UNMARKED = "y", "n", "a", "-"
MARKS = (YES, NO, ABSTAIN, UNMARKED)
MAJORITY, RANKED = "majority", "ranked"


class BallotError(ValueError):
    """A ballot that does not fit the session (wrong length, unknown mark, too many yes votes)."""


@dataclass(frozen=True)
class Tally:
    yes: int = 0
    no: int = 0
    abstain: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.yes + other.yes, self.no + other.no, self.abstain + other.abstain)

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain


@dataclass(frozen=True)
class Outcome:
    """One candidate's result: `rank` among the candidates that passed (1 = most yes votes,
    equal votes share a rank); `adopted` when it fills a slot; `tied` when it shares the
    last slot with others and only a run-off can tell them apart."""

    key: int
    tally: Tally
    passed: bool
    rank: int | None
    adopted: bool
    tied: bool


@dataclass(frozen=True)
class Result:
    present: int
    threshold: int  # the fewest yes votes that are more than half of `present`
    slots: int | None  # None: every candidate that passes is adopted
    outcomes: tuple[Outcome, ...]
    tied: tuple[int, ...] = ()  # keys tied across the last slot
    open_slots: int = 0  # slots left for the run-off among `tied`

    @property
    def adopted(self) -> tuple[int, ...]:
        return tuple(o.key for o in self.outcomes if o.adopted)


@dataclass(frozen=True)
class Reconciliation:
    """The teller's check before the result is confirmed: ballots cast never exceed the
    deputies present, nor electronic ballots the ballots issued in the bot."""

    present: int
    issued: int  # ballots given out in the bot (deputies present who do not vote on paper)
    electronic: int
    paper: int
    blank: int  # blank ballots, electronic and paper
    invalid: int  # paper ballots that could not be read
    problems: tuple[str, ...] = field(default=())

    @property
    def cast(self) -> int:
        return self.electronic + self.paper

    @property
    def ok(self) -> bool:
        return not self.problems


def threshold(present: int) -> int:
    """More than half of `present`: 5 of 9, 6 of 10."""
    return present // 2 + 1


def check_ballot(marks: str, candidates: int, slots: int | None) -> str:
    """`marks` if it is a valid ballot for `candidates` candidates, else BallotError."""
    if len(marks) != candidates or any(mark not in MARKS for mark in marks):
        raise BallotError("the ballot does not match the candidates")
    if slots is not None and marks.count(YES) > slots:
        raise BallotError("more yes votes than slots")
    return marks


def is_blank(marks: str) -> bool:
    return all(mark == UNMARKED for mark in marks)


def tally(ballots: Iterable[str], candidates: int) -> list[Tally]:
    """Per candidate (in ballot order) the yes, no and abstain votes; unmarked counts as abstain."""
    counts = [[0, 0, 0] for _ in range(candidates)]
    for marks in ballots:
        for index, mark in enumerate(marks):
            counts[index][0 if mark == YES else 1 if mark == NO else 2] += 1
    return [Tally(*row) for row in counts]


def decide(tallies: Mapping[int, Tally], present: int, slots: int | None, *, majority: bool = True) -> Result:
    """Who passes and who fills the slots.

    `majority=False` is for a run-off between candidates that already passed: only the
    ranking among them counts there.
    """
    need = threshold(present)
    passing = sorted((key for key, t in tallies.items() if not majority or t.yes >= need),
                     key=lambda key: -tallies[key].yes)
    ranks: dict[int, int] = {}
    for position, key in enumerate(passing, start=1):
        previous = passing[position - 2] if position > 1 else None
        ranks[key] = ranks[previous] if previous is not None and tallies[previous].yes == tallies[key].yes \
            else position
    adopted: set[int] = set(passing)
    tied: tuple[int, ...] = ()
    open_slots = 0
    if slots == 0:
        adopted = set()
    elif slots is not None and len(passing) > slots:
        last = tallies[passing[slots - 1]].yes
        above = [key for key in passing if tallies[key].yes > last]
        at_last = [key for key in passing if tallies[key].yes == last]
        adopted = set(above)
        if len(above) + len(at_last) <= slots:
            adopted.update(at_last)
        else:
            tied, open_slots = tuple(at_last), slots - len(above)
    outcomes = tuple(
        Outcome(key, t, key in ranks, ranks.get(key), key in adopted, key in tied)
        for key, t in tallies.items()
    )
    return Result(present, need, slots, outcomes, tied, open_slots)


def reconcile(present: int, issued: int, electronic: int, electronic_blank: int,
              paper: int = 0, paper_blank: int = 0, paper_invalid: int = 0,
              paper_tallies: Sequence[Tally] = ()) -> Reconciliation:
    """Check the numbers a teller checks; `problems` lists (as gettext-free codes) what does not add up."""
    problems = []
    if electronic > issued:
        problems.append("electronic_over_issued")
    if electronic + paper > present:
        problems.append("cast_over_present")
    if paper_blank + paper_invalid > paper:
        problems.append("paper_blank_over_paper")
    valid_paper = paper - paper_blank - paper_invalid
    if any(t.total > valid_paper for t in paper_tallies):
        problems.append("paper_marks_over_ballots")
    return Reconciliation(present, issued, electronic, paper, electronic_blank + paper_blank, paper_invalid,
                          tuple(problems))
