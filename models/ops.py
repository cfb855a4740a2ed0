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
    """One message the bot owes someone. Written before sending, marked after.

    `concerns_user_id` names the resident whose words, photos or phone number the message
    carries to someone else (a deputy, staff): erasing that resident's data redacts it, here
    and, once sent, in the recipient's chat (a job of kind "redact" edits the sent message).
    """

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=128, sa_column_kwargs={"unique": True})
    chat_id: int = Field(sa_type=sa.BigInteger, index=True)
    kind: str = Field(default="text", max_length=16)  # text | photo | redact
    concerns_user_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
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


def _waiting(stage_at: str, done: str) -> dict:
    """Partial-index arguments: only open deadlines whose stage is still to fire are indexed.

    A stage that may not exist (a nullable time) also needs its time set. The escalation
    always exists, and its index must not say so: SQLite cannot use a partial index whose
    condition tests a NOT NULL column for NOT NULL.
    """
    where = f"{done} IS NULL AND closed_at IS NULL"
    if stage_at != "escalate_at":
        where += f" AND {stage_at} IS NOT NULL"
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


class Deadline(SQLModel, table=True):
    """A legal or procedural deadline with its reminder, due-day and escalation times.

    The sweep claims each stage with a conditional update, so each stage fires once
    even when two sweeps run at the same moment. `closed_at` stops the clock. A stage
    passed over because a later one was due (after downtime) is done and named in
    `skipped_stages`. One partial index per stage keeps the sweep's search small
    however many deadlines have already fired.
    """

    __table_args__ = (
        sa.UniqueConstraint("kind", "subject_id", name="uq_deadline_subject"),
        sa.Index("ix_deadline_remind_waiting", "remind_at", **_waiting("remind_at", "reminded_at")),
        sa.Index("ix_deadline_due_day_waiting", "due_day_at", **_waiting("due_day_at", "due_day_reminded_at")),
        sa.Index("ix_deadline_escalate_waiting", "escalate_at", **_waiting("escalate_at", "escalated_at")),
        # Staff's watch lists: open deadlines by their due time. Deliberately no plain index on
        # closed_at: SQLite's planner would prefer it to the stage indexes and read every open row.
        sa.Index("ix_deadline_open_due", "due_at", sqlite_where=sa.text("closed_at IS NULL"),
                 postgresql_where=sa.text("closed_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    subject_id: int = Field(sa_type=sa.BigInteger)
    owner_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id")
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_day_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalate_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_day_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_in_time: bool | None = None
    calendar_note: str = Field(default="", max_length=120)
    skipped_stages: str = Field(default="", max_length=40)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data, keyed by aiogram's storage key."""

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ProcessedUpdate(SQLModel, table=True):
    """A webhook update some instance has taken (when there is no Redis): handled once, however
    often Telegram sends it. Forgotten after two days."""

    update_id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
