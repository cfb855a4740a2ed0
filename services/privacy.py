"""What the bot stores about a person, and erasing it.

Each feature registers a `DataSection`: how to describe its rows about a user and how
to erase them. /mydata shows every section and deletes through all of them in one
transaction, so a new feature cannot forget the privacy promise.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Awaitable, Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent, Deputy, FsmRecord, Notification, Role, RoleGrant, User
from services import audit, calendar, outbox
from services.i18n import N_, _

REDACTED = N_("(Removed: the resident who wrote this deleted their data.)")

Describe = Callable[[AsyncSession, int], Awaitable[list[str]]]
Erase = Callable[[AsyncSession, int], Awaitable[None]]


@dataclass(frozen=True)
class DataSection:
    """`describe` returns lines ready for an HTML message: user-provided values escaped."""

    name: str
    describe: Describe
    erase: Erase


_sections: list[DataSection] = []


def register(section: DataSection) -> None:
    if all(s.name != section.name for s in _sections):
        _sections.append(section)


async def describe(session: AsyncSession, user: User) -> list[str]:
    lines: list[str] = []
    for section in _sections:
        lines.extend(await section.describe(session, user.id))
    return lines


class HoldsOffice(Exception):
    """Deputies, staff and departments are removed by staff first; their records are public duties."""


async def erase(session: AsyncSession, user: User) -> None:
    official = await session.scalar(
        select(func.count()).select_from(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role != Role.resident)
    )
    linked = await session.scalar(select(Deputy.id).where(Deputy.user_id == user.id))
    if official or linked:
        raise HoldsOffice()
    for section in reversed(_sections):
        await section.erase(session, user.id)
    audit.record(session, None, "user.erase", "user", "")  # no id: the audit keeps no trace of who
    await session.delete(user)


async def _describe_profile(session: AsyncSession, user_id: int) -> list[str]:
    user = await session.get(User, user_id)
    if user is None:
        return []
    return [
        _("Profile: Telegram id {id}, name {name}, language {locale}, first contact {since}.",
          id=user.id, name=escape(user.first_name or "-"), locale=user.locale,
          since=user.created_at.astimezone(calendar.zone()).date().isoformat()),
        *([_("Phone number you shared: {phone}", phone=escape(user.phone))] if user.phone else []),
    ]


async def _erase_profile(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id))
    await session.execute(delete(FsmRecord).where(FsmRecord.key.like(f"%:{user_id}:%")))
    # Messages to the person (sent or waiting) hold their data too, and so do messages that
    # carried their words to deputies or staff: those are redacted, in the recipients' chats too.
    # The audit keeps the actions but no longer who did them.
    await session.execute(delete(Notification).where(Notification.chat_id == user_id))
    await outbox.redact_about(session, user_id, lambda: _(REDACTED))
    await session.execute(update(AuditEvent).where(AuditEvent.actor_id == user_id).values(actor_id=None))


register(DataSection("profile", _describe_profile, _erase_profile))
