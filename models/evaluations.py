"""Verify: the year-end satisfaction evaluation of the year's projects (seeds 000, 002): deputies,
and if staff choose, residents who follow a project, rate each project once."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow

CLOSE_DEADLINE = "evaluation_close"  # the services.deadlines kind that closes and publishes it (subject: the Evaluation)


class Answer(StrEnum):
    satisfied = "satisfied"
    basic = "basic"  # basically satisfied
    dissatisfied = "dissatisfied"


class Evaluation(SQLModel, table=True):
    """The evaluation of one year's projects: open until `closes_at`, then closed and published."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(sa_column_kwargs={"unique": True})
    residents: bool = False  # residents following a project rate it too
    opened_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # 24:00 local of the close day
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Rating(SQLModel, table=True):
    """One person's rating of one project; a change before the close replaces it (audited)."""

    __table_args__ = (sa.UniqueConstraint("evaluation_id", "project_id", "user_id", name="uq_rating_once"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("evaluation.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    project_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    user_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    as_deputy: bool = False  # counted with the deputies, else with the residents
    answer: str = Field(max_length=16)
    comment: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
