"""The 7-day rule on the clock: reminders, the last day, overdue alerts, each exactly once."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from models import AuditEvent, Deadline, Deputy, User
from services import contact_stats, deadlines, inquiries, people
from services.calendar import HolidayCalendar
from services.inquiries import Rules
from tests.support.clock import SHANGHAI
from tests.test_contact import World, actor, build_world, notifications, write


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def _deadline(db, inquiry_id: int) -> Deadline:  # noqa: ANN001
    async with db.session() as s:
        return await s.scalar(select(Deadline).where(Deadline.kind == "inquiry", Deadline.subject_id == inquiry_id))


async def _texts(db, chat_id: int) -> list[str]:  # noqa: ANN001
    return [n.text for n in await notifications(db, chat_id)]


async def _stages(db, chat_id: int) -> list[str]:  # noqa: ANN001
    """What each notification to `chat_id` was about, by its idempotency key (inquiry:<id>:<stage>)."""
    return [n.idempotency_key.rsplit(":", 1)[-1] for n in await notifications(db, chat_id)]


async def test_the_clock_of_an_inquiry_received_on_monday(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    deadline = await _deadline(db, inquiry.id)
    assert deadline.owner_id == World.DEPUTY_USER and deadline.station_id == world.station
    # Two days before the last day (Mon Mar 9) is a Saturday: the reminder comes on Friday morning.
    assert deadline.remind_at == sh(2026, 3, 6, 9)
    assert deadline.due_day_at == sh(2026, 3, 9, 9)  # the morning of the last day
    assert deadline.due_at == deadline.escalate_at == sh(2026, 3, 10)  # the last day ends at 24:00
    assert deadline.calendar_note == ""


async def test_answered_in_time_the_owner_is_reminded_once_and_nobody_is_alerted(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    before = len(await _texts(db, World.DEPUTY_USER))
    await asyncio.gather(deadlines.sweep(db, sh(2026, 3, 7, 9, 1)), deadlines.sweep(db, sh(2026, 3, 7, 9, 1)))
    await deadlines.sweep(db, sh(2026, 3, 7, 18))
    reminders = (await _texts(db, World.DEPUTY_USER))[before:]
    assert len(reminders) == 1 and inquiry.number in reminders[0] and "2026-03-09" in reminders[0]
    async with db.session() as s:
        await inquiries.answer(s, await actor(s, World.DEPUTY_USER), inquiry.id, "已处理", sh(2026, 3, 8, 20))
    for day in (9, 10, 11, 20):
        await deadlines.sweep(db, sh(2026, 3, day, 12))
    assert len(await _texts(db, World.DEPUTY_USER)) == before + 1
    assert await _texts(db, World.STATION_STAFF) == [] and await _texts(db, World.CENTRAL_STAFF) == []
    assert (await _deadline(db, inquiry.id)).closed_in_time is True


async def test_left_unanswered_the_owner_and_the_station_staff_are_alerted_exactly_once(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    for at in (sh(2026, 3, 7, 10), sh(2026, 3, 9, 10)):
        await deadlines.sweep(db, at)
    assert await _stages(db, World.DEPUTY_USER) == ["new", "remind", "due_day"]
    assert await _texts(db, World.STATION_STAFF) == []
    await deadlines.sweep(db, sh(2026, 3, 9, 23, 59))  # still the last day
    assert await _texts(db, World.STATION_STAFF) == []
    after = sh(2026, 3, 10, 0, 1)
    results = await asyncio.gather(deadlines.sweep(db, after), deadlines.sweep(db, after))
    assert sum(r.fired.get("escalate", 0) for r in results) == 1
    await deadlines.sweep(db, after + timedelta(days=3))
    staff = await _texts(db, World.STATION_STAFF)
    assert len(staff) == 1 and inquiry.number in staff[0] and "王芳" in staff[0] and "东街联络站" in staff[0]
    assert await _texts(db, World.CENTRAL_STAFF) == []  # the station has its own liaison staff
    assert await _stages(db, World.DEPUTY_USER) == ["new", "remind", "due_day", "escalate"]
    async with db.session() as s:  # an answer after the period is recorded as late
        await inquiries.answer(s, await actor(s, World.DEPUTY_USER), inquiry.id, "迟到的答复", after)
    assert (await _deadline(db, inquiry.id)).closed_in_time is False


async def test_without_station_staff_the_alert_goes_to_staff_of_every_station(db):
    world = await build_world(db, station_staff=False)
    await write(db, world)
    await deadlines.sweep(db, sh(2026, 3, 10, 1))
    assert len(await _texts(db, World.CENTRAL_STAFF)) == 1
    assert await _texts(db, World.STATION_STAFF) == []


async def test_a_referral_on_day_six_counts_as_in_time(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        await inquiries.refer(s, await actor(s, World.DEPUTY_USER), inquiry.id, "governance", "转综治中心",
                              sh(2026, 3, 8, 16))
    await deadlines.sweep(db, sh(2026, 3, 12))
    assert (await _deadline(db, inquiry.id)).closed_in_time is True
    assert await _texts(db, World.STATION_STAFF) == []
    async with db.session() as s:
        tally = (await contact_stats.by_deputy(s, await actor(s, World.CENTRAL_STAFF), sh(2026, 3, 12)))[0]
    assert (tally.label, tally.received, tally.in_time, tally.referred, tally.overdue) == ("王芳", 1, 1, 1, 0)


async def test_working_days_and_a_year_whose_holidays_are_unknown(db):
    world = await build_world(db)
    calendar = HolidayCalendar()
    working = Rules(working_days=True, calendar=calendar)
    async with db.session() as s:
        resident = await actor(s, World.RESIDENT)
        friday = await inquiries.submit_opinion(s, resident, world.deputy, inquiries.Draft("周五来信"),
                                                sh(2026, 3, 6, 10), working)
        assert friday.inquiry.due_on.isoformat() == "2026-03-17"  # seven working days, weekends skipped
        new_year = await inquiries.submit_opinion(s, resident, world.deputy, inquiries.Draft("年底来信"),
                                                  sh(2026, 12, 29, 10), Rules(calendar=calendar))
    if calendar.knows_year(2027):
        return  # chinese_calendar has learnt 2027; nothing is uncertain any more
    deadline = await _deadline(db, new_year.inquiry.id)
    assert deadline.calendar_note == "2027"
    async with db.session() as s:
        overdue, soon = await contact_stats.watch_lists(s, await actor(s, World.CENTRAL_STAFF), sh(2027, 1, 4, 9),
                                                        SHANGHAI, soon_days=2)
    line = next(item.text for item in soon if item.deadline.id == deadline.id)
    assert "2027" in line and ("weekends" in line or "周末" in line)


async def test_the_daily_digest_reaches_each_staff_member_once_a_day(db):
    world = await build_world(db)
    first = await write(db, world)
    await write(db, world, deputy=world.far_deputy)
    now = sh(2026, 3, 11, 9, 30)
    async with db.session() as s:
        results = [await contact_stats.send_overdue_digest(s, now, SHANGHAI),
                   await contact_stats.send_overdue_digest(s, now + timedelta(hours=5), SHANGHAI)]
    assert results == [2, 0]
    station = await _texts(db, World.STATION_STAFF)
    central = await _texts(db, World.CENTRAL_STAFF)
    assert len(station) == 1 and first.number in station[0] and "赵强" not in station[0]  # only their station
    assert len(central) == 1 and "赵强" in central[0] and "王芳" in central[0]
    assert "2 days overdue" in central[0]  # staff 901 reads English
    async with db.session() as s:
        assert await contact_stats.send_overdue_digest(s, now + timedelta(days=1), SHANGHAI) == 2  # a new day


async def test_cli_runs_the_sweep_as_if_at_a_time_and_alerts_once(db, database_url, monkeypatch, capsys):
    from bot.cli import main

    world = await build_world(db)
    inquiry = await write(db, world)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for _ in range(2):
        assert await asyncio.to_thread(main, ["jobs", "run", "deadlines", "--at", "2026-03-10T08:00+08:00"]) == 0
    assert "fired escalate 1, skipped 2" in capsys.readouterr().out
    staff = await _texts(db, World.STATION_STAFF)
    assert len(staff) == 1 and inquiry.number in staff[0]
    # Run for the first time after the last day: the deputy hears it is overdue, never "today is the
    # last day" on the day after; the reminders it passed over are recorded as skipped.
    assert await _stages(db, World.DEPUTY_USER) == ["new", "escalate"]
    async with db.session() as s:
        events = list(await s.execute(select(AuditEvent.action, AuditEvent.detail)
                                      .where(AuditEvent.action.like("deadline.%")).order_by(AuditEvent.id)))
    assert [(action, detail["stage"], list(detail["deadlines"].values())) for action, detail in events] == [
        ("deadline.fire", "escalate", [["remind", "due_day"]])]
    for _ in range(2):
        assert await asyncio.to_thread(main, ["jobs", "run", "overdue_digest", "--at", "2026-03-10T09:15+08:00"]) == 0
    assert len(await _texts(db, World.STATION_STAFF)) == 2  # the alert and one digest


async def test_reminders_go_to_the_deputys_account_as_it_is_when_they_fire(db):
    world = await build_world(db)
    joins_later = await write(db, world, deputy=world.offline_deputy)
    leaves = await write(db, world)
    async with db.session() as s:
        await people.ensure_user(s, people.Contact(103, "Person103", "handle103", "zh-hans"))
        await s.flush()
        (await s.get(Deputy, world.offline_deputy)).user_id = 103
        (await s.get(Deputy, world.deputy)).active = False
        assert await s.get(User, 103) is not None
    before = len(await _texts(db, World.DEPUTY_USER))
    await deadlines.sweep(db, sh(2026, 3, 7, 9, 1))
    assert any(joins_later.number in text for text in await _texts(db, 103))
    assert len(await _texts(db, World.DEPUTY_USER)) == before  # a deputy who left is not reminded
    assert (await _deadline(db, joins_later.id)).owner_id == 103
    # the station's liaison staff are reminded in their place: first-contact responsibility passes to them
    assert (await _deadline(db, leaves.id)).owner_id == World.STATION_STAFF
    assert any(leaves.number in text for text in await _texts(db, World.STATION_STAFF))
