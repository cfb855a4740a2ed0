"""The periodic jobs by name, so the scheduler and `minsheng jobs run NAME` share one list.

A job is `async def job(ctx: JobContext, now: datetime) -> str` returning a one-line summary.
Jobs are idempotent and claim their work atomically: running one twice, or in two
processes at once, repeats nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable

from bot.context import AppContext

JobFn = Callable[["JobContext", datetime], Awaitable[str]]


@dataclass
class JobContext:
    app: AppContext
    sender: Any = None  # bot.sender.Sender when the job may talk to Telegram


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFn
    interval_seconds: Callable[[AppContext], float]
    needs_bot: bool = False


JOBS: dict[str, Job] = {}


def job(name: str, *, every: Callable[[AppContext], float], needs_bot: bool = False) -> Callable[[JobFn], JobFn]:
    def register(fn: JobFn) -> JobFn:
        JOBS[name] = Job(name, fn, every, needs_bot)
        return fn

    return register
