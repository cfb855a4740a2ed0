"""The foundation's jobs: outbox delivery and the deadline sweep."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.metrics import SWEEP_SECONDS
from jobs.registry import JobContext, job
from services import deadlines, outbox


@job("outbox", every=lambda app: app.settings.outbox_interval_seconds, needs_bot=True)
async def deliver_outbox(ctx: JobContext, now: datetime) -> str:
    sent = await ctx.sender.drain()
    return f"sent {sent}"


@job("deadlines", every=lambda app: app.settings.sweep_interval_seconds)
async def sweep_deadlines(ctx: JobContext, now: datetime) -> str:
    with SWEEP_SECONDS.time():
        result = await deadlines.sweep(ctx.app.db, now)
    fired = ", ".join(f"{k} {v}" for k, v in sorted(result.fired.items())) or "nothing"
    return f"fired {fired}, skipped {result.skipped}"


@job("outbox_retention", every=lambda app: 6 * 3600)
async def purge_outbox(ctx: JobContext, now: datetime) -> str:
    async with ctx.app.db.session() as session:
        purged = await outbox.purge_finished(session, now - timedelta(days=ctx.app.settings.outbox_retention_days))
    return f"purged {purged}"


@job("update_ledger", every=lambda app: 6 * 3600)
async def forget_old_updates(ctx: JobContext, now: datetime) -> str:
    from bot.webhook import forget_old_updates as forget  # the webhook's own ledger

    return f"forgot {await forget(ctx.app, now)}"
