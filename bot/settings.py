"""Settings, read once from the environment (and `.env`).

A missing or malformed setting stops start-up with one line that names it
(see `load_settings`), never a traceback.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re

from pydantic import Field, ValidationError, field_validator, model_validator
from typing import Annotated

from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DB_PATH = Path("data") / "minsheng.sqlite3"
LOCALES = ("zh_CN", "zh_TW", "en")
DEFAULT_CATEGORIES = (
    "roads",
    "bridges_water",
    "drinking_water",
    "environment",
    "culture_sports",
    "education",
    "health",
    "elderly_care",
    "other",
)


class SettingsError(Exception):
    """One human-readable line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    bot_token: str = ""
    bot_username: str = ""
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DB_PATH}"
    redis_url: str = ""
    telegram_api_base: str = ""
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    # The congress or township, e.g. the people's congress of a town: atop every printed poster.
    congress_name: str = Field(default="", max_length=120)

    # Updates handled at once by one process; the rest wait their turn in order. Bounded so a
    # burst (every deputy voting at once) queues for the database instead of timing out on it.
    updates_in_flight: int = Field(default=10, ge=1, le=1000)

    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # /health and /metrics for a process without a webhook server (polling, or the worker); 0: none.
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=0, ge=0, le=65535)
    # `minsheng sandbox`: the local web chat listens on 127.0.0.1 at this port.
    sandbox_port: int = Field(default=8080, ge=1, le=65535)

    # Outbox pacing (Telegram: ~30 msg/s in bulk, 1 msg/s per chat).
    send_rate_global: float = Field(default=25.0, gt=0)
    send_rate_per_chat: float = Field(default=1.0, gt=0)
    outbox_interval_seconds: float = Field(default=2.0, gt=0)
    # A message claimed by a sender that died is taken again after this long.
    outbox_lease_seconds: float = Field(default=60.0, ge=1)
    # Delivered messages are kept this long, then forgotten (they carry personal data).
    outbox_retention_days: int = Field(default=30, ge=1)
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    # A direct answer to a user is retried this long through a Telegram outage (5xx, timeouts).
    reply_retry_seconds: float = Field(default=45.0, ge=0)

    # Rules from the seeds (docs/ARCHITECTURE.md), each a setting.
    inquiry_reply_days: int = Field(default=7, ge=1)
    # A letter left unanswered past its period goes to the congress office, which answers within this.
    inquiry_office_reply_days: int = Field(default=5, ge=1)
    proposal_reply_months_short: int = Field(default=3, ge=1)
    proposal_reply_months_long: int = Field(default=6, ge=1)
    reminder_days_before: int = Field(default=2, ge=0)
    proposal_reminder_days_before: int = Field(default=14, ge=0)
    count_working_days: bool = False
    holidays_file: str = ""
    invite_ttl_days: int = Field(default=7, ge=1)
    suggestions_per_day: int = Field(default=5, ge=1)
    inquiries_per_day: int = Field(default=10, ge=1)
    suggestion_categories: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES))

    # Decide: the vote at the congress (seeds 000, 002).
    # Voting opens only when more than this share (percent) of the eligible deputies checked in.
    vote_quorum_percent: int = Field(default=50, ge=0, le=99)
    # The hall's check-in code changes this often; the previous code is still accepted.
    checkin_code_seconds: int = Field(default=180, ge=30, le=3600)
    checkin_code_attempts: int = Field(default=5, ge=1, le=20)  # wrong codes before staff must check them in
    announce_chat_id: int | None = None  # a public channel for the results, e.g. -1001234567890

    # Deliver: implementation plans and quarterly progress (seed 000).
    plan_due_months: int = Field(default=1, ge=1)
    plan_reminder_days_before: int = Field(default=7, ge=0)  # also before a quarterly report is due
    # A quarter's progress report is due this many days after the quarter ends.
    report_due_days_after_quarter: int = Field(default=10, ge=1, le=60)

    # Verify: inspections and the year-end evaluation (seeds 000, 002, 004).
    # A site-visit report filed farther than this from the project's site is flagged.
    site_visit_max_distance_km: float = Field(default=2.0, gt=0)
    # The department answers the issues a site-visit report raises within this many days.
    visit_issue_answer_days: int = Field(default=7, ge=1)
    # Each quarter's inspection reminder goes out on this day of the quarter's first month, from this hour.
    inspection_reminder_day: int = Field(default=1, ge=1, le=28)
    inspection_reminder_hour: int = Field(default=9, ge=0, le=23)
    # A supervised project with no site-visit report by this many days before the quarter ends: the
    # group is reminded, then staff are alerted.
    site_visit_due_days_before_quarter_end: int = Field(default=15, ge=0, le=60)
    # The staff dashboard counts an open deadline as due soon when its last day is this many days away or fewer.
    dashboard_soon_days: int = Field(default=3, ge=0, le=60)


    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("suggestion_categories", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("announce_chat_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("congress_name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())  # a name that is only spaces prints nothing, not a blank line

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        value = value.strip()
        if value:
            bot_id, _, secret = value.partition(":")
            if not bot_id.isdigit() or len(secret) < 10:
                raise ValueError("looks malformed (expected digits:secret, as given by @BotFather)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> "Settings":
        # Telegram sends the secret in a header with every update; without it anyone could post updates.
        if self.webhook_url and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", self.webhook_secret):
            raise ValueError("required with WEBHOOK_URL: 16-256 characters of A-Z a-z 0-9 _ -")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        if not self.bot_token:
            raise SettingsError(
                "BOT_TOKEN is not set: create a bot with @BotFather in Telegram, then run "
                "`BOT_TOKEN=123456:ABC... make run` (or put BOT_TOKEN=... in .env)."
            )
        return self.bot_token


def load_settings(**overrides: object) -> Settings:
    """Build the settings or raise SettingsError naming the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "WEBHOOK_SECRET"
        detail = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name} is invalid: {detail}") from None
