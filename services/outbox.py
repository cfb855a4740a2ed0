"""The notification outbox: services enqueue in their own transaction; one sender delivers.

A row is claimed (status `sending`, with a lease) and committed before the HTTP call,
and marked `sent` right after Telegram answers. A sender that dies mid-call leaves a
`sending` row whose lease runs out; the next sender takes it again. The only moment a
message could go out twice is between Telegram's answer and the commit that records
it, a window of one local write.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import Notification, NotificationStatus, User, utcnow
from services.i18n import _, use_locale

MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 600
REDACT = "redact"  # a job that edits (or deletes) a message already sent


@dataclass(frozen=True)
class Outgoing:
    """A claimed notification, detached from the session for the sender."""

    id: int
    chat_id: int
    kind: str
    text: str
    payload: dict[str, Any]
    attempts: int
    message_id: int | None = None  # a redaction edits this sent message


async def enqueue(
    session: AsyncSession,
    chat_id: int,
    text: str,
    *,
    key: str,
    kind: str = "text",
    payload: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    concerns: int | None = None,
) -> bool:
    """Owe `chat_id` a message. A second call with the same key is a no-op. Returns True if queued.
    `concerns`: the resident whose data the message carries to someone else (see Notification)."""
    values = dict(
        idempotency_key=key[:128], chat_id=chat_id, kind=kind, text=text, payload=payload or {},
        concerns_user_id=concerns,
        status=NotificationStatus.pending, attempts=0, not_before=not_before or utcnow(),
        created_at=utcnow(), last_error="",
    )
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    result = await session.execute(stmt)
    session.info["outbox_dirty"] = True
    return bool(result.rowcount)


async def tell(session: AsyncSession, user_id: int, render: Callable[[], str], *, key: str,
               buttons: Iterable[tuple[str, str]] = (), concerns: int | None = None) -> bool:
    """Queue a message rendered in the recipient's own language, text and buttons alike.

    `render` runs with the recipient's locale active; `buttons` are (gettext label, callback data).
    """
    user = await session.get(User, user_id)
    with use_locale(user.locale if user else None):
        text = render()
        rows = [[{"text": _(label), "callback_data": data}] for label, data in buttons]
    return await enqueue(session, user_id, text, key=key, payload={"inline_keyboard": rows} if rows else None,
                         concerns=concerns)


@dataclass(frozen=True)
class Letter:
    """One message of a batch for `tell_many`: rendered in its recipient's language."""

    user_id: int
    render: Callable[[], str]
    key: str
    buttons: tuple[tuple[str, str], ...] = ()
    kind: str = "text"
    payload: dict[str, Any] | None = None
    concerns: int | None = None


async def tell_many(session: AsyncSession, letters: Iterable[Letter], chunk: int = 500) -> int:
    """Queue many messages, each in its recipient's language, a chunk at a time: one query for the
    recipients' languages and one insert per chunk, so a campaign to thousands streams in steady
    memory. Keys already queued are skipped, as with `enqueue`. Returns how many were offered."""
    offered = 0
    batch: list[Letter] = []
    for letter in letters:
        batch.append(letter)
        if len(batch) == chunk:
            offered += await _queue_batch(session, batch)
            batch = []
    if batch:
        offered += await _queue_batch(session, batch)
    return offered


async def _queue_batch(session: AsyncSession, letters: list[Letter]) -> int:
    locales = dict((await session.execute(
        select(User.id, User.locale).where(User.id.in_({letter.user_id for letter in letters})))).all())
    by_locale: dict[str | None, list[Letter]] = {}
    for letter in letters:
        by_locale.setdefault(locales.get(letter.user_id), []).append(letter)
    now = utcnow()
    rows = []
    for locale, group in by_locale.items():
        with use_locale(locale):  # once per language, not per letter
            for letter in group:
                payload = dict(letter.payload or {})
                if letter.buttons:
                    payload["inline_keyboard"] = [[{"text": _(label), "callback_data": data}]
                                                  for label, data in letter.buttons]
                rows.append(dict(idempotency_key=letter.key[:128], chat_id=letter.user_id, kind=letter.kind,
                                 text=letter.render(), payload=payload, status=NotificationStatus.pending,
                                 attempts=0, not_before=now, created_at=now, last_error="",
                                 concerns_user_id=letter.concerns))
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(Notification.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"]),
                          rows)
    session.info["outbox_dirty"] = True
    return len(rows)


async def notify(session: AsyncSession, user_id: int, message: str, *, key: str,
                 buttons: Iterable[tuple[str, str]] = (), concerns: int | None = None, **params: object) -> bool:
    """Queue gettext `message` with its `params`, in the recipient's own language."""
    return await tell(session, user_id, lambda: _(message, **params), key=key, buttons=buttons, concerns=concerns)


async def due_candidates(session: AsyncSession, now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(id, chat_id) of messages that may go now, oldest first: pending, or sending with a lapsed lease."""
    rows = await session.execute(
        select(Notification.id, Notification.chat_id)
        .where(_claimable(now), or_(Notification.status != NotificationStatus.pending, Notification.not_before <= now))
        .order_by(Notification.id)
        .limit(limit)
    )
    return [(row.id, row.chat_id) for row in rows]


def _claimable(now: datetime):  # noqa: ANN202
    return or_(
        Notification.status == NotificationStatus.pending,
        and_(Notification.status == NotificationStatus.sending, Notification.lease_until < now),
    )


async def claim_many(session: AsyncSession, ids: list[int], now: datetime, lease: timedelta) -> list[Outgoing]:
    """Take these messages for sending in one statement; those another sender took first are left out."""
    if not ids:
        return []
    rows = await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), _claimable(now))
        .values(status=NotificationStatus.sending, lease_until=now + lease, attempts=Notification.attempts + 1)
        .returning(Notification.id, Notification.chat_id, Notification.kind, Notification.text,
                   Notification.payload, Notification.attempts, Notification.telegram_message_id)
        .execution_options(synchronize_session=False)
    )
    claimed = [Outgoing(r.id, r.chat_id, r.kind, r.text, dict(r.payload or {}), r.attempts, r.telegram_message_id)
               for r in rows]
    return sorted(claimed, key=lambda item: item.id)


async def hold_for_blocked_chats(session: AsyncSession) -> int:
    """Park pending messages to users known to have blocked the bot; `requeue_blocked` brings them back."""
    result = await session.execute(
        update(Notification)
        .where(Notification.status == NotificationStatus.pending,
               Notification.chat_id.in_(select(User.id).where(User.blocked_at.is_not(None))))
        .values(status=NotificationStatus.blocked, last_error="chat blocked the bot")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def mark_sent(session: AsyncSession, notification_id: int, message_id: int | None, now: datetime) -> None:
    """Delivered. A message turned into a redaction while it was in flight (its resident erased their
    data meanwhile) stays due, now knowing which sent message to redact."""
    in_flight_redaction = (Notification.kind == REDACT) & Notification.telegram_message_id.is_(None)
    await session.execute(
        update(Notification).where(Notification.id == notification_id)
        .values(status=case((in_flight_redaction, NotificationStatus.pending), else_=NotificationStatus.sent),
                sent_at=now, telegram_message_id=func.coalesce(Notification.telegram_message_id, message_id),
                lease_until=None)
    )


async def mark_retry(session: AsyncSession, item: Outgoing, now: datetime, error: str,
                     retry_after: float | None = None) -> bool:
    """Back off and try later; after MAX_ATTEMPTS the message is marked failed. Returns True if it will retry."""
    if retry_after is None and item.attempts >= MAX_ATTEMPTS:
        await session.execute(
            update(Notification).where(Notification.id == item.id)
            .values(status=NotificationStatus.failed, last_error=error[:500], lease_until=None)
        )
        return False
    if retry_after is not None:
        delay = retry_after
        attempts = Notification.attempts - 1  # Telegram asked us to wait: not the message's fault
    else:
        delay = min(2 ** item.attempts, MAX_BACKOFF_SECONDS) * random.uniform(0.8, 1.2)
        attempts = Notification.attempts
    await session.execute(
        update(Notification).where(Notification.id == item.id)
        .values(status=NotificationStatus.pending, not_before=now + timedelta(seconds=delay),
                last_error=error[:500], lease_until=None, attempts=attempts)
    )
    return True


async def release(session: AsyncSession, notification_id: int) -> None:
    """Hand back a claimed message that was never sent (its sender is stopping): due again at once,
    the claim not counted as an attempt."""
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == NotificationStatus.sending)
        .values(status=NotificationStatus.pending, lease_until=None, attempts=Notification.attempts - 1)
    )


async def mark_final(session: AsyncSession, item: Outgoing, status: NotificationStatus, error: str) -> None:
    await session.execute(
        update(Notification).where(Notification.id == item.id)
        .values(status=status, last_error=error[:500], lease_until=None)
    )


async def requeue_blocked(session: AsyncSession, chat_id: int) -> int:
    """A user who unblocked the bot gets what they missed meanwhile."""
    result = await session.execute(
        update(Notification)
        .where(Notification.chat_id == chat_id, Notification.status == NotificationStatus.blocked)
        .values(status=NotificationStatus.pending, not_before=utcnow())
    )
    if result.rowcount:
        session.info["outbox_dirty"] = True
    return result.rowcount or 0


async def purge_finished(session: AsyncSession, before: datetime) -> int:
    """Forget delivered and given-up messages older than `before`: their texts carry personal
    data that must not outlive their purpose (the audit trail records the actions). A sent
    message carrying a resident's data keeps only its address (chat and message id, emptied of
    text), so the copy in the recipient's chat can still be redacted if the resident erases."""
    old = (Notification.status.in_((NotificationStatus.sent, NotificationStatus.failed))
           & (Notification.created_at < before))
    kept = (Notification.status == NotificationStatus.sent) & Notification.concerns_user_id.is_not(None)
    await session.execute(update(Notification).where(old, kept).values(text="", payload={}))
    result = await session.execute(delete(Notification).where(old, ~kept))
    return result.rowcount or 0


async def redact_about(session: AsyncSession, user_id: int, render: Callable[[], str]) -> None:
    """Erase what messages to others carry of this resident: unsent ones are dropped, and each sent
    (or in-flight) one becomes a job that edits the recipient's copy into `render()`'s notice."""
    await session.execute(delete(Notification).where(
        Notification.concerns_user_id == user_id,
        Notification.status.not_in((NotificationStatus.sent, NotificationStatus.sending))))
    sent = (await session.execute(select(Notification.id, Notification.chat_id, Notification.kind).where(
        Notification.concerns_user_id == user_id))).all()
    locales = dict((await session.execute(
        select(User.id, User.locale).where(User.id.in_({row.chat_id for row in sent})))).all())
    for row in sent:
        with use_locale(locales.get(row.chat_id)):
            notice = render()
        await session.execute(
            update(Notification).where(Notification.id == row.id)
            .values(kind=REDACT, text=notice, payload={"was": row.kind}, concerns_user_id=None, attempts=0,
                    not_before=utcnow(), last_error="",
                    status=case((Notification.status == NotificationStatus.sent, NotificationStatus.pending),
                                else_=Notification.status)))
    if sent:
        session.info["outbox_dirty"] = True
