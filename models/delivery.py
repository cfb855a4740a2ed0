"""Deliver: what departments file on a voted project (its implementation plan, then a progress
report every quarter, and the completion report it closes with), how staff reviewed it, what
deputies asked about it, and who follows the project."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from models.base import UTCDateTime, utcnow

REPORT_DEADLINE = "project_report"  # the services.deadlines kind of a quarterly report (subject: the Filing)


class FilingKind(StrEnum):
    plan = "plan"  # the implementation plan, once per project
    progress = "progress"  # the progress report of one quarter
    completion = "completion"  # the completion report staff close the project with, once


class FilingStatus(StrEnum):
    due = "due"  # owed, nothing filed yet
    submitted = "submitted"  # waiting for staff to accept it or send it back
    returned = "returned"  # sent back with a comment; the clock kept running
    accepted = "accepted"


class Filing(SQLModel, table=True):
    """One filing a department owes on a project: its plan, or its report for one quarter.

    Filed again after it was sent back, or corrected after it was accepted, it stays one row
    (the previous content is kept in the audit trail): one report per project and quarter.
    """

    __table_args__ = (sa.UniqueConstraint("project_id", "kind", "quarter", name="uq_filing_period"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    kind: str = Field(max_length=16)
    quarter: str = Field(default="", max_length=8)  # "2026Q2" for a report; "" for the plan
    status: str = Field(default=FilingStatus.due, max_length=16, index=True)
    text: str = Field(default="", sa_type=sa.Text)  # the plan, or what was done
    person_in_charge: str = Field(default="", max_length=100)
    percent: int | None = None
    percent_reason: str = Field(default="", max_length=500)  # why the percent went down
    problems: str = Field(default="", sa_type=sa.Text)  # problems, and help needed
    # The plan: [{"title", "due_on"}]; a report: milestones moved [{"milestone_id", "due_on", "reason"}].
    milestones: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # [{"kind": "photo" | "document", "file_id", "name"}]
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    corrections: int = 0  # how often it was filed again after it had been accepted
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    filed_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    filed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_comment: str = Field(default="", max_length=1000)


class ProjectFollower(SQLModel, table=True):
    """Someone who gets a project's progress notices: by choice, or (`automatic`) because a
    suggestion of theirs is behind it. Stopping keeps the row, inactive, so a resident who
    stopped is never followed in again."""

    __table_args__ = (sa.UniqueConstraint("project_id", "user_id", name="uq_projectfollower_once"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    user_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    automatic: bool = False
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class FilingComment(SQLModel, table=True):
    """A deputy's comment or question on an accepted filing, and the department's answer (seed 004:
    deputies see a project's progress at any time and comment on it)."""

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("filing.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    project_id: int = Field(index=True)
    author_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    deputy_id: int | None = Field(default=None, foreign_key="deputy.id")
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
