"""The direct line between residents and deputies (seed 003): codes, inquiries, threads, reception slots."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from models.base import UTCDateTime, utcnow

INQUIRY_DEADLINE = "inquiry"  # the services.deadlines kind of an inquiry's 7-day clock
MEETING_DEADLINE = "meeting"  # a confirmed meeting's timer: the resident's reminder, then "did it take place?"

_ACTIVE_DEPUTY_CODE = sa.text("deputy_id IS NOT NULL AND revoked_at IS NULL")
_ACTIVE_STATION_CODE = sa.text("station_id IS NOT NULL AND revoked_at IS NULL")


class ContactCode(SQLModel, table=True):
    """The token behind a deputy's (`d_`) or a station's (`st_`) QR code.

    One table for both: a code is the same thing whichever it points to. Revoked rows
    are kept so an old poster still gets a clear answer and the way to the new code.
    A deputy or a station has at most one active code (partial unique indexes).
    """

    __table_args__ = (
        sa.Index("uq_contactcode_active_deputy", "deputy_id", unique=True,
                 sqlite_where=_ACTIVE_DEPUTY_CODE, postgresql_where=_ACTIVE_DEPUTY_CODE),
        sa.Index("uq_contactcode_active_station", "station_id", unique=True,
                 sqlite_where=_ACTIVE_STATION_CODE, postgresql_where=_ACTIVE_STATION_CODE),
    )

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    deputy_id: int | None = Field(default=None, foreign_key="deputy.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    replaced_by_id: int | None = Field(default=None, foreign_key="contactcode.id")

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class InquiryKind(StrEnum):
    opinion = "opinion"
    meeting = "meeting"


class InquiryStatus(StrEnum):
    open = "open"  # waiting for the deputy: the 7-day clock runs
    answered = "answered"
    referred = "referred"  # handed to one of the four platforms
    accepted = "accepted"  # meeting confirmed (possibly at a moved time)
    declined = "declined"  # meeting declined, with a reason in the thread
    resolved = "resolved"  # the deputy closed the matter
    withdrawn = "withdrawn"  # the resident deleted their data before an answer
    moved = "moved"  # meeting moved by the deputy to another time (it stands unless the resident objects)
    held = "held"  # the meeting took place
    cancelled = "cancelled"  # the meeting was called off after being confirmed or moved


class InquiryRating(StrEnum):
    """The resident's verdict on an answer or a referral."""

    resolved = "resolved"
    partly = "partly"
    not_resolved = "not_resolved"


_HELD = sa.text("slot_id IS NOT NULL AND status IN ('open', 'answered', 'accepted', 'moved')")


class Inquiry(SQLModel, table=True):
    """A resident's opinion or meeting request to one deputy, reached through a code.

    The receiving deputy owns it (first-contact responsibility) until staff reassign
    it. `resident_id` is never shown to deputies: they see `resident_alias` only.
    After the resident erases their data the row stays, emptied, for the statistics.
    A reception slot is held by at most one pending meeting request (a unique index).
    """

    __table_args__ = (
        sa.Index("uq_inquiry_held_slot", "slot_id", unique=True, sqlite_where=_HELD, postgresql_where=_HELD),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(default="", max_length=20, index=True)  # DB-2026-000123, set after insert
    kind: str = Field(default=InquiryKind.opinion, max_length=16)
    status: str = Field(default=InquiryStatus.open, max_length=16, index=True)
    resident_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("user.id", ondelete="SET NULL"), index=True),
    )
    resident_alias: int = 0
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    received_by_deputy_id: int = Field(foreign_key="deputy.id")
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    text: str = Field(default="", sa_type=sa.Text)
    photos: list[str] = Field(default_factory=list, sa_type=JSON)  # Telegram file ids
    latitude: float | None = None
    longitude: float | None = None
    meeting_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    slot_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("receptionslot.id", ondelete="SET NULL"))
    )
    referral_platform: str = Field(default="", max_length=16)
    referral_note: str = Field(default="", max_length=500)
    shared_phone: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_on: date | None = None  # the local last day to respond, as told to the resident and the deputy
    # If the deputy lets the period pass, the congress office answers by this local day (told to the resident).
    office_due_on: date | None = None
    meeting_place: str = Field(default="", max_length=120)
    rating: str = Field(default="", max_length=16)  # InquiryRating, once, by the resident
    rating_comment: str = Field(default="", max_length=500)
    rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class InquiryMessage(SQLModel, table=True):
    """One message in an inquiry's thread after the first: replies either way, reasons."""

    id: int | None = Field(default=None, primary_key=True)
    inquiry_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("inquiry.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    author: str = Field(max_length=16)  # resident | deputy | staff
    author_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    text: str = Field(default="", sa_type=sa.Text)
    photos: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ReceptionSlot(SQLModel, table=True):
    """A time a deputy offers for meeting one resident; booked by a meeting inquiry."""

    id: int | None = Field(default=None, primary_key=True)
    deputy_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("deputy.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    minutes: int = 60
    place: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
