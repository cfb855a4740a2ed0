"""Single-use, expiring, revocable invites that bring deputies, staff and departments in.

Only a hash of the token is stored: a database reader cannot use an invite.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Department, Deputy, Invite, Role, Station, User, utcnow
from services import audit, inquiries, people
from services.auth import Actor, require, require_station, require_whole_office
from services.errors import DomainError, InvalidInput, NotFound
from services.i18n import N_

PREFIX = "inv_"
INVITABLE = (Role.deputy, Role.staff, Role.department)


@dataclass(frozen=True)
class NewInvite:
    invite: Invite
    token: str

    @property
    def payload(self) -> str:
        return PREFIX + self.token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    session: AsyncSession,
    actor: Actor | None,
    role: Role,
    *,
    ttl_days: int,
    deputy_id: int | None = None,
    station_id: int | None = None,
    department_id: int | None = None,
    now: datetime | None = None,
) -> NewInvite:
    """Staff invite deputies and departments; only admins invite staff. `actor=None` is the CLI."""
    if role not in INVITABLE:
        raise InvalidInput()
    if actor is not None:
        _require_inviter(actor, role)
    deputy = None
    if deputy_id is not None:
        deputy = await session.get(Deputy, deputy_id)
        if deputy is None:
            raise NotFound()
        if actor is not None:
            _require_scope(actor, role, deputy.station_id)
        if deputy.user_id is not None:
            raise DomainError(N_("This deputy has already joined the bot. "
                                 "Withdraw their deputy role first to link another account."))
    for model, key in ((Station, station_id), (Department, department_id)):
        if key is not None and await session.get(model, key) is None:
            raise NotFound()
    if actor is not None and deputy is None:
        _require_scope(actor, role, station_id)
    now = now or utcnow()
    token = secrets.token_urlsafe(18)
    invite = Invite(
        token_hash=hash_token(token), role=role, deputy_id=deputy_id, station_id=station_id,
        department_id=department_id, created_by=actor.id if actor else None,
        created_at=now, expires_at=now + timedelta(days=ttl_days),
    )
    session.add(invite)
    await session.flush()
    audit.record(session, actor.id if actor else None, "invite.create", "invite", invite.id, role=str(role))
    return NewInvite(invite, token)


async def accept(session: AsyncSession, user: User, token: str, now: datetime | None = None) -> Invite:
    """Use an invite once: the user gets its role. Raises DomainError saying why not."""
    now = now or utcnow()
    invite = await session.scalar(select(Invite).where(Invite.token_hash == hash_token(token)))
    if invite is None:
        raise InvalidInput(N_("This invite link is not valid. Ask the congress office for a new one."))
    if invite.revoked_at is not None:
        raise DomainError(N_("This invite was withdrawn. Ask the congress office for a new one."))
    if invite.used_at is not None:
        raise DomainError(N_("This invite has already been used. Each invite works once."))
    if invite.expires_at <= now:
        raise DomainError(N_("This invite has expired. Ask the congress office for a new one."))
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(used_by=user.id, used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise DomainError(N_("This invite has already been used. Each invite works once."))
    role = Role(invite.role)
    if role == Role.deputy:
        await _link_deputy(session, invite, user, now)
    await people.grant_role(session, user.id, role, by=invite.created_by,
                            station_id=invite.station_id, department_id=invite.department_id)
    audit.record(session, user.id, "invite.accept", "invite", invite.id, role=str(role))
    if invite.created_by is not None and invite.created_by != user.id:
        await people.notify_about_role(
            session, invite.created_by, N_("{name} accepted your invite. Their role: {role}."), role,
            key=f"invite-accepted:{invite.id}", name=escape(user.first_name or str(user.id), quote=False),
        )
    return invite


async def _link_deputy(session: AsyncSession, invite: Invite, user: User, now: datetime) -> None:
    existing = await session.scalar(select(Deputy).where(Deputy.user_id == user.id))
    if invite.deputy_id is None:
        if existing is None:
            session.add(Deputy(name=user.first_name or str(user.id), user_id=user.id, station_id=invite.station_id))
        return
    deputy = await session.get(Deputy, invite.deputy_id)
    if deputy is None:
        raise NotFound()
    if deputy.user_id not in (None, user.id):
        raise DomainError(N_("This deputy is already linked to another Telegram account."))
    if existing is not None and existing.id != deputy.id:
        raise DomainError(N_("Your account is already linked to another deputy."))
    if not deputy.active:  # staff deactivated the record after inviting: an old link must not undo that
        raise DomainError(N_("This deputy record is no longer active. Ask the congress office for a new invite."))
    deputy.user_id = user.id
    await inquiries.hand_over(session, deputy, now)  # the letters staff held for them are theirs now


def _require_inviter(actor: Actor, role: Role | str) -> None:
    """Staff invite and withdraw invites for deputies and departments; staff invites are the admins'."""
    require(actor, Role.admin) if role == Role.staff else require(actor, Role.staff)


def _require_scope(actor: Actor, role: Role | str, station_id: int | None) -> None:
    """A station's clerk invites deputies of their station; department accounts are the whole office's."""
    if role == Role.department:
        require_whole_office(actor)
    elif role == Role.deputy:
        require_station(actor, station_id)


async def _invite_station(session: AsyncSession, invite: Invite) -> int | None:
    if invite.deputy_id is not None:
        return await session.scalar(select(Deputy.station_id).where(Deputy.id == invite.deputy_id))
    return invite.station_id


async def revoke(session: AsyncSession, actor: Actor | None, invite_id: int, now: datetime | None = None) -> Invite:
    if actor is not None:
        require(actor, Role.staff)
    invite = await session.get(Invite, invite_id)
    if invite is None:
        raise NotFound()
    if actor is not None:
        _require_inviter(actor, invite.role)
        _require_scope(actor, invite.role, await _invite_station(session, invite))
    # Conditional, like `accept`: of a withdrawal and an acceptance at the same moment, one wins.
    withdrawn = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(invite)
    if withdrawn.rowcount == 1:
        audit.record(session, actor.id if actor else None, "invite.revoke", "invite", invite_id)
    elif invite.used_at is not None:
        raise DomainError(N_("This invite has already been used, so it cannot be withdrawn."))
    return invite


async def open_invites(session: AsyncSession, actor: Actor, now: datetime | None = None) -> list[Invite]:
    """The newest unused, unexpired invites; staff invites are listed to admins only."""
    require(actor, Role.staff)
    now = now or utcnow()
    query = (
        select(Invite)
        .where(Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now)
        .order_by(Invite.created_at.desc(), Invite.id.desc())
        .limit(20)
    )
    if not actor.has(Role.admin):
        query = query.where(Invite.role != Role.staff)
    if actor.stations is not None:  # a station's clerk sees the invites of their station's deputies
        deputies = select(Deputy.id).where(Deputy.station_id.in_(actor.stations))
        query = query.where(Invite.role == Role.deputy,
                            Invite.deputy_id.in_(deputies) | Invite.station_id.in_(actor.stations))
    return list(await session.scalars(query))


async def subjects(session: AsyncSession, items: list[Invite]) -> dict[int, str]:
    """Invite id → the deputy or department it is for, where it names one."""
    deputy_ids = {i.deputy_id for i in items if i.deputy_id is not None}
    department_ids = {i.department_id for i in items if i.department_id is not None}
    deputies = dict((await session.execute(select(Deputy.id, Deputy.name).where(Deputy.id.in_(deputy_ids)))).all())
    departments = dict((await session.execute(
        select(Department.id, Department.name).where(Department.id.in_(department_ids)))).all())
    named = {i.id: deputies.get(i.deputy_id) or departments.get(i.department_id) for i in items}
    return {key: name for key, name in named.items() if name}
