"""Suggest (dian dan): residents' suggestions, their history and support, and the candidate pool they feed."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class SuggestionStatus(StrEnum):
    received = "received"
    under_review = "under_review"
    info_requested = "info_requested"
    accepted = "accepted"
    merged = "merged"
    not_adopted = "not_adopted"
    voted = "voted"
    in_progress = "in_progress"
    completed = "completed"


class SuggestionSource(StrEnum):
    resident = "resident"  # sent by the resident in the bot
    visit = "visit"  # logged by a deputy after visiting residents
    station = "station"  # logged by a deputy at a liaison station


class Suggestion(SQLModel, table=True):
    """One suggestion for a livelihood project, from a resident or logged by a deputy."""

    id: int | None = Field(default=None, primary_key=True)
    # MS-<year>-<row id>, written in the transaction that creates the row.
    number: str | None = Field(default=None, max_length=24, sa_column_kwargs={"unique": True})
    author_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="SET NULL"), index=True),
    )
    show_name: bool = False
    source: str = Field(default=SuggestionSource.resident, max_length=16)
    deputy_id: int | None = Field(default=None, foreign_key="deputy.id", index=True)
    raised_by: int = 1  # how many residents raised it (a deputy's visit counts several)
    category: str = Field(max_length=32, index=True)
    description: str = Field(sa_type=sa.Text)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    place_text: str = Field(default="", max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    status: str = Field(default=SuggestionStatus.received, max_length=16, index=True)
    candidate_id: int | None = Field(default=None, foreign_key="candidate.id", index=True)
    share_code: str = Field(max_length=32, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SuggestionPhoto(SQLModel, table=True):
    """A photo kept on Telegram's side: the bot stores its file id, never the image."""

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("suggestion.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    position: int = 0
    file_id: str = Field(max_length=255)
    file_unique_id: str = Field(max_length=64)
    caption: str = Field(default="", max_length=200)  # services.text.CAPTION_MAX


class SuggestionEvent(SQLModel, table=True):
    """The history of a suggestion: status changes (shown to the resident), notes and Q&A (staff)."""

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("suggestion.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    kind: str = Field(default="status", max_length=16)  # status | note
    status: str | None = Field(default=None, max_length=16)
    text: str = Field(default="", sa_type=sa.Text)
    # A reason chosen from a built-in template is stored as its gettext id and translated when shown.
    text_is_msgid: bool = False


class Support(SQLModel, table=True):
    """One resident's support for someone else's suggestion; at most one per person."""

    __table_args__ = (sa.UniqueConstraint("suggestion_id", "user_id", name="uq_support_once"),)

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("suggestion.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    user_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Candidate(SQLModel, table=True):
    """A candidate project in the pool (houxuan xiangmu ku) that deputies may vote on."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    summary: str = Field(default="", sa_type=sa.Text)
    estimated_cost: int | None = Field(default=None, sa_type=sa.BigInteger)  # yuan
    department_id: int | None = Field(default=None, foreign_key="department.id")
    # pool, then what later orders set: voted, in_progress, completed, not_adopted.
    status: str = Field(default="pool", max_length=16, index=True)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ReasonTemplate(SQLModel, table=True):
    """A reusable reason for not adopting a suggestion. Built-in ones hold a gettext id in `text`."""

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=32, sa_column_kwargs={"unique": True})  # built-ins only
    text: str = Field(max_length=500)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class InfoRequest(SQLModel, table=True):
    """Staff asked the author for more information; the answer is relayed back through the bot."""

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("suggestion.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    asked_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    question: str = Field(sa_type=sa.Text)
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
