"""People and places: users, their roles, stations, deputies, departments, invites."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Role(StrEnum):
    resident = "resident"
    deputy = "deputy"
    staff = "staff"
    department = "department"
    admin = "admin"


class User(SQLModel, table=True):
    """Anyone who has written to the bot; the primary key is the Telegram user id."""

    id: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    locale: str = Field(default="zh_CN", max_length=8)
    locale_chosen: bool = False
    first_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when Telegram answers 403 (the user blocked the bot); cleared when they write again.
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Station(SQLModel, table=True):
    """A deputy home, liaison station or studio (daibiao zhi jia / lianluozhan / gongzuoshi)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, sa_column_kwargs={"unique": True})
    kind: str = Field(default="station", max_length=16)
    area: str = Field(default="", max_length=120)
    address: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Department(SQLModel, table=True):
    """An implementing unit (shishi danwei) that answers proposals and delivers projects."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, sa_column_kwargs={"unique": True})


class Deputy(SQLModel, table=True):
    """A deputy of the congress; `user_id` is set once they join the bot through an invite."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    level: str = Field(default="township", max_length=16)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    phone: str | None = Field(default=None, max_length=32)
    reception_hours: str = Field(default="", max_length=255)
    user_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="SET NULL"), unique=True),
    )
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RoleGrant(SQLModel, table=True):
    """One role held by one user; staff may be scoped to a station, department users to a unit."""

    __table_args__ = (sa.UniqueConstraint("user_id", "role", name="uq_rolegrant_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False))
    role: str = Field(max_length=16)
    station_id: int | None = Field(default=None, foreign_key="station.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    granted_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Invite(SQLModel, table=True):
    """A single-use, expiring, revocable invitation. Only the token's hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    role: str = Field(max_length=16)
    deputy_id: int | None = Field(default=None, foreign_key="deputy.id")
    station_id: int | None = Field(default=None, foreign_key="station.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
