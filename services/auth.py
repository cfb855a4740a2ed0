"""Who may do what. Every service checks the acting user here, never a button's claim."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deputy, Role, RoleGrant, User
from services.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The acting user with the roles they hold now (read in the same unit of work)."""

    user: User
    roles: frozenset[str] = field(default_factory=frozenset)
    deputy_id: int | None = None
    station_ids: frozenset[int] = field(default_factory=frozenset)
    department_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def locale(self) -> str:
        return self.user.locale

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or Role.admin in self.roles

    @property
    def is_staff(self) -> bool:
        return self.has(Role.staff)


async def load_actor(session: AsyncSession, user: User) -> Actor:
    grants = (await session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))).all()
    deputy_id = await session.scalar(select(Deputy.id).where(Deputy.user_id == user.id, Deputy.active.is_(True)))
    roles = {Role.resident.value, *(g.role for g in grants)}
    if deputy_id is None:
        roles.discard(Role.deputy.value)
    return Actor(
        user=user,
        roles=frozenset(roles),
        deputy_id=deputy_id,
        station_ids=frozenset(g.station_id for g in grants if g.station_id is not None),
        department_ids=frozenset(g.department_id for g in grants if g.department_id is not None),
    )


def require(actor: Actor, *roles: str) -> None:
    """Admins pass every check; anyone else needs one of `roles`."""
    if not actor.has(*roles):
        raise PermissionDenied()
