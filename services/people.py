"""Users and their roles: first contact, language, role grants (audited), admins."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Role, RoleGrant, User, utcnow
from services import audit, outbox
from services.auth import Actor, require
from services.errors import InvalidInput, NotFound
from services.i18n import LOCALES, locale_from_telegram


@dataclass(frozen=True)
class Contact:
    """What Telegram tells us about the person writing."""

    id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None


async def ensure_user(session: AsyncSession, contact: Contact) -> tuple[User, bool]:
    """The user row for this Telegram user, created on first contact. Returns (user, created)."""
    user = await session.get(User, contact.id)
    now = utcnow()
    if user is None:
        user = User(
            id=contact.id,
            locale=locale_from_telegram(contact.language_code),
            first_name=(contact.first_name or "")[:128],
            username=contact.username,
            last_seen_at=now,
        )
        session.add(user)
        await session.flush()
        return user, True
    user.first_name = (contact.first_name or user.first_name)[:128]
    user.username = contact.username
    user.last_seen_at = now
    if user.blocked_at is not None:
        # Writing to us means they unblocked the bot: deliver what was held back.
        user.blocked_at = None
        await outbox.requeue_blocked(session, user.id)
    return user, False


async def set_locale(session: AsyncSession, user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise InvalidInput()
    user.locale = locale
    user.locale_chosen = True
    session.add(user)


async def grant_role(
    session: AsyncSession,
    user_id: int,
    role: Role,
    *,
    by: int | None,
    station_id: int | None = None,
    department_id: int | None = None,
) -> RoleGrant:
    """Give `role` to a user (idempotent: an existing grant is updated), audited."""
    grant = await session.scalar(select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role))
    if grant is None:
        grant = RoleGrant(user_id=user_id, role=role, granted_by=by)
    grant.station_id = station_id if station_id is not None else grant.station_id
    grant.department_id = department_id if department_id is not None else grant.department_id
    session.add(grant)
    audit.record(session, by, "role.grant", "user", user_id, role=str(role),
                 station_id=station_id, department_id=department_id)
    await session.flush()
    return grant


async def revoke_role(session: AsyncSession, actor: Actor, user_id: int, role: Role) -> None:
    require(actor, Role.admin) if role in (Role.admin, Role.staff) else require(actor, Role.staff)
    result = await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role))
    if not result.rowcount:
        raise NotFound()
    audit.record(session, actor.id, "role.revoke", "user", user_id, role=str(role))


async def bootstrap_admins(session: AsyncSession, admin_ids: list[int]) -> None:
    """Admins named in configuration exist and hold the admin role."""
    for admin_id in admin_ids:
        if await session.get(User, admin_id) is None:
            session.add(User(id=admin_id))
            await session.flush()
        has = await session.scalar(
            select(RoleGrant.id).where(RoleGrant.user_id == admin_id, RoleGrant.role == Role.admin)
        )
        if has is None:
            await grant_role(session, admin_id, Role.admin, by=None)


async def mark_blocked(session: AsyncSession, chat_id: int) -> None:
    user = await session.get(User, chat_id)
    if user is not None and user.blocked_at is None:
        user.blocked_at = utcnow()
