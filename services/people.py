"""Users and their roles: first contact, language, role grants (audited), admins."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deputy, Role, RoleGrant, User, utcnow
from services import audit, outbox
from services.auth import Actor, actor_from, actor_rows, require, require_station, require_whole_office
from services.directory import Page, paginate
from services.errors import InvalidInput, NotFound
from services.i18n import LOCALES, N_, _, locale_from_telegram

ROLE_NAMES = {
    "resident": N_("resident"),
    "deputy": N_("deputy"),
    "staff": N_("congress staff"),
    "department": N_("implementing department"),
    "admin": N_("administrator"),
}
# Roles that staff hand out through invites and may withdraw (staff itself: admins only).
OFFICES = (Role.deputy, Role.department, Role.staff)


SEEN_RESOLUTION = timedelta(hours=1)


@dataclass(frozen=True)
class Contact:
    """What Telegram tells us about the person writing."""

    id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None


async def arrive(session: AsyncSession, contact: Contact) -> tuple[Actor, bool]:
    """Who is writing, with their roles, in one query (two on a first contact). Returns (actor, first contact)."""
    rows = await actor_rows(session, contact.id)
    if not rows:
        user, first_contact = await ensure_user(session, contact)
        return actor_from(user, []), first_contact
    user = rows[0][0]
    return actor_from(user, rows), await _refresh(session, user, contact)


async def still_known(session: AsyncSession, user_id: int) -> bool:
    """Whether the person has a row (an erasure in this unit of work removes it)."""
    return await session.scalar(select(User.id).where(User.id == user_id)) is not None


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
    return user, await _refresh(session, user, contact)


async def _refresh(session: AsyncSession, user: User, contact: Contact) -> bool:
    """Bring a known user up to date with what Telegram says now. Returns whether this is their first contact."""
    now = utcnow()
    # A row made from configuration (ADMIN_IDS, the CLI) before the person ever wrote: first contact now.
    first_contact = user.last_seen_at is None
    if first_contact and not user.locale_chosen:
        user.locale = locale_from_telegram(contact.language_code)
    # Write only what changed: most updates then commit a read-only transaction.
    first_name = (contact.first_name or user.first_name)[:128]
    if (user.first_name, user.username) != (first_name, contact.username):
        user.first_name, user.username = first_name, contact.username
    if user.last_seen_at is None or now - user.last_seen_at > SEEN_RESOLUTION:
        user.last_seen_at = now
    if user.blocked_at is not None:
        # Writing to us means they unblocked the bot: deliver what was held back.
        user.blocked_at = None
        await outbox.requeue_blocked(session, user.id)
    return first_contact


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
    """Withdraw a role, audited, and tell the person. A former deputy's account is unlinked
    from the deputy record, so a new invite can link the deputy's next account."""
    require(actor, Role.admin) if role in (Role.admin, Role.staff) else require(actor, Role.staff)
    if role == Role.deputy:  # a station's clerk withdraws their own station's deputies only
        require_station(actor, await session.scalar(select(Deputy.station_id).where(Deputy.user_id == user_id)))
    elif role == Role.department:
        require_whole_office(actor)
    result = await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role))
    if not result.rowcount:
        raise NotFound()
    unlinked = None
    if role == Role.deputy:
        unlinked = await session.scalar(select(Deputy.id).where(Deputy.user_id == user_id))
        await session.execute(update(Deputy).where(Deputy.user_id == user_id).values(user_id=None))
    event = audit.record(session, actor.id, "role.revoke", "user", user_id, role=str(role), unlinked_deputy=unlinked)
    await session.flush()
    if user_id != actor.id:
        await notify_about_role(session, user_id, N_("The congress office withdrew your role: {role}."), role,
                                key=f"role-revoked:{event.id}")


async def notify_about_role(session: AsyncSession, user_id: int, message: str, role: str, *, key: str,
                            **params: object) -> None:
    """Notify `user_id` of `message`, its {role} placeholder named in the recipient's language."""
    await outbox.tell(session, user_id, lambda: _(message, role=_(ROLE_NAMES[role]), **params), key=key)


@dataclass(frozen=True)
class OfficeHolder:
    """A user with the offices they hold; `deputy_name` names the deputy record they are linked to."""

    user: User
    roles: tuple[str, ...]
    deputy_name: str | None = None


async def office_holders(session: AsyncSession, actor: Actor, number: int) -> Page[OfficeHolder]:
    """People holding deputy, department or staff roles, for staff to review and withdraw."""
    require(actor, Role.staff)
    holding = select(RoleGrant.user_id).where(RoleGrant.role.in_(OFFICES))
    page = await paginate(session, select(User).where(User.id.in_(holding)).order_by(User.first_name, User.id), number)
    return Page([await _holder(session, user) for user in page.items], page.number, page.pages, page.total)


async def office_holder(session: AsyncSession, actor: Actor, user_id: int) -> OfficeHolder:
    require(actor, Role.staff)
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound()
    return await _holder(session, user)


async def _holder(session: AsyncSession, user: User) -> OfficeHolder:
    held = set(await session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user.id)))
    deputy_name = await session.scalar(select(Deputy.name).where(Deputy.user_id == user.id))
    return OfficeHolder(user, tuple(r.value for r in OFFICES if r in held), deputy_name)


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
