"""The daily overdue digest: each staff member hears once a day what is overdue in their stations.

The job runs every quarter of an hour but sends from 09:00 local time on; the outbox
key (`overdue-digest:<local day>:<staff id>`) makes every later run that day, or a
second process running it at the same moment, a no-op.
"""
from __future__ import annotations

from datetime import datetime

from jobs.registry import JobContext, job
from services import contact_stats

DIGEST_HOUR = 9


@job("overdue_digest", every=lambda app: 900)
async def overdue_digest(ctx: JobContext, now: datetime) -> str:
    tz = ctx.app.settings.tz
    if now.astimezone(tz).hour < DIGEST_HOUR:
        return f"waiting for {DIGEST_HOUR:02d}:00 local time"
    async with ctx.app.db.session() as session:
        queued = await contact_stats.send_overdue_digest(session, now, tz)
    if queued:
        ctx.app.ring_outbox()
    return f"queued {queued}"
