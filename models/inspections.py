"""Verify: what the deputies of a project's supervising group see on site (seeds 000, 002),
the issues they raise with the implementing department, and its answers."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from models.base import UTCDateTime, utcnow

ISSUE_DEADLINE = "visit_issue"  # the services.deadlines kind of the department's answer (subject: the SiteVisit)
VISIT_DEADLINE = "site_visit"  # the kind of a quarter's site visit owed by a group (subject: the InspectionDuty)


class Assessment(StrEnum):
    on_track = "on_track"
    delayed = "delayed"
    problem = "problem"  # a problem found: highlighted for staff


class SiteVisit(SQLModel, table=True):
    """One deputy's site-visit report on one project: photos with captions, where it was filed
    from (the distance from the project's site, when the project has one), findings, an
    assessment, and the issues raised with the department, with its answer."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    filed_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    quarter: str = Field(max_length=8, index=True)  # "2026Q3": the inspection round it belongs to
    # [{"file_id", "caption"}], 1 to 10
    photos: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    latitude: float | None = None  # where the report was filed from; never shown publicly
    longitude: float | None = None
    distance_m: int | None = None  # from the project's site, when both are known
    far: bool = False  # farther than the setting allows
    findings: str = Field(default="", sa_type=sa.Text)
    assessment: str = Field(max_length=16, index=True)
    issues: str = Field(default="", sa_type=sa.Text)
    answer: str = Field(default="", sa_type=sa.Text)
    answered_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class InspectionRound(SQLModel, table=True):
    """A quarter's inspection campaign, opened once (the row is the claim: two workers racing to
    open it insert one row, and only the one that inserted sends the reminders)."""

    quarter: str = Field(primary_key=True, max_length=8)
    opened_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reminded: int = 0  # deputies reminded
    duties: int = 0  # projects that owe a site visit this quarter


class InspectionDuty(SQLModel, table=True):
    """A supervised project owes its group's site-visit report in one quarter; its deadline's subject."""

    __table_args__ = (sa.UniqueConstraint("project_id", "quarter", name="uq_inspectionduty_quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    quarter: str = Field(max_length=8)
    visit_id: int | None = Field(default=None, foreign_key="sitevisit.id")  # the group's first report, once filed
