"""What an operator watches: `/health` and `/metrics` (Prometheus text format).

Served by the webhook server (`WEBHOOK_URL` set), or on `HEALTH_PORT` by a process that has no
web server of its own (polling, or `minsheng worker`). Each process reports its own counts:
updates handled and failed by type, handler latency, messages the outbox sent or could not
send by kind, and how long the deadline sweep took; the outbox depth and the deadlines due and
overdue are read from the database at each scrape, so every process shows the same totals.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select, text

from bot.context import AppContext
from models import Deadline, Notification, NotificationStatus

log = logging.getLogger(__name__)
_DAY = timedelta(days=1)
REGISTRY = CollectorRegistry()
UPDATES = Counter("minsheng_updates", "Updates handled, by type and outcome (handled, refused, failed)",
                  ["type", "outcome"], registry=REGISTRY)
HANDLER_SECONDS = Histogram("minsheng_handler_seconds", "Time from an update's arrival to its handler's end",
                            ["type"], registry=REGISTRY,
                            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SENT = Counter("minsheng_outbox_sent", "Outbox messages by outcome (sent, retry, blocked, failed, released)", ["outcome"],
               registry=REGISTRY)
FLOOD_WAITS = Counter("minsheng_outbox_flood_waits", "429 answers from Telegram to the outbox", registry=REGISTRY)
OUTBOX_DEPTH = Gauge("minsheng_outbox_depth", "Outbox messages waiting, by status", ["status"], registry=REGISTRY)
DEADLINES = Gauge("minsheng_deadlines_open", "Open deadlines past their last day (overdue) or due within a day",
                  ["state"], registry=REGISTRY)
SWEEP_SECONDS = Histogram("minsheng_sweep_seconds", "Duration of one deadline sweep", registry=REGISTRY,
                          buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60))


def observe_update(kind: str, outcome: str, started: float) -> None:
    UPDATES.labels(kind, outcome).inc()
    HANDLER_SECONDS.labels(kind).observe(time.perf_counter() - started)


async def _refresh(ctx: AppContext) -> None:
    """The figures every process shares, from the database."""
    now = ctx.now()
    async with ctx.db.session() as session:
        depth = dict((await session.execute(
            select(Notification.status, func.count()).where(Notification.status.in_(
                (NotificationStatus.pending, NotificationStatus.sending, NotificationStatus.blocked)))
            .group_by(Notification.status))).all())
        overdue = await session.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.closed_at.is_(None), Deadline.due_at <= now))
        soon = await session.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.closed_at.is_(None), Deadline.due_at > now, Deadline.due_at <= now + _DAY))
    for status in (NotificationStatus.pending, NotificationStatus.sending, NotificationStatus.blocked):
        OUTBOX_DEPTH.labels(str(status)).set(depth.get(status, 0))
    DEADLINES.labels("overdue").set(overdue or 0)
    DEADLINES.labels("due_within_a_day").set(soon or 0)


def routes(ctx: AppContext) -> list[web.RouteDef]:
    async def health(request: web.Request) -> web.Response:
        try:
            async with ctx.db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001  the answer is the health check's point
            log.warning("health: the database does not answer (%s)", type(exc).__name__)
            return web.Response(status=503, text="database unavailable\n")
        return web.Response(text="ok\n")

    async def metrics(request: web.Request) -> web.Response:
        try:
            await _refresh(ctx)
        except Exception as exc:  # noqa: BLE001  the process's own counts are still worth serving
            log.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [web.get("/health", health), web.get("/metrics", metrics)]


async def serve(ctx: AppContext, host: str, port: int) -> web.AppRunner:
    """/health and /metrics on their own port, for a process without a webhook server."""
    app = web.Application()
    app.add_routes(routes(ctx))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner

