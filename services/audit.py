"""The audit trail: who did what to which subject, written in the caller's transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent


def record(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    subject_type: str = "",
    subject_id: object = "",
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor_id, action=action, subject_type=subject_type, subject_id=str(subject_id), detail=detail
    )
    session.add(event)
    return event
