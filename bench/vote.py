"""The congress votes: deputies check in with the hall's code and submit their ballots, all at once.

Every deputy checks in (the seat button, then the code typed), opens the ballot, marks every
candidate, reviews and submits, pressing the bot's own buttons on a fake Telegram. Measured:
the time from the first check-in to the last receipt, every ballot counted once, and the
time each deputy waits between pressing "submit" and seeing the receipt (p50, p99).

The check-in and ballot notices go out through the paced outbox; at Telegram's rate (about
30 a second) they alone take a minute for 2,000 deputies, so here each deputy opens the seat
and the ballot with the buttons those notices carry, as one who already has them would.
"""
from __future__ import annotations

import asyncio
import random
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import TOKEN, Row, database, percentile, running_bot
from fakebot import FakeTelegram, FakeUser
from models import Deputy, Role, RoleGrant, User
from models.votes import VoteBallot
from services import candidates, people, suggestions, votes
from services.auth import load_actor
from services.errors import DomainError
from services.i18n import translate

CANDIDATES = 4
STAFF = 90
PATIENCE = 300  # seconds a deputy waits for each answer before giving up; the row counts who did


def en(message: str) -> str:
    return translate("en", message)


async def _congress(app, deputies: int) -> int:  # noqa: ANN001
    """`deputies` deputies on the bot, four candidates, a session with everyone eligible and check-in open."""
    now = app.ctx.now()
    async with app.ctx.db.session() as s:
        await s.execute(insert(User.__table__), [dict(id=1000 + n, locale="en", locale_chosen=True,
                                                      first_name=f"D{n}", created_at=now, last_seen_at=now)
                                                 for n in range(deputies)])
        await s.execute(insert(Deputy.__table__), [dict(name=f"Deputy {n:04d}", level="township", user_id=1000 + n,
                                                        active=True, reception_hours="", created_at=now)
                                                   for n in range(deputies)])
        await s.execute(insert(RoleGrant.__table__), [dict(user_id=1000 + n, role=Role.deputy, created_at=now)
                                                      for n in range(deputies)])
        user, _ = await people.ensure_user(s, people.Contact(STAFF, "Staff", None, "en"))
        await people.grant_role(s, STAFF, Role.staff, by=None)
        staff = await load_actor(s, user)
        rules = suggestions.Rules(("roads",), 100, app.ctx.settings.tz)
        vote = await votes.create(s, staff, "County congress", date.today(), "Hall", now)
        for n in range(CANDIDATES):
            made = await suggestions.submit(s, staff, rules, suggestions.Draft(
                "roads", f"Project number {n}, please.", place_text="Town"), now)
            candidate = await candidates.accept_into_pool(s, staff, made.id, candidates.CandidateFields(
                f"Project {n}", f"Summary of project {n}."), now)
            await votes.add_item(s, staff, vote.id, candidate.id, now)
        await votes.add_eligible(s, staff, vote.id, now, everyone=True)
        await votes.open_checkin(s, staff, vote.id, now, lambda sid: f"dv:checkin:{sid}")
        return vote.id


async def _code(app, session_id: int) -> str:  # noqa: ANN001
    async with app.ctx.db.session() as s:
        staff = await load_actor(s, await s.get(User, STAFF))
        code, _ = await votes.current_code(s, staff, session_id, app.ctx.now(), votes.Rules.from_settings(app.ctx.settings))
    return code


async def _check_in(deputy: FakeUser, session_id: int, code: str) -> None:
    await deputy.press_data(f"dv:checkin:{session_id}")
    await deputy.wait_for(lambda m: "code shown in the hall" in (m.text or ""), timeout=PATIENCE)
    await deputy.send(code)
    await deputy.wait_for(lambda m: "You are checked in" in (m.text or ""), timeout=PATIENCE)


async def _vote(deputy: FakeUser, session_id: int, waits: list[float]) -> None:
    await deputy.press_data(f"bt:o:{session_id}:1::0:")
    ballot = await deputy.wait_for(lambda m: "Secret ballot" in (m.text or ""), timeout=PATIENCE)
    for position in range(1, CANDIDATES + 1):
        label = f"{position} {random.choice(('For', 'Against', 'Abstain'))}"
        await deputy.press(label, ballot)
        await deputy.wait_for(lambda m, label=label: m is ballot and f"● {label}" in m.button_texts, timeout=PATIENCE)
    await deputy.press(en("Review and submit"), ballot)
    await deputy.wait_for(lambda m: m is ballot and "Check your ballot" in (m.text or ""), timeout=PATIENCE)
    pressed = time.perf_counter()
    await deputy.press(en("Submit my ballot"), ballot)
    await deputy.wait_for(lambda m: m is ballot and "received and counted" in (m.text or ""), timeout=PATIENCE)
    waits.append(time.perf_counter() - pressed)


async def vote(backend: str, workdir: Path, deputies: int) -> list[Row]:
    async with FakeTelegram(token=TOKEN) as tg, database(backend, workdir) as (url, redis_url), \
            running_bot(tg.base_url, url, redis_url, outbox_interval_seconds=3600, sweep_interval_seconds=3600,
                        send_rate_global=1000, send_rate_per_chat=1000) as app:
        session_id = await _congress(app, deputies)
        code = await _code(app, session_id)
        phones = [tg.user(1000 + n, f"D{n}", language_code="en") for n in range(deputies)]
        for phone in phones:  # each deputy has opened the bot before the session
            await phone.send("/start")
        for phone in phones:
            await phone.wait_for(lambda m: bool(m.buttons), timeout=300)
        started = time.perf_counter()
        # A deputy who could not check in (an error, no answer) is counted, not allowed to end the run.
        outcomes = await asyncio.gather(*(_check_in(p, session_id, code) for p in phones), return_exceptions=True)
        voters = [p for p, outcome in zip(phones, outcomes) if outcome is None]
        failed = len(phones) - len(voters)
        checked_in = time.perf_counter() - started
        async with app.ctx.db.session() as s:
            staff = await load_actor(s, await s.get(User, STAFF))
            try:
                await votes.open_voting(s, staff, session_id, app.ctx.now(),
                                        votes.Rules.from_settings(app.ctx.settings), lambda sid, r: f"bt:o:{sid}:{r}::0:")
            except DomainError:  # no quorum: the figures so far are the result
                voters = []
        waits: list[float] = []
        unanswered = sum(outcome is not None for outcome in await asyncio.gather(
            *(_vote(p, session_id, waits) for p in voters), return_exceptions=True))
        elapsed = time.perf_counter() - started
        async with app.ctx.db.session() as s:
            counted = await s.scalar(select(func.count()).select_from(VoteBallot))
    p50, p99 = (percentile(waits, 0.5) * 1000, percentile(waits, 0.99) * 1000) if waits else (0.0, 0.0)
    lost = f", {failed:,} could not check in, {unanswered:,} got no receipt" if failed or unanswered else ""
    return [
        Row(f"vote of {deputies:,} deputies: check-in to the last receipt", backend,
            f"{elapsed:.0f} s (check-in {checked_in:.0f} s), {counted:,} ballots{lost}", "≤ 120 s, each counted once",
            elapsed <= 120 and counted == deputies, {"seconds": elapsed, "checkin_seconds": checked_in,
                                                     "ballots": counted, "not_checked_in": failed,
                                                     "no_receipt": unanswered}),
        Row("vote: submit pressed to receipt shown, p50 / p99", backend, f"{p50:.0f} / {p99:.0f} ms", "—", None,
            {"p50_ms": p50, "p99_ms": p99}),
    ]
