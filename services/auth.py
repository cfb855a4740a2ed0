"""Who may do what. Every service checks the acting user here, never a button's claim."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import Row, bindparam, select
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
    # The stations a station-scoped clerk serves; None: every station (admins, staff without a station).
    stations: frozenset[int] | None = None

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

    @property
    def serves_all_stations(self) -> bool:
        """Staff of the whole congress office (or an admin), as opposed to a station's liaison clerk."""
        return self.is_staff and self.stations is None

    def serves(self, station_id: int | None) -> bool:
        """Whether this staff member acts for that station. A station-scoped clerk acts for their
        stations only; what belongs to no station is the whole office's."""
        return self.is_staff and (self.stations is None or station_id in self.stations)


# Built once: every update runs it, and building a select costs more than running this one.
ACTOR_QUERY = (select(User, RoleGrant.role, RoleGrant.department_id, Deputy.id, RoleGrant.station_id)
               .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
               .outerjoin(Deputy, (Deputy.user_id == User.id) & Deputy.active.is_(True))
               .where(User.id == bindparam("user_id")))


async def actor_rows(session: AsyncSession, user_id: int) -> Sequence[Row]:
    """The user with their roles, deputy record, departments and stations served: one query, one row
    per role (none when the user is unknown)."""
    return (await session.execute(ACTOR_QUERY, {"user_id": user_id})).all()


async def load_actor(session: AsyncSession, user: User) -> Actor:
    """The user's roles, deputy record, departments and stations served, in one query."""
    return actor_from(user, await actor_rows(session, user.id))


def actor_from(user: User, rows: Sequence[Row]) -> Actor:
    rows = [row[1:] for row in rows]
    deputy_id = next((row[2] for row in rows if row[2] is not None), None)
    roles = {Role.resident.value, *(row[0] for row in rows if row[0])}
    if deputy_id is None:
        roles.discard(Role.deputy.value)
    staff_stations = [row[3] for row in rows if row[0] == Role.staff]
    scoped = staff_stations and Role.admin not in roles and None not in staff_stations
    return Actor(
        user=user,
        roles=frozenset(roles),
        deputy_id=deputy_id,
        department_ids=frozenset(row[1] for row in rows if row[1] is not None),
        stations=frozenset(staff_stations) if scoped else None,
    )


def require(actor: Actor, *roles: str) -> None:
    """Admins pass every check; anyone else needs one of `roles`."""
    if not actor.has(*roles):
        raise PermissionDenied()


def require_station(actor: Actor, station_id: int | None) -> None:
    """Staff acting for this station (see `Actor.serves`)."""
    if not actor.serves(station_id):
        raise PermissionDenied()


def require_whole_office(actor: Actor) -> None:
    """Staff serving every station: what is county-wide (stations, departments) is theirs."""
    if not actor.serves_all_stations:
        raise PermissionDenied()
