"""Each quarter, every project in progress owes a progress report: the job opens it (and its
deadline) on the quarter's first run; later runs, or two processes at once, open nothing more."""
from __future__ import annotations

from datetime import datetime

from jobs.registry import JobContext, job
from services import delivery
from services.projects import Rules


@job("quarter_reports", every=lambda app: 3600)
async def open_quarter_reports(ctx: JobContext, now: datetime) -> str:
    async with ctx.app.db.session() as session:
        opened = await delivery.open_quarter_reports(session, now, Rules.from_settings(ctx.app.settings))
    return f"opened {opened}"
