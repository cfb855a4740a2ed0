"""Deliver and Verify: the livelihood projects the deputies voted, one record each from the
vote to the year-end evaluation (seed 000), and their milestones."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow

PLAN_DEADLINE = "project_plan"  # the services.deadlines kind of the 1-month implementation plan


class ProjectStatus(StrEnum):
    plan_due = "plan_due"  # voted: the department owes its implementation plan
    in_progress = "in_progress"  # the plan is accepted; progress is reported every quarter
    delayed = "delayed"  # behind its milestones (the reason is kept)
    suspended = "suspended"  # stopped for a reason, e.g. land or funding
    completed = "completed"  # closed with a completion report


class Project(SQLModel, table=True):
    """A voted livelihood project (minsheng shishi xiangmu), numbered XM-<year>-<seq>.

    It comes from one candidate of the pool, so every resident suggestion behind it can be
    traced (candidate → suggestions). `year` is the year it was voted for.
    """

    __table_args__ = (sa.UniqueConstraint("year", "seq", name="uq_project_number"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    seq: int
    title: str = Field(max_length=120)
    summary: str = Field(default="", sa_type=sa.Text)
    candidate_id: int = Field(foreign_key="candidate.id", sa_column_kwargs={"unique": True})
    vote_session_id: int | None = Field(default=None, index=True)  # None: voted on paper before the bot
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    budget: int | None = Field(default=None, sa_type=sa.BigInteger)  # yuan
    planned_completion: date | None = None
    status: str = Field(default=ProjectStatus.plan_due, max_length=16, index=True)
    status_reason: str = Field(default="", max_length=500)
    progress: int = 0  # percent, 0-100
    place_text: str = Field(default="", max_length=200)
    latitude: float | None = None  # the site, for the distance of a site visit
    longitude: float | None = None
    voted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # starts the 1-month plan clock
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def number(self) -> str:
        return f"XM-{self.year}-{self.seq:03d}"


class Milestone(SQLModel, table=True):
    """A dated step of a project's plan; moving its date keeps the reason in the history."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    position: int = 0
    title: str = Field(max_length=120)
    due_on: date
    done_on: date | None = None


class ProjectSupervisor(SQLModel, table=True):
    """A deputy of the group that supervises one project (seed 002: one deputy group per project)."""

    __table_args__ = (sa.UniqueConstraint("project_id", "deputy_id", name="uq_projectsupervisor_member"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    leader: bool = False
    assigned_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
