"""The counting rules against a plain reference count (seed 000: more than half of the deputies
present; seed 002: the passing candidates ranked into the slots, a tie at the last slot flagged)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import counting
from services.counting import Tally

MARK = st.sampled_from(counting.MARKS)


@st.composite
def sessions(draw):  # noqa: ANN001, ANN201
    """Candidates, deputies present, electronic ballots (some blank), paper ballots, slots."""
    candidates = draw(st.integers(1, 6))
    present = draw(st.integers(1, 25))
    cast = draw(st.integers(0, present))
    paper = draw(st.integers(0, present - cast))
    ballots = draw(st.lists(st.text(MARK, min_size=candidates, max_size=candidates), min_size=cast, max_size=cast))
    papers = draw(st.lists(st.text(MARK, min_size=candidates, max_size=candidates), min_size=paper, max_size=paper))
    slots = draw(st.one_of(st.none(), st.integers(0, candidates + 2)))
    return candidates, present, ballots, papers, slots


def reference(candidates: int, present: int, ballots: list[str], slots: int | None):  # noqa: ANN201
    """Counted the long way, as a teller would on paper."""
    yes = [sum(1 for b in ballots if b[i] == "y") for i in range(candidates)]
    passed = [i for i in range(candidates) if 2 * yes[i] > present]
    if slots is None or len(passed) <= slots:
        return set(passed), set()
    order = sorted(passed, key=lambda i: -yes[i])
    if slots == 0:
        return set(), set()
    cut = yes[order[slots - 1]]
    above = {i for i in passed if yes[i] > cut}
    at_cut = {i for i in passed if yes[i] == cut}
    if len(above) + len(at_cut) <= slots:
        return above | at_cut, set()
    return above, at_cut


@settings(max_examples=400, deadline=None)
@given(sessions())
def test_decide_matches_a_plain_count(case) -> None:  # noqa: ANN001
    candidates, present, ballots, papers, slots = case
    electronic = counting.tally(ballots, candidates)
    on_paper = counting.tally(papers, candidates)
    tallies = {i: electronic[i] + on_paper[i] for i in range(candidates)}
    result = counting.decide(tallies, present, slots)
    adopted, tied = reference(candidates, present, ballots + papers, slots)
    assert set(result.adopted) == adopted
    assert set(result.tied) == tied
    assert result.open_slots == (slots - len(adopted) if tied else 0)
    for outcome in result.outcomes:
        t = outcome.tally
        assert t.total == len(ballots) + len(papers)  # every ballot counts once per candidate
        assert outcome.passed == (2 * t.yes > present)  # of those present, not of ballots cast
        if outcome.passed:  # rank = 1 + the number of passing candidates with more yes votes
            assert outcome.rank == 1 + sum(1 for o in result.outcomes if o.passed and o.tally.yes > t.yes)
        else:
            assert outcome.rank is None and not outcome.adopted


@pytest.mark.parametrize(("present", "need"), [(1, 1), (2, 2), (7, 4), (8, 5), (9, 5), (10, 6), (2000, 1001)])
def test_threshold_is_more_than_half_of_those_present(present: int, need: int) -> None:
    assert counting.threshold(present) == need
    yes_at = counting.decide({1: Tally(need, 0, 0)}, present, None)
    yes_below = counting.decide({1: Tally(need - 1, 0, 0)}, present, None)
    assert yes_at.adopted == (1,) and yes_below.adopted == ()


def test_abstentions_and_blanks_count_against() -> None:
    # 7 present: 3 for, 4 blank ballots → 3 of 7 is not more than half, though nobody voted against.
    ballots = ["y", "y", "y", "-", "-", "-", "-"]
    (t,) = counting.tally(ballots, 1)
    assert t == Tally(3, 0, 4)
    assert counting.decide({1: t}, 7, None).adopted == ()


def test_all_abstain_adopts_nothing() -> None:
    tallies = dict(enumerate(counting.tally(["aa"] * 5, 2)))
    result = counting.decide(tallies, 5, 2)
    assert result.adopted == () and result.tied == () and all(not o.passed for o in result.outcomes)


def test_more_slots_than_passing_candidates_adopts_all_that_pass() -> None:
    result = counting.decide({1: Tally(5, 0, 0), 2: Tally(4, 1, 0), 3: Tally(1, 4, 0)}, 5, 5)
    assert set(result.adopted) == {1, 2} and result.tied == ()


def test_tie_at_the_last_slot_is_flagged_not_above_it() -> None:
    # 4 candidates, 3 slots: 1 and 2 tie above the cut (both in); 3 and 4 tie at the last slot.
    tallies = {1: Tally(7, 0, 0), 2: Tally(7, 0, 0), 3: Tally(5, 2, 0), 4: Tally(5, 2, 0)}
    result = counting.decide(tallies, 7, 3)
    assert set(result.adopted) == {1, 2} and set(result.tied) == {3, 4} and result.open_slots == 1
    ranks = {o.key: o.rank for o in result.outcomes}
    assert ranks == {1: 1, 2: 1, 3: 3, 4: 3}
    # the run-off among the tied ranks without the majority threshold again
    runoff = counting.decide({3: Tally(4, 3, 0), 4: Tally(2, 5, 0)}, 7, 1, majority=False)
    assert runoff.adopted == (3,) and runoff.tied == ()


def test_ballots_that_do_not_fit_are_refused() -> None:
    assert counting.check_ballot("yna-", 4, None) == "yna-"
    for marks, slots in (("yn", None), ("ynax", None), ("yyy-", 2)):
        with pytest.raises(counting.BallotError):
            counting.check_ballot(marks, 4, slots)
    assert counting.is_blank("----") and not counting.is_blank("---a")


def test_reconciliation_flags_what_does_not_add_up() -> None:
    fine = counting.reconcile(present=7, issued=6, electronic=5, electronic_blank=1, paper=1, paper_blank=0)
    assert fine.ok and fine.cast == 6 and fine.blank == 1
    over = counting.reconcile(present=7, issued=6, electronic=6, electronic_blank=0, paper=2)
    assert "cast_over_present" in over.problems
    assert "electronic_over_issued" in counting.reconcile(7, 5, 6, 0).problems
    assert "paper_blank_over_paper" in counting.reconcile(7, 5, 3, 0, paper=1, paper_blank=1, paper_invalid=1).problems
    assert "paper_marks_over_ballots" in counting.reconcile(7, 5, 3, 0, paper=1,
                                                            paper_tallies=[Tally(1, 1, 0)]).problems
