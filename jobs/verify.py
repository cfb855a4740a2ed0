"""Each quarter's inspection campaign: from INSPECTION_REMINDER_DAY of the quarter's first month at
INSPECTION_REMINDER_HOUR (local time), the first run opens the quarter's round — one reminder per
supervising deputy through the outbox, and a site-visit deadline per supervised project. The round's
row is the claim: later runs, or a second worker at the same moment, send nothing more."""
from __future__ import annotations

from datetime import date, datetime, time

from jobs.registry import JobContext, job
from services import verify


def campaign_start(now: datetime, settings) -> datetime:  # noqa: ANN001
    """When this quarter's campaign may open, as an aware local moment."""
    local = now.astimezone(settings.tz)
    first = date(local.year, 3 * ((local.month - 1) // 3) + 1, settings.inspection_reminder_day)
    return datetime.combine(first, time(settings.inspection_reminder_hour), tzinfo=settings.tz)


@job("inspection_campaign", every=lambda app: 900)
async def inspection_campaign(ctx: JobContext, now: datetime) -> str:
    settings = ctx.app.settings
    start = campaign_start(now, settings)
    if now < start:
        return f"waiting for {start.isoformat()}"
    async with ctx.app.db.session() as session:
        opened = await verify.open_inspection_round(session, now, verify.Rules.from_settings(settings))
    if opened is None:
        return "this quarter's round is open already"
    ctx.app.ring_outbox()
    return f"opened {opened.quarter}: reminded {opened.reminded} deputies, {opened.duties} projects owe a visit"
