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
    """The user's roles, deputy record and departments, in one query."""
    rows = (await session.execute(
        select(RoleGrant.role, RoleGrant.department_id, Deputy.id)
        .select_from(User)
        .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
        .outerjoin(Deputy, (Deputy.user_id == User.id) & Deputy.active.is_(True))
        .where(User.id == user.id)
    )).all()
    deputy_id = next((row[2] for row in rows if row[2] is not None), None)
    roles = {Role.resident.value, *(row[0] for row in rows if row[0])}
    if deputy_id is None:
        roles.discard(Role.deputy.value)
    return Actor(
        user=user,
        roles=frozenset(roles),
        deputy_id=deputy_id,
        department_ids=frozenset(row[1] for row in rows if row[1] is not None),
    )


def require(actor: Actor, *roles: str) -> None:
    """Admins pass every check; anyone else needs one of `roles`."""
    if not actor.has(*roles):
        raise PermissionDenied()
