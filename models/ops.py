"""Operational tables: audit trail, notification outbox, deadlines, conversation state."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from models.base import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(default="", max_length=32)
    subject_id: str = Field(default="", max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class NotificationStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    blocked = "blocked"
    failed = "failed"


class Notification(SQLModel, table=True):
    """One message the bot owes someone. Written before sending, marked after."""

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=128, sa_column_kwargs={"unique": True})
    chat_id: int = Field(sa_type=sa.BigInteger, index=True)
    kind: str = Field(default="text", max_length=16)  # text | photo | document
    text: str = Field(default="", sa_type=sa.Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=NotificationStatus.pending, max_length=16, index=True)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    telegram_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    last_error: str = Field(default="", max_length=500)


class Deadline(SQLModel, table=True):
    """A legal or procedural deadline with its reminder, due-day and escalation times.

    The sweep claims each stage with a conditional update, so each stage fires once
    even when two sweeps run at the same moment. `closed_at` stops the clock.
    """

    __table_args__ = (sa.UniqueConstraint("kind", "subject_id", name="uq_deadline_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    subject_id: int = Field(sa_type=sa.BigInteger)
    owner_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id")
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    due_day_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    escalate_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_day_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    closed_in_time: bool | None = None
    calendar_note: str = Field(default="", max_length=120)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data, keyed by aiogram's storage key."""

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
