"""The bot's clock in the sandbox: real time running on from a start, plus the jumps asked for."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from models import utcnow


class SandboxClock:
    """Callable like `AppContext.clock`: an aware UTC datetime that moves with real time and jumps ahead."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or utcnow()
        self.ahead = timedelta()
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._started) + self.ahead

    def jump(self, delta: timedelta) -> datetime:
        if delta <= timedelta():
            raise ValueError("the sandbox clock only jumps forward")
        self.ahead += delta
        return self()
