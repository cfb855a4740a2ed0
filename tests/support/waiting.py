"""Waiting for something the bot does in the background (a server-side record, a DB row)."""
from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Callable


async def eventually(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll `check` (sync or async) until it returns something truthy; fail with its last value."""
    stop = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value or time.monotonic() > stop:
            assert value, f"condition still false after {timeout}s: {value!r}"
            return value
        await asyncio.sleep(interval)
