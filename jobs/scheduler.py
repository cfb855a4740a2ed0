"""APScheduler (3.11) holding the handful of periodic jobs, never one job per item."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs import load_all
from jobs.registry import JOBS, Job, JobContext

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10  # within the 15 s that bot.runners gives each step of a stop


def _runner(job: Job, ctx: JobContext, running: set[asyncio.Task]):  # noqa: ANN202
    async def run() -> None:
        task = asyncio.current_task()
        running.add(task)
        try:
            summary = await job.fn(ctx, ctx.app.now())
            log.debug("job %s: %s", job.name, summary)
        except Exception:  # a failing job must not stop the others; the next run tries again
            log.exception("job %s failed", job.name)
        finally:
            running.discard(task)

    return run


class Jobs:
    """The scheduler plus the outbox doorbell: a new notification is sent at once, not at the next tick."""

    def __init__(self, ctx: JobContext) -> None:
        load_all()
        self.ctx = ctx
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)
        self._bell_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task] = set()  # job runs in flight, for stop()
        for job in JOBS.values():
            if job.needs_bot and ctx.sender is None:
                continue
            self.scheduler.add_job(
                _runner(job, ctx, self._running), "interval", seconds=job.interval_seconds(ctx.app), id=job.name,
                max_instances=1, coalesce=True, next_run_time=datetime.now(timezone.utc),
            )

    def start(self) -> None:
        self.scheduler.start()
        if self.ctx.sender is not None:
            self._bell_task = asyncio.create_task(self._answer_bell())

    async def _answer_bell(self) -> None:
        bell, sender = self.ctx.app.outbox_bell, self.ctx.sender
        while not sender.stopping:
            await bell.wait()
            bell.clear()
            try:
                await sender.drain()
            except Exception:
                log.exception("outbox delivery failed")

    async def stop(self) -> None:
        """The scheduler first, so no new run starts whatever happens next. Then the runs in flight
        and the sender get STOP_GRACE_SECONDS to finish: a unit of work cut in the middle is undone,
        but a message sent and not yet recorded would go out again after the restart. What is still
        running then is cancelled and awaited, also when this stop is itself cancelled."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        running = set(self._running)
        if self._bell_task is not None:
            self.ctx.sender.stop()
            self.ctx.app.ring_outbox()  # an idle doorbell wakes up, sees the stop and ends
            running.add(self._bell_task)
        try:
            if running:
                _done, running = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
