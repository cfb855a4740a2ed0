"""Decide (daibiao dingdan): a vote session at the congress, its candidates, the hall's register,
the secret ballots and the counts (seeds 000 and 002).

The ballot table is kept apart from the register on purpose: a `VoteBallot` row names no
deputy, carries no time and no ordered id (its key is random), and on SQLite the table
has no rowid. The register (`VoteRegister`) knows who has voted, never how. See
services/votes.py for how the ballots lose their order when voting closes.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class SessionStatus(StrEnum):
    draft = "draft"  # staff prepare: candidates, slots, eligible deputies, the briefing
    checkin = "checkin"  # deputies in the hall check in with the code on the screen
    voting = "voting"  # ballots are cast; the number present is frozen
    counting = "counting"  # voting closed: staff enter the paper tally and reconcile
    tied = "tied"  # confirmed with a tie at the last slot: a run-off or finalising remains
    closed = "closed"  # results announced; the adopted candidates are projects


class VoteSession(SQLModel, table=True):
    """One vote at a meeting of the congress, e.g. at its third session."""

    id: int | None = Field(default=None, primary_key=True)
    meeting: str = Field(max_length=200)
    held_on: date
    place: str = Field(default="", max_length=200)
    rule: str = Field(default="majority", max_length=16)  # services.counting.MAJORITY | RANKED
    slots: int | None = None  # None: every candidate that passes is adopted
    status: str = Field(default=SessionStatus.draft, max_length=16, index=True)
    round: int = 1  # 1, then each run-off between tied candidates
    present: int | None = None  # frozen when voting opens
    quorum: int | None = None  # the number present needed, frozen with it
    code_key: str = Field(max_length=64)  # the secret the rotating check-in code is derived from
    briefed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class VoteItem(SQLModel, table=True):
    """A candidate on the agenda with the explanation the government gives (seed 000's second gate)."""

    __table_args__ = (sa.UniqueConstraint("session_id", "candidate_id", name="uq_vote_item_candidate"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("votesession.id", ondelete="CASCADE"), index=True,
                            nullable=False))
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    position: int = 0  # its place on the ballot, from 0
    content: str = Field(default="", sa_type=sa.Text)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    plan: str = Field(default="", sa_type=sa.Text)
    deadline: str = Field(default="", max_length=120)
    cost: int | None = Field(default=None, sa_type=sa.BigInteger)  # yuan
    safeguards: str = Field(default="", sa_type=sa.Text)


class VoteRegister(SQLModel, table=True):
    """An eligible deputy of a session: checked in or not, on paper or in the bot, voted in which round.

    It says *whether* a deputy voted, never how: the ballots are in another table with no
    reference back."""

    __table_args__ = (sa.UniqueConstraint("session_id", "deputy_id", name="uq_vote_register_deputy"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("votesession.id", ondelete="CASCADE"), index=True,
                            nullable=False))
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_in_by: int | None = Field(default=None, sa_type=sa.BigInteger)  # staff who checked them in
    paper: bool = False  # votes on paper: the bot gives no ballot
    voted_round: int = 0  # the last round this deputy cast a ballot in
    code_failures: int = 0  # wrong check-in codes typed


class VoteBallot(SQLModel, table=True):
    """One secret ballot: the marks only (services.counting), with a random key.

    No voter, no time, no sequence; rewritten in shuffled order when voting closes."""

    __table_args__ = ({"sqlite_with_rowid": False},)

    id: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    session_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("votesession.id", ondelete="CASCADE"), index=True,
                            nullable=False))
    round: int
    marks: str = Field(max_length=64)


class VoteRound(SQLModel, table=True):
    """One round of a session (the vote, then any run-off): who was on it and the hall's numbers."""

    __table_args__ = (sa.UniqueConstraint("session_id", "round", name="uq_vote_round"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("votesession.id", ondelete="CASCADE"), index=True,
                            nullable=False))
    round: int
    positions: str = Field(max_length=400)  # the items on this round's ballot, as comma-separated positions
    slots: int | None = None
    issued: int = 0  # ballots given in the bot: present and not on paper
    electronic: int = 0
    electronic_blank: int = 0
    paper: int = 0
    paper_blank: int = 0
    paper_invalid: int = 0
    paper_entered: bool = False
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class VoteCount(SQLModel, table=True):
    """A candidate's result in one round, written when staff confirm it (hidden until then)."""

    __table_args__ = (sa.UniqueConstraint("session_id", "round", "item_id", name="uq_vote_count"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("votesession.id", ondelete="CASCADE"), index=True,
                            nullable=False))
    round: int
    item_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("voteitem.id", ondelete="CASCADE"), nullable=False))
    paper_yes: int = 0  # the paper tally staff entered
    paper_no: int = 0
    yes: int = 0  # electronic and paper together
    no: int = 0
    abstain: int = 0
    passed: bool = False
    rank: int | None = None
    adopted: bool = False
    tied: bool = False


class VoteQuestion(SQLModel, table=True):
    """A deputy's question on a candidate before the vote, and the department's answer (seed 000's third gate)."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("votesession.id", ondelete="CASCADE"), index=True,
                            nullable=False))
    item_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("voteitem.id", ondelete="CASCADE"), index=True,
                            nullable=False))
    asked_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    question: str = Field(sa_type=sa.Text)
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
