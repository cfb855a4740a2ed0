"""A clock the test moves by hand; the app reads it through AppContext.clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = (start or datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)).astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, at: datetime) -> datetime:
        self.current = at.astimezone(timezone.utc)
        return self.current
