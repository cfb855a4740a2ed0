"""Deputies' written proposals (daibiao jianyi) and the departments' replies to them."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class ProposalClass(StrEnum):
    """How long the department has to answer, counted from the handover (jiaoban), seed 004.

    An ordinary proposal is answered within 3 months; one that reaches across
    departments or is hard to solve (wide-ranging, difficult) within 6. Both are settings.
    """

    ordinary = "ordinary"
    complex = "complex"


class Sitting(StrEnum):
    """When the deputy raised it: during a congress session (dahui qijian) or between sessions (bihui qijian)."""

    session = "session"
    recess = "recess"


class ProposalStatus(StrEnum):
    filed = "filed"  # waiting for the congress office to hand it to a department
    assigned = "assigned"  # a department is answering (first answer, or again after "dissatisfied")
    answered = "answered"  # waiting for the deputy's rating
    rated = "rated"  # done
    withdrawn = "withdrawn"


class Rating(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


class Proposal(SQLModel, table=True):
    """A written proposal; numbered JY-<year>-<seq> per year of filing."""

    __table_args__ = (sa.UniqueConstraint("year", "seq", name="uq_proposal_number"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    seq: int
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    title: str = Field(max_length=100)
    text: str = Field(sa_type=sa.Text)
    proposal_class: str = Field(max_length=16)
    sitting: str = Field(max_length=16)
    # An oral suggestion between sessions that congress staff wrote down for the deputy (seed 004).
    oral: bool = False
    recorded_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    status: str = Field(default=ProposalStatus.filed, max_length=16, index=True)
    round: int = 1  # which answer is awaited or was given last: 1, or 2 after a "dissatisfied"
    filed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    handed_over_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Local last day of the running clock, for lists and messages; the Deadline row holds the instants.
    due_on: date | None = None
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def number(self) -> str:
        return f"JY-{self.year}-{self.seq:04d}"


class ProposalReply(SQLModel, table=True):
    """A department's answer (dafu) to one round of a proposal, and the deputy's rating of it."""

    __table_args__ = (sa.UniqueConstraint("proposal_id", "round", name="uq_proposalreply_round"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    round: int
    department_id: int = Field(foreign_key="department.id")
    text: str = Field(sa_type=sa.Text)
    file_id: str | None = Field(default=None, max_length=255)
    file_name: str | None = Field(default=None, max_length=255)
    answered_by: int = Field(sa_type=sa.BigInteger)
    answered_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    in_time: bool
    rating: str | None = Field(default=None, max_length=24)
    rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
