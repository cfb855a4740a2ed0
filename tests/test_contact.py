"""The direct line as its services see it: codes, inquiries, threads, meetings, privacy, statistics.

`build_world` is shared with the deadline and end-to-end tests of this feature.
"""
from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from models import AuditEvent, Deadline, Notification, Role, User
from models.contact import ContactCode, Inquiry, InquiryMessage, InquiryStatus
from services import contact_stats, deputy_codes, directory, inquiries, meetings, people, privacy
from services.auth import Actor, load_actor
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.inquiries import Draft, Rules
from tests.support.clock import SHANGHAI

RULES = Rules()
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # the FakeClock's start


@dataclass(frozen=True)
class World:
    """Two stations; three deputies on the bot (users 100-102) and one who has not joined;
    station staff (900), staff serving every station (901); residents 7001 and 7002."""

    station: int
    other_station: int
    deputy: int
    colleague: int  # same station as `deputy`
    far_deputy: int  # the other station
    offline_deputy: int  # never joined the bot
    DEPUTY_USER = 100
    COLLEAGUE_USER = 101
    FAR_USER = 102
    STATION_STAFF = 900
    CENTRAL_STAFF = 901
    RESIDENT = 7001
    OTHER_RESIDENT = 7002


async def build_world(db, *, station_staff: bool = True) -> World:  # noqa: ANN001
    async with db.session() as s:
        east = await directory.add_station(s, None, "东街联络站")
        west = await directory.add_station(s, None, "西村代表之家")
        ids = []
        for name, station, user_id in (("王芳", east, 100), ("李明", east, 101), ("赵强", west, 102),
                                       ("钱多", east, None)):
            deputy = await directory.add_deputy(s, None, directory.DeputyFields(name, "county", station.id))
            if user_id is not None:
                await _user(s, user_id)
                deputy.user_id = user_id
                await people.grant_role(s, user_id, Role.deputy, by=None, station_id=station.id)
            ids.append(deputy.id)
        await _user(s, 900)
        if station_staff:
            await people.grant_role(s, 900, Role.staff, by=None, station_id=east.id)
        await _user(s, 901, "en")
        await people.grant_role(s, 901, Role.staff, by=None)
        await _user(s, World.RESIDENT)
        await _user(s, World.OTHER_RESIDENT)
        await s.flush()
        return World(east.id, west.id, *ids)


async def _user(session, uid: int, lang: str = "zh-hans") -> User:  # noqa: ANN001
    user, _ = await people.ensure_user(session, people.Contact(uid, f"Person{uid}", f"handle{uid}", lang))
    return user


async def actor(session, uid: int) -> Actor:  # noqa: ANN001
    return await load_actor(session, await session.get(User, uid))


async def write(db, world: World, text: str = "路灯坏了", *, resident: int = World.RESIDENT,  # noqa: ANN001
                at: datetime = MONDAY, deputy: int | None = None, **draft: object) -> Inquiry:
    async with db.session() as s:
        receipt = await inquiries.submit_opinion(s, await actor(s, resident), deputy or world.deputy,
                                                 Draft(text, **draft), at, RULES)
        return receipt.inquiry


async def notifications(db, chat_id: int | None = None) -> list[Notification]:  # noqa: ANN001
    async with db.session() as s:
        query = select(Notification).order_by(Notification.id)
        if chat_id is not None:
            query = query.where(Notification.chat_id == chat_id)
        return list(await s.scalars(query))


# --- codes -------------------------------------------------------------------------------------


async def test_codes_are_random_and_lead_to_their_deputy_or_station(db):
    world = await build_world(db)
    async with db.session() as s:
        staff = await actor(s, World.STATION_STAFF)
        code = await deputy_codes.code_for(s, staff, MONDAY, deputy_id=world.deputy)
        again = await deputy_codes.code_for(s, staff, MONDAY, deputy_id=world.deputy)
        other = await deputy_codes.code_for(s, staff, MONDAY, deputy_id=world.colleague)
        station = await deputy_codes.code_for(s, staff, MONDAY, station_id=world.station)
    assert code.id == again.id and code.token != other.token
    assert len(code.token) == deputy_codes.TOKEN_LENGTH
    async with db.session() as s:
        found = await deputy_codes.resolve(s, deputy_codes.payload(code))
        assert found.deputy.id == world.deputy and found.station.id == world.station and found.problem is None
        by_station = await deputy_codes.resolve(s, deputy_codes.payload(station))
        assert by_station.deputy is None and by_station.station.id == world.station
        # a deputy's token behind the station prefix is not a way in
        assert (await deputy_codes.resolve(s, "st_" + code.token)).problem == deputy_codes.NOT_VALID


async def test_garbage_and_truncated_codes_are_explained(db):
    world = await build_world(db)
    async with db.session() as s:
        token = (await deputy_codes.code_for(s, None, MONDAY, deputy_id=world.deputy)).token
        for mangled, problem in ((token[:9], deputy_codes.INCOMPLETE), ("x" * 16, deputy_codes.NOT_VALID),
                                 (token + "A", deputy_codes.NOT_VALID), ("<script>", deputy_codes.NOT_VALID),
                                 ("", deputy_codes.NOT_VALID)):
            found = await deputy_codes.resolve(s, "d_" + mangled)
            assert (found.problem, found.deputy) == (problem, None), mangled


async def test_a_revoked_code_says_so_and_points_to_the_station(db):
    world = await build_world(db)
    async with db.session() as s:
        staff = await actor(s, World.STATION_STAFF)
        old = await deputy_codes.code_for(s, staff, MONDAY, deputy_id=world.deputy)
        station = await deputy_codes.code_for(s, staff, MONDAY, station_id=world.station)
        new = await deputy_codes.regenerate(s, staff, MONDAY, deputy_id=world.deputy)
    async with db.session() as s:
        found = await deputy_codes.resolve(s, deputy_codes.payload(old))
        assert found.problem == deputy_codes.WITHDRAWN and found.deputy is None
        assert found.station_now[1] == deputy_codes.payload(station)
        assert (await deputy_codes.resolve(s, deputy_codes.payload(new))).deputy.id == world.deputy
        assert (await s.get(ContactCode, old.id)).replaced_by_id == new.id
        # a code of a deputy who left stops working too
        far = await deputy_codes.code_for(s, None, MONDAY, deputy_id=world.far_deputy)
        await directory.edit_deputy(s, await actor(s, World.CENTRAL_STAFF), world.far_deputy, active=False)
        left = await deputy_codes.resolve(s, deputy_codes.payload(far))
        assert left.problem == deputy_codes.WITHDRAWN and left.station_now is None  # the station has no code
        actions = list(await s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("code.%"))))
        assert actions.count("code.revoke") == 1 and actions.count("code.issue") == 4


async def test_only_staff_issue_or_withdraw_codes(db):
    world = await build_world(db)
    async with db.session() as s:
        for uid in (World.RESIDENT, World.DEPUTY_USER):
            someone = await actor(s, uid)
            for change in (deputy_codes.code_for, deputy_codes.regenerate, deputy_codes.revoke):
                with pytest.raises(PermissionDenied):
                    await change(s, someone, MONDAY, deputy_id=world.deputy)
        # staff tied to the east station manage its codes, not the west station's
        east_staff = await actor(s, World.STATION_STAFF)
        assert await deputy_codes.code_for(s, east_staff, MONDAY, deputy_id=world.deputy)
        for change in (deputy_codes.code_for, deputy_codes.regenerate, deputy_codes.revoke):
            with pytest.raises(PermissionDenied):
                await change(s, east_staff, MONDAY, deputy_id=world.far_deputy)
            with pytest.raises(PermissionDenied):
                await change(s, east_staff, MONDAY, station_id=world.other_station)
        assert await deputy_codes.code_for(s, await actor(s, World.CENTRAL_STAFF), MONDAY, deputy_id=world.far_deputy)


# --- opinions and threads ----------------------------------------------------------------------


async def test_an_opinion_gets_a_tracking_number_a_due_date_and_reaches_the_deputy(db):
    world = await build_world(db)
    inquiry = await write(db, world, "路灯<坏了> & 没人修", photos=("photo-1", "photo-2"), location=(30.1, 119.5))
    assert inquiry.number == f"DB-2026-{inquiry.id:06d}"
    assert inquiry.due_on.isoformat() == "2026-03-09"  # received Monday: 7 days, the start day not counted
    assert inquiry.resident_alias >= 1000
    sent = await notifications(db, World.DEPUTY_USER)
    assert [n.kind for n in sent] == ["text", "photo", "photo"]
    assert inquiry.number in sent[0].text and "2026-03-09" in sent[0].text
    assert "路灯&lt;坏了&gt; &amp; 没人修" in sent[0].text  # HTML-escaped
    assert not any(who in sent[0].text.replace(f"#{inquiry.resident_alias}", "")
                   for who in ("Person7001", "handle7001", "7001"))
    assert sent[0].payload["inline_keyboard"][0][0]["callback_data"] == f"ibx:open:{inquiry.id}"
    assert sent[1].payload == {"photo": "photo-1"}


async def test_bad_opinions_are_refused_and_nothing_is_stored(db):
    world = await build_world(db)
    for text, draft in (("", {}), ("   ", {}), ("长" * 2001, {}), ("ok", {"photos": ("a", "b", "c", "d")}),
                        ("ok", {"location": (91.0, 0.0)})):
        with pytest.raises(InvalidInput):
            await write(db, world, text, **draft)
    async with db.session() as s:
        assert (await s.scalars(select(Inquiry))).all() == []


async def test_a_resident_writes_at_most_the_daily_limit(db):
    world = await build_world(db)
    for _ in range(RULES.per_day):
        await write(db, world)
    with pytest.raises(DomainError) as refused:
        await write(db, world)
    assert refused.value.params["count"] == RULES.per_day
    assert refused.value.params["when"] == "2026-03-03 00:00"  # the next local day
    async with db.session() as s:
        assert len((await s.scalars(select(Inquiry))).all()) == RULES.per_day


async def test_a_deputy_who_has_not_joined_is_covered_by_the_station_staff(db):
    world = await build_world(db)
    inquiry = await write(db, world, deputy=world.offline_deputy)
    sent = await notifications(db, World.STATION_STAFF)
    assert len(sent) == 1 and "钱多" in sent[0].text and inquiry.number in sent[0].text
    assert sent[0].payload["inline_keyboard"][0][0]["callback_data"] == f"ovi:open:{inquiry.id}"


async def test_residents_read_and_reply_only_in_their_own_threads(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        intruder = await actor(s, World.OTHER_RESIDENT)
        for attempt in (inquiries.thread(s, intruder, inquiry.id),
                        inquiries.resident_reply(s, intruder, inquiry.id, "hi", MONDAY, RULES),
                        inquiries.share_phone(s, intruder, inquiry.id, "+8613800000000", World.OTHER_RESIDENT)):
            with pytest.raises(PermissionDenied):
                await attempt
        with pytest.raises(NotFound):
            await inquiries.thread(s, intruder, inquiry.id + 999)
        owner = await actor(s, World.RESIDENT)
        assert (await inquiries.thread(s, owner, inquiry.id)).as_resident


async def test_a_resident_cannot_act_as_the_deputy_nor_a_colleague_as_the_owner(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        for uid in (World.RESIDENT, World.COLLEAGUE_USER, World.STATION_STAFF):
            someone = await actor(s, uid)
            for attempt in (inquiries.answer(s, someone, inquiry.id, "done", MONDAY),
                            inquiries.resolve(s, someone, inquiry.id, MONDAY),
                            inquiries.refer(s, someone, inquiry.id, "market", "note", MONDAY)):
                with pytest.raises(PermissionDenied):
                    await attempt
    async with db.session() as s:
        assert (await s.get(Inquiry, inquiry.id)).status == InquiryStatus.open


async def test_answer_and_reply_are_relayed_both_ways_without_identities(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        deputy = await actor(s, World.DEPUTY_USER)
        await inquiries.answer(s, deputy, inquiry.id, "已联系<供电所>", MONDAY + timedelta(days=1))
    answer = (await notifications(db, World.RESIDENT))[-1]
    assert "王芳" in answer.text and "已联系&lt;供电所&gt;" in answer.text
    assert answer.payload["inline_keyboard"][0][0]["callback_data"] == f"thr:reply:{inquiry.id}"
    async with db.session() as s:
        await inquiries.resident_reply(s, await actor(s, World.RESIDENT), inquiry.id, "谢谢", MONDAY + timedelta(days=2),
                                       RULES)
        stored = await s.get(Inquiry, inquiry.id)
        deadline = await s.scalar(select(Deadline).where(Deadline.subject_id == inquiry.id))
    assert stored.status == InquiryStatus.answered and deadline.closed_in_time
    relayed = (await notifications(db, World.DEPUTY_USER))[-1]
    assert f"#{inquiry.resident_alias}" in relayed.text and "谢谢" in relayed.text
    assert not any(who in relayed.text.replace(f"#{inquiry.resident_alias}", "") for who in ("Person7001", "7001"))


async def test_only_the_residents_own_phone_is_shared(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        resident = await actor(s, World.RESIDENT)
        with pytest.raises(InvalidInput):
            await inquiries.share_phone(s, resident, inquiry.id, "+8613900000000", 555)  # someone else's card
        with pytest.raises(InvalidInput):
            await inquiries.share_phone(s, resident, inquiry.id, "12", World.RESIDENT)
        await inquiries.share_phone(s, resident, inquiry.id, "+86 138-0000-1111", World.RESIDENT)
    assert "+8613800001111" in (await notifications(db, World.DEPUTY_USER))[-1].text


async def test_a_referral_tells_the_resident_which_platform(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        deputy = await actor(s, World.DEPUTY_USER)
        with pytest.raises(InvalidInput):
            await inquiries.refer(s, deputy, inquiry.id, "nowhere", "note", MONDAY)
        await inquiries.refer(s, deputy, inquiry.id, "market", "交市场监管所处理", MONDAY + timedelta(days=6))
        with pytest.raises(DomainError):
            await inquiries.refer(s, deputy, inquiry.id, "services", "again", MONDAY + timedelta(days=6))
    told = (await notifications(db, World.RESIDENT))[-1].text
    assert "市场监管" in told and "交市场监管所处理" in told


async def test_staff_reassign_and_the_deadline_follows(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await inquiries.reassign(s, await actor(s, World.DEPUTY_USER), inquiry.id, world.far_deputy, MONDAY)
        staff = await actor(s, World.CENTRAL_STAFF)
        with pytest.raises(InvalidInput):
            await inquiries.reassign(s, staff, inquiry.id, world.deputy, MONDAY)
        await inquiries.reassign(s, staff, inquiry.id, world.far_deputy, MONDAY)
        assert await s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "inquiry.reassign")) == {
            "previous": world.deputy, "deputy_id": world.far_deputy}
    async with db.session() as s:
        deadline = await s.scalar(select(Deadline).where(Deadline.subject_id == inquiry.id))
        assert (deadline.owner_id, deadline.station_id) == (World.FAR_USER, world.other_station)
        with pytest.raises(PermissionDenied):  # the previous owner lets go
            await inquiries.answer(s, await actor(s, World.DEPUTY_USER), inquiry.id, "x", MONDAY)
        found = await inquiries.find(s, await actor(s, World.CENTRAL_STAFF), inquiry.number.lower())
        assert found.id == inquiry.id
        with pytest.raises(NotFound):
            await inquiries.find(s, await actor(s, World.CENTRAL_STAFF), "DB-2025-" + inquiry.number[-6:])
    assert inquiry.number in (await notifications(db, World.FAR_USER))[-1].text


# --- meetings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, local", [
    ("2026-03-05 14:00", "2026-03-05 14:00"),
    ("2026/3/5 9:30", "2026-03-05 09:30"),
    ("3-5 14:00", "2026-03-05 14:00"),
    ("2026\u5e743\u67085\u65e5 14:00", "2026-03-05 14:00"),
    ("\uff12\uff10\uff12\uff16-\uff10\uff13-\uff10\uff15 \uff11\uff14\uff1a\uff10\uff10", "2026-03-05 14:00"),
    ("1-5 10:00", None),  # next January: beyond the horizon
    ("2026-03-01 10:00", None),  # the past
    ("2026-02-30 10:00", None),
    ("2026-03-05", None),
    ("tomorrow at two", None),
])
def test_typed_meeting_times(typed, local):
    if local is None:
        with pytest.raises(InvalidInput):
            meetings.parse_when(typed, RULES, MONDAY)
    else:
        assert RULES.local(meetings.parse_when(typed, RULES, MONDAY)[0]) == local


async def test_a_booked_slot_is_held_and_freed_when_declined(db):
    world = await build_world(db)
    async with db.session() as s:
        deputy = await actor(s, World.DEPUTY_USER)
        slot = await meetings.add_slot(s, deputy, "2026-03-05 14:00 东街联络站", MONDAY, RULES)
        with pytest.raises(InvalidInput):
            await meetings.add_slot(s, deputy, "2026-03-05 14:00", MONDAY, RULES)
        with pytest.raises(PermissionDenied):
            await meetings.add_slot(s, await actor(s, World.RESIDENT), "2026-03-06 14:00", MONDAY, RULES)
    async with db.session() as s:
        booked = await meetings.request(s, await actor(s, World.RESIDENT), world.deputy, MONDAY, RULES,
                                        slot_id=slot.id, topic="修路")
        assert await meetings.free_slots(s, world.deputy, MONDAY) == []
        with pytest.raises(DomainError):
            await meetings.request(s, await actor(s, World.OTHER_RESIDENT), world.deputy, MONDAY, RULES,
                                   slot_id=slot.id)
        with pytest.raises(NotFound):  # a slot of another deputy
            await meetings.request(s, await actor(s, World.OTHER_RESIDENT), world.colleague, MONDAY, RULES,
                                   slot_id=slot.id)
        with pytest.raises(DomainError):
            await meetings.remove_slot(s, await actor(s, World.DEPUTY_USER), slot.id)
    assert "2026-03-05 14:00" in (await notifications(db, World.DEPUTY_USER))[-1].text
    async with db.session() as s:
        await meetings.decline(s, await actor(s, World.DEPUTY_USER), booked.inquiry.id, "那天开会", MONDAY)
        assert [x.id for x in await meetings.free_slots(s, world.deputy, MONDAY)] == [slot.id]
        with pytest.raises(DomainError):
            await meetings.accept(s, await actor(s, World.DEPUTY_USER), booked.inquiry.id, MONDAY, RULES)
    assert "那天开会" in (await notifications(db, World.RESIDENT))[-1].text


async def test_two_residents_racing_for_one_slot_cannot_both_get_it(db):
    world = await build_world(db)
    async with db.session() as s:
        slot = await meetings.add_slot(s, await actor(s, World.DEPUTY_USER), "2026-03-05 14:00", MONDAY, RULES)

    async def book(resident: int):  # noqa: ANN202
        async with db.session() as s:
            return await meetings.request(s, await actor(s, resident), world.deputy, MONDAY, RULES, slot_id=slot.id)

    results = await asyncio.gather(book(World.RESIDENT), book(World.OTHER_RESIDENT), return_exceptions=True)
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    async with db.session() as s:
        holders = (await s.scalars(select(Inquiry).where(Inquiry.slot_id == slot.id))).all()
    assert len(holders) == 1


async def test_accepting_and_moving_a_meeting(db):
    world = await build_world(db)
    async with db.session() as s:
        proposed = meetings.parse_when("2026-03-06 10:00", RULES, MONDAY)[0]
        receipt = await meetings.request(s, await actor(s, World.RESIDENT), world.deputy, MONDAY, RULES,
                                         proposed_at=proposed)
    async with db.session() as s:
        deputy = await actor(s, World.DEPUTY_USER)
        with pytest.raises(InvalidInput):  # not a meeting
            await meetings.accept(s, deputy, (await write(db, world)).id, MONDAY, RULES)
        await meetings.accept(s, deputy, receipt.inquiry.id, MONDAY + timedelta(hours=2), RULES)
        moved = await meetings.move(s, deputy, receipt.inquiry.id, "2026-03-07 15:30", MONDAY + timedelta(days=1),
                                    RULES)
        assert moved.status == InquiryStatus.moved
        deadline = await s.scalar(select(Deadline).where(Deadline.kind == "inquiry",
                                                         Deadline.subject_id == receipt.inquiry.id))
        assert deadline.closed_in_time and deadline.closed_at == MONDAY + timedelta(hours=2)
    told = [n.text for n in await notifications(db, World.RESIDENT)]
    assert "2026-03-06 10:00" in told[-2] and "2026-03-07 15:30" in told[-1]


# --- privacy and statistics --------------------------------------------------------------------


async def test_erasing_a_resident_empties_their_inquiries_but_keeps_the_counts(db):
    world = await build_world(db)
    answered = await write(db, world, "第一件事", location=(30.0, 120.0))
    waiting = await write(db, world, "第二件事")
    async with db.session() as s:
        await inquiries.answer(s, await actor(s, World.DEPUTY_USER), answered.id, "好的", MONDAY + timedelta(days=1))
        await inquiries.share_phone(s, await actor(s, World.RESIDENT), answered.id, "+8613800000000", World.RESIDENT)
        user = await s.get(User, World.RESIDENT)
        lines = await privacy.describe(s, user)
        assert any(answered.number in line and "王芳" in line for line in lines)
        await privacy.erase(s, user)
    async with db.session() as s:
        rows = list(await s.scalars(select(Inquiry).order_by(Inquiry.id)))
        assert [(r.resident_id, r.text, r.photos, r.latitude, r.shared_phone) for r in rows] == [
            (None, "", [], None, None)] * 2
        assert rows[1].status == InquiryStatus.withdrawn
        assert (await s.scalars(select(InquiryMessage))).all() == []
        staff = await actor(s, World.CENTRAL_STAFF)
        tally = next(t for t in await contact_stats.by_deputy(s, staff, MONDAY + timedelta(days=30))
                     if t.label == "王芳")
        assert (tally.received, tally.in_time, tally.overdue) == (2, 1, 0)
        with pytest.raises(DomainError):
            await inquiries.answer(s, await actor(s, World.DEPUTY_USER), answered.id, "还在吗", MONDAY)


async def test_promptness_on_the_card_and_the_statistics_table(db):
    world = await build_world(db)
    async with db.session() as s:
        assert (await inquiries.deputy_card(s, world.deputy, MONDAY)).promptness is None  # a new deputy
    first = await write(db, world)
    await write(db, world, "第二件")
    async with db.session() as s:
        await inquiries.answer(s, await actor(s, World.DEPUTY_USER), first.id, "好", MONDAY + timedelta(days=2))
    later = MONDAY + timedelta(days=10)  # the second one is overdue now
    async with db.session() as s:
        card = await inquiries.deputy_card(s, world.deputy, later)
        assert (card.promptness.in_time_share, card.promptness.median_days) == (0.5, 2.0)
        station_staff = await actor(s, World.STATION_STAFF)
        deputies = await contact_stats.by_deputy(s, station_staff, later)
        assert [t.label for t in deputies] == ["王芳", "李明", "钱多"]  # the other station's deputy is not theirs
        assert deputies[0].values() == [2, 1, 0, 1, 2.0, 0, 0, 0]  # and no resident has rated an answer yet
        stations = await contact_stats.by_station(s, await actor(s, World.CENTRAL_STAFF), later)
        assert {t.label: t.received for t in stations} == {"东街联络站": 2, "西村代表之家": 0}
    table = contact_stats.table_text("Deputy", deputies).splitlines()
    assert len({len(line.encode("gbk")) for line in table}) == 1  # columns line up (CJK counts double)
    sheets = load_workbook(io.BytesIO(contact_stats.workbook([("Deputies", "Deputy", deputies)])))
    assert [c.value for c in sheets["Deputies"][2]] == ["王芳", 2, 1, 0, 1, 2, 0, 0, 0]


# --- posters and the CLI -----------------------------------------------------------------------


def _decode_png(data: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


async def test_cli_writes_qr_pngs_and_posters_that_scan(db, database_url, tmp_path, monkeypatch, capsys):
    from bot.cli import main

    world = await build_world(db)
    async with db.session() as s:
        deputy = await s.get(directory.Deputy, world.deputy)
        deputy.reception_hours = "每周三 9:00-11:30"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    assert await asyncio.to_thread(main, ["deputy", "qr", "--deputy", str(world.deputy), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().startswith("minsheng: BOT_USERNAME is not set")

    monkeypatch.setenv("BOT_USERNAME", "minsheng_test_bot")
    assert await asyncio.to_thread(main, ["deputy", "qr", "--station", str(world.station), "--out", str(tmp_path)]) == 0
    async with db.session() as s:
        deputy_code = await deputy_codes.active_code(s, deputy_id=world.deputy)
        station_code = await deputy_codes.active_code(s, station_id=world.station)
    link = "https://t.me/minsheng_test_bot?start="
    assert _decode_png((tmp_path / f"deputy-{world.deputy}.png").read_bytes()) == [link + "d_" + deputy_code.token]
    assert _decode_png((tmp_path / f"station-{world.station}.png").read_bytes()) == [link + "st_" + station_code.token]
    pages = PdfReader(tmp_path / f"station-{world.station}.pdf").pages
    texts = [page.extract_text() for page in pages]
    assert len(pages) == 4 and "东街联络站" in texts[0]  # the station, then its three deputies
    page = next(text for text in texts[1:] if "王芳" in text)
    assert "县区人大代表" in page and "9:00-11:30" in page and "扫码" in page

    assert await asyncio.to_thread(main, ["deputy", "qr", "--deputy", "9999", "--out", str(tmp_path)]) == 2
    assert "no deputy has id 9999" in capsys.readouterr().err


# --- review fixes ------------------------------------------------------------------------------


async def test_statistics_are_for_staff_only(db):
    await build_world(db)
    async with db.session() as s:
        for uid in (World.RESIDENT, World.DEPUTY_USER):
            someone = await actor(s, uid)
            for tally in (contact_stats.by_deputy, contact_stats.by_station):
                with pytest.raises(PermissionDenied):
                    await tally(s, someone, MONDAY)


async def test_station_staff_read_find_and_reassign_only_in_their_stations(db):
    world = await build_world(db)
    far = await write(db, world, "西村的事", deputy=world.far_deputy)
    near = await write(db, world, "东街的事")
    async with db.session() as s:
        east_staff = await actor(s, World.STATION_STAFF)
        with pytest.raises(PermissionDenied):
            await inquiries.thread(s, east_staff, far.id)
        with pytest.raises(NotFound):
            await inquiries.find(s, east_staff, far.number)
        with pytest.raises(PermissionDenied):
            await inquiries.reassign(s, east_staff, far.id, world.colleague, MONDAY)
        with pytest.raises(PermissionDenied):  # nor hand their own station's message to another station
            await inquiries.reassign(s, east_staff, near.id, world.far_deputy, MONDAY)
        assert (await inquiries.thread(s, east_staff, near.id)).inquiry.id == near.id
        assert (await inquiries.find(s, east_staff, near.number)).id == near.id
        await inquiries.reassign(s, east_staff, near.id, world.colleague, MONDAY)
        central = await actor(s, World.CENTRAL_STAFF)
        assert (await inquiries.thread(s, central, far.id)).inquiry.id == far.id
    async with db.session() as s:
        assert (await s.get(Inquiry, far.id)).deputy_id == world.far_deputy


async def test_reassigning_back_and_forth_tells_each_owner_each_time_and_only_while_in_hand(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        staff = await actor(s, World.CENTRAL_STAFF)
        await inquiries.reassign(s, staff, inquiry.id, world.far_deputy, MONDAY)
    away = await notifications(db, World.DEPUTY_USER)
    assert len(away) == 2 and inquiry.number in away[-1].text and "赵强" in away[-1].text  # told to let go
    async with db.session() as s:
        staff = await actor(s, World.CENTRAL_STAFF)
        await inquiries.reassign(s, staff, inquiry.id, world.deputy, MONDAY + timedelta(hours=1))
        await inquiries.reassign(s, staff, inquiry.id, world.far_deputy, MONDAY + timedelta(hours=2))
    assert len(await notifications(db, World.FAR_USER)) == 3  # given, taken away, given again
    assert len(await notifications(db, World.DEPUTY_USER)) == 4
    async with db.session() as s:
        await inquiries.resolve(s, await actor(s, World.FAR_USER), inquiry.id, MONDAY + timedelta(hours=3))
        with pytest.raises(DomainError):
            await inquiries.reassign(s, await actor(s, World.CENTRAL_STAFF), inquiry.id, world.deputy, MONDAY)


async def test_replies_count_towards_the_daily_limit(db):
    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        resident = await actor(s, World.RESIDENT)
        for _ in range(RULES.per_day - 1):
            await inquiries.resident_reply(s, resident, inquiry.id, "还有一件事", MONDAY, RULES)
        with pytest.raises(DomainError):
            await inquiries.resident_reply(s, resident, inquiry.id, "再一件", MONDAY, RULES)
        await inquiries.resident_reply(s, resident, inquiry.id, "第二天", MONDAY + timedelta(days=1), RULES)


async def test_the_day_of_receipt_is_the_local_day(db):
    world = await build_world(db)
    early = MONDAY.replace(hour=7)  # 2026-03-01 23:00 UTC
    inquiry = await write(db, world, at=early)
    async with db.session() as s:
        lines = await inquiries._describe_data(s, World.RESIDENT)
    assert inquiry.number in lines[0] and "2026-03-02" in lines[0]


async def test_erasing_a_resident_frees_their_confirmed_meeting(db):
    world = await build_world(db)
    async with db.session() as s:
        slot = await meetings.add_slot(s, await actor(s, World.DEPUTY_USER), "2026-03-05 14:00", MONDAY, RULES)
    async with db.session() as s:
        booked = await meetings.request(s, await actor(s, World.RESIDENT), world.deputy, MONDAY, RULES,
                                        slot_id=slot.id)
        await meetings.accept(s, await actor(s, World.DEPUTY_USER), booked.inquiry.id, MONDAY, RULES)
    async with db.session() as s:
        await privacy.erase(s, await s.get(User, World.RESIDENT))
    async with db.session() as s:
        stored = await s.get(Inquiry, booked.inquiry.id)
        assert (stored.status, stored.slot_id) == (InquiryStatus.withdrawn, None)
        assert [x.id for x in await meetings.free_slots(s, world.deputy, MONDAY)] == [slot.id]
        with pytest.raises(DomainError) as refused:
            await meetings.decline(s, await actor(s, World.DEPUTY_USER), booked.inquiry.id, "x", MONDAY)
    assert "already been declined" not in refused.value.message
    assert booked.inquiry.number in (await notifications(db, World.DEPUTY_USER))[-1].text


async def test_one_active_code_per_deputy_even_when_two_requests_race(db, monkeypatch):
    world = await build_world(db)
    async with db.session() as s:
        first = await deputy_codes.code_for(s, await actor(s, World.STATION_STAFF), MONDAY, deputy_id=world.deputy)
    real = deputy_codes.active_code
    calls = []

    async def stale_check(session, **owner):  # noqa: ANN001, ANN202
        calls.append(owner)
        return None if len(calls) == 1 else await real(session, **owner)  # the check ran before the winner's insert

    monkeypatch.setattr(deputy_codes, "active_code", stale_check)
    async with db.session() as s:
        again = await deputy_codes.code_for(s, await actor(s, World.STATION_STAFF), MONDAY, deputy_id=world.deputy)
    assert again.id == first.id
    monkeypatch.undo()
    async with db.session() as s:
        active = (await s.scalars(select(ContactCode).where(ContactCode.deputy_id == world.deputy,
                                                           ContactCode.revoked_at.is_(None)))).all()
        assert [c.id for c in active] == [first.id]
        await deputy_codes.revoke(s, await actor(s, World.STATION_STAFF), MONDAY, deputy_id=world.deputy)
        assert await deputy_codes.active_code(s, deputy_id=world.deputy) is None


async def test_a_residents_reply_and_an_erasure_that_withdraws_a_letter_are_audited(db):
    from models import AuditEvent
    from services import privacy

    world = await build_world(db)
    inquiry = await write(db, world)
    async with db.session() as s:
        await inquiries.resident_reply(s, await actor(s, World.RESIDENT), inquiry.id, "补充：在路口", MONDAY,
                                       RULES)
    async with db.session() as s:
        await privacy.erase(s, await s.get(User, World.RESIDENT))
    async with db.session() as s:
        events = [(e.action, e.actor_id) for e in await s.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "inquiry").order_by(AuditEvent.id))]
    assert events == [("inquiry.create", None), ("inquiry.reply", None), ("inquiry.withdraw", None)]
