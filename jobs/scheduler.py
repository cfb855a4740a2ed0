"""APScheduler (3.11) holding the handful of periodic jobs, never one job per item."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs import load_all
from jobs.registry import JOBS, Job, JobContext

log = logging.getLogger(__name__)


def _runner(job: Job, ctx: JobContext):  # noqa: ANN202
    async def run() -> None:
        try:
            summary = await job.fn(ctx, ctx.app.now())
            log.debug("job %s: %s", job.name, summary)
        except Exception:  # a failing job must not stop the others; the next run tries again
            log.exception("job %s failed", job.name)

    return run


class Jobs:
    """The scheduler plus the outbox doorbell: a new notification is sent at once, not at the next tick."""

    def __init__(self, ctx: JobContext) -> None:
        load_all()
        self.ctx = ctx
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)
        self._bell_task: asyncio.Task[None] | None = None
        for job in JOBS.values():
            if job.needs_bot and ctx.sender is None:
                continue
            self.scheduler.add_job(
                _runner(job, ctx), "interval", seconds=job.interval_seconds(ctx.app), id=job.name,
                max_instances=1, coalesce=True, next_run_time=datetime.now(timezone.utc),
            )

    def start(self) -> None:
        self.scheduler.start()
        if self.ctx.sender is not None:
            self._bell_task = asyncio.create_task(self._answer_bell())

    async def _answer_bell(self) -> None:
        bell = self.ctx.app.outbox_bell
        while True:
            await bell.wait()
            bell.clear()
            try:
                await self.ctx.sender.drain()
            except Exception:
                log.exception("outbox delivery failed")

    async def stop(self) -> None:
        if self._bell_task is not None:
            self._bell_task.cancel()
            await asyncio.gather(self._bell_task, return_exceptions=True)
        self.scheduler.shutdown(wait=False)
