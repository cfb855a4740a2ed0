"""Written proposals: the 3/6-month clock from the handover, who may do what, rating and the second answer."""
from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.proposals import ProposalCb
from models import Deadline, Deputy, Notification, Role, User
from models.proposals import ProposalClass, ProposalReply, ProposalStatus, Rating, Sitting
from services import deadlines, directory, people, proposals
from services.auth import load_actor
from services.calendar import get_calendar
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import use_locale

TZ = ZoneInfo("Asia/Shanghai")
RULES = proposals.Rules(months={ProposalClass.ordinary: 3, ProposalClass.complex: 6}, tz=TZ,
                        calendar=get_calendar(None))
DEPUTY, OTHER_DEPUTY, CLERK, OTHER_CLERK, STAFF, RESIDENT = 101, 102, 201, 202, 301, 401


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


async def _user(s, uid: int):  # noqa: ANN001
    user, _ = await people.ensure_user(s, people.Contact(uid, f"u{uid}", None, "en"))
    return user


async def _actor(s, uid: int):  # noqa: ANN001
    return await load_actor(s, await s.get(User, uid))


@pytest.fixture
async def office(db):  # noqa: ANN001, ANN201
    """Two deputies, two departments with one user each, a staff member and a resident."""
    async with db.session() as s:
        for uid in (DEPUTY, OTHER_DEPUTY, CLERK, OTHER_CLERK, STAFF, RESIDENT):
            await _user(s, uid)
        for uid, name in ((DEPUTY, "Wang Fang"), (OTHER_DEPUTY, "Li Ming")):
            s.add(Deputy(name=name, user_id=uid))
            await people.grant_role(s, uid, Role.deputy, by=None)
        roads = await directory.ensure_department(s, None, "Transport Bureau <roads>")
        water = await directory.ensure_department(s, None, "Water Bureau")
        await people.grant_role(s, CLERK, Role.department, by=None, department_id=roads.id)
        await people.grant_role(s, OTHER_CLERK, Role.department, by=None, department_id=water.id)
        await people.grant_role(s, STAFF, Role.staff, by=None)
    return {"roads": roads.id, "water": water.id}


async def _file(db, office, when: datetime, *, department: str | None = "roads",  # noqa: ANN001
                proposal_class: str = ProposalClass.ordinary, by: int = DEPUTY):
    async with db.session() as s:
        draft = proposals.Draft("Street lights on East Road", "The road is dark at night.", proposal_class,
                                Sitting.session, office[department] if department else None)
        return await proposals.file(s, await _actor(s, by), draft, when, RULES)


async def _messages(db, chat_id: int) -> list[str]:  # noqa: ANN001
    async with db.session() as s:
        return list(await s.scalars(select(Notification.text).where(Notification.chat_id == chat_id)
                                    .order_by(Notification.id)))


async def test_the_clock_runs_three_or_six_months_from_the_handover(db, office):
    ordinary = await _file(db, office, at("2026-03-02"))
    complex_ = await _file(db, office, at("2026-03-02"), proposal_class=ProposalClass.complex)
    assert (ordinary.number, complex_.number) == ("JY-2026-0001", "JY-2026-0002")
    assert (ordinary.due_on, complex_.due_on) == (date(2026, 6, 2), date(2026, 9, 2))
    async with db.session() as s:
        deadline = await s.scalar(select(Deadline).where(Deadline.subject_id == ordinary.id))
    # The last day ends at 24:00 local; reminders come at 09:00, two weeks ahead and on the day.
    assert deadline.kind == proposals.KIND and deadline.owner_id is None
    assert deadline.due_at == at("2026-06-03", 0)
    assert deadline.remind_at == at("2026-05-19", 9)
    assert deadline.due_day_at == at("2026-06-02", 9)

    # Three months from 1 July end on National Day: the last day moves past the holiday week.
    national_day = await _file(db, office, at("2026-07-01"))
    assert national_day.due_on == date(2026, 10, 8)


async def test_without_a_department_the_clock_starts_when_staff_hand_it_over(db, office):
    proposal = await _file(db, office, at("2026-03-02"), department=None)
    assert proposal.status == ProposalStatus.filed and proposal.due_on is None
    assert any("waiting to be handed" in text for text in await _messages(db, STAFF))
    async with db.session() as s:
        assert await s.scalar(select(Deadline).where(Deadline.subject_id == proposal.id)) is None
        with pytest.raises(PermissionDenied):
            await proposals.assign(s, await _actor(s, DEPUTY), proposal.id, office["water"], at("2026-03-12"), RULES)
    async with db.session() as s:
        assigned = await proposals.assign(s, await _actor(s, STAFF), proposal.id, office["water"],
                                          at("2026-03-12"), RULES)
    assert (assigned.status, assigned.due_on) == (ProposalStatus.assigned, date(2026, 6, 12))
    assert any("New proposal to answer: JY-2026-0001" in text and "2026-06-12" in text
               for text in await _messages(db, OTHER_CLERK))


async def test_moving_to_another_department_keeps_the_running_clock(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        moved = await proposals.assign(s, await _actor(s, STAFF), proposal.id, office["water"],
                                       at("2026-04-01"), RULES)
    assert moved.due_on == date(2026, 6, 2)
    assert any("was moved to Water Bureau" in text for text in await _messages(db, CLERK))
    assert any("New proposal to answer" in text for text in await _messages(db, OTHER_CLERK))
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await proposals.answer(s, await _actor(s, CLERK), proposal.id, "We will fix it.", at("2026-04-02"))
        reply = await proposals.answer(s, await _actor(s, OTHER_CLERK), proposal.id, "Done.", at("2026-04-02"))
    assert reply.in_time


async def test_staff_hear_when_a_department_has_nobody_in_the_bot(db, office):
    async with db.session() as s:
        health = await directory.ensure_department(s, None, "Health Bureau")
    proposal = await _file(db, office, at("2026-03-02"), department=None)
    async with db.session() as s:
        await proposals.assign(s, await _actor(s, STAFF), proposal.id, health.id, at("2026-03-03"), RULES)
    # The staff member who handed it over is told too: the notice is about the department, not the act.
    assert any("Nobody of Health Bureau has joined the bot yet" in text for text in await _messages(db, STAFF))


async def test_only_the_right_people_act_on_a_proposal(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        resident, other_deputy = await _actor(s, RESIDENT), await _actor(s, OTHER_DEPUTY)
        with pytest.raises(PermissionDenied):
            await proposals.file(s, resident, proposals.Draft("t", "x", ProposalClass.ordinary), at("2026-03-02"),
                                 RULES)
        for forbidden in (
            proposals.card(s, resident, proposal.id),
            proposals.card(s, await _actor(s, OTHER_CLERK), proposal.id),
            proposals.withdraw(s, other_deputy, proposal.id, at("2026-03-03")),
            proposals.answer(s, await _actor(s, OTHER_CLERK), proposal.id, "No.", at("2026-03-03")),
            proposals.answer(s, await _actor(s, STAFF), proposal.id, "Staff cannot answer.", at("2026-03-03")),
            proposals.answer(s, await _actor(s, DEPUTY), proposal.id, "Nor the deputy.", at("2026-03-03")),
        ):
            with pytest.raises(PermissionDenied):
                await forbidden
        with pytest.raises(NotFound):
            await proposals.card(s, await _actor(s, STAFF), 9999)
        clerk = await _actor(s, CLERK)
        await proposals.answer(s, clerk, proposal.id, "Lights go up in April.", at("2026-03-03"))
        with pytest.raises(PermissionDenied):
            await proposals.rate(s, other_deputy, proposal.id, Rating.satisfied, at("2026-03-04"), RULES)
        with pytest.raises(PermissionDenied):
            await proposals.rate(s, clerk, proposal.id, Rating.satisfied, at("2026-03-04"), RULES)
        with pytest.raises(InvalidInput):
            await proposals.rate(s, await _actor(s, DEPUTY), proposal.id, "excellent", at("2026-03-04"), RULES)
        with pytest.raises(DomainError):
            await proposals.answer(s, clerk, proposal.id, "A second answer unasked.", at("2026-03-04"))


async def test_form_limits_are_enforced_by_the_service(db, office):
    with pytest.raises(InvalidInput) as too_long:
        proposals.clean_title("x" * 101)
    assert too_long.value.params == {"max": 100, "n": 101}
    with pytest.raises(InvalidInput):
        proposals.clean_text("  \n ")
    with pytest.raises(InvalidInput):
        proposals.clean_text("y" * 3001)
    async with db.session() as s:
        with pytest.raises(NotFound):
            await proposals.file(s, await _actor(s, DEPUTY),
                                 proposals.Draft("t", "x", ProposalClass.ordinary, Sitting.session, 999),
                                 at("2026-03-02"), RULES)
        with pytest.raises(InvalidInput):
            await proposals.file(s, await _actor(s, DEPUTY), proposals.Draft("t", "x", "urgent"), at("2026-03-02"),
                                 RULES)


async def test_answer_in_time_then_satisfied_closes_the_proposal(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        reply = await proposals.answer(s, await _actor(s, CLERK), proposal.id, "Lights <b>installed</b> & lit.",
                                       at("2026-05-20"), file_id="FILE-1", file_name="reply.pdf")
    assert reply.in_time
    to_deputy = await _messages(db, DEPUTY)
    assert any("Transport Bureau &lt;roads&gt; answered your proposal JY-2026-0001" in text
               and "Lights &lt;b&gt;installed&lt;/b&gt; &amp; lit." in text for text in to_deputy)
    async with db.session() as s:
        rated = await proposals.rate(s, await _actor(s, DEPUTY), proposal.id, Rating.satisfied, at("2026-05-21"), RULES)
        assert rated.status == ProposalStatus.rated
        with pytest.raises(DomainError):
            await proposals.rate(s, await _actor(s, DEPUTY), proposal.id, Rating.dissatisfied, at("2026-05-22"), RULES)
        card = await proposals.card(s, await _actor(s, DEPUTY), proposal.id)
    assert [(r.round, r.rating, r.file_id) for r in card.replies] == [(1, Rating.satisfied, "FILE-1")]
    assert "The deputy rated your answer to proposal JY-2026-0001 «Street lights on East Road»: satisfied." \
        in await _messages(db, CLERK)


async def test_dissatisfied_sends_it_back_for_a_second_answer_once(db, office):
    proposal = await _file(db, office, at("2026-01-05"))
    async with db.session() as s:
        await proposals.answer(s, await _actor(s, CLERK), proposal.id, "Not possible this year.", at("2026-03-20"))
    async with db.session() as s:
        again = await proposals.rate(s, await _actor(s, DEPUTY), proposal.id, Rating.dissatisfied,
                                     at("2026-04-01"), RULES)
    # One month from 1 April ends on 1 May, Labour Day: the last day moves past the holidays.
    assert (again.status, again.round, again.due_on) == (ProposalStatus.assigned, 2, date(2026, 5, 6))
    async with db.session() as s:
        second = await s.scalar(select(Deadline).where(Deadline.kind == proposals.REANSWER_KIND))
        assert second.subject_id == proposal.id and second.due_at == at("2026-05-07", 0)
    assert any("dissatisfied with your answer" in text and "2026-05-06" in text for text in await _messages(db, CLERK))
    assert any("goes back to Transport Bureau &lt;roads&gt; for a second answer" in text
               for text in await _messages(db, STAFF))
    async with db.session() as s:
        reply = await proposals.answer(s, await _actor(s, CLERK), proposal.id, "Budget found; work starts in June.",
                                       at("2026-05-08"))
        assert reply.round == 2 and not reply.in_time
    async with db.session() as s:
        final = await proposals.rate(s, await _actor(s, DEPUTY), proposal.id, Rating.dissatisfied,
                                     at("2026-05-09"), RULES)
    assert final.status == ProposalStatus.rated
    assert any("still dissatisfied after the second answer" in text for text in await _messages(db, STAFF))


async def test_two_clerks_answering_at_once_give_one_answer(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        await people.ensure_user(s, people.Contact(203, "second clerk", None, "en"))
        await people.grant_role(s, 203, Role.department, by=None, department_id=office["roads"])

    async def answer(uid: int) -> object:
        async with db.session() as s:
            return await proposals.answer(s, await _actor(s, uid), proposal.id, f"Answer by {uid}", at("2026-03-09"))

    results = await asyncio.gather(answer(CLERK), answer(203), return_exceptions=True)
    assert sum(isinstance(r, ProposalReply) for r in results) == 1, results
    if db.is_postgres:  # SQLite lets only one writer in at all; PostgreSQL refuses the second by the rule
        assert sum(isinstance(r, DomainError) for r in results) == 1, results
    async with db.session() as s:
        assert len((await s.scalars(select(ProposalReply))).all()) == 1
    assert len([t for t in await _messages(db, DEPUTY) if "answered your proposal" in t]) == 1


async def test_staff_record_an_oral_suggestion_for_a_deputy(db, office):
    async with db.session() as s:
        found = await proposals.find_deputies(s, await _actor(s, STAFF), "Wang")
        assert [d.name for d in found] == ["Wang Fang"]
        with pytest.raises(PermissionDenied):
            await proposals.find_deputies(s, await _actor(s, DEPUTY), "Wang")
        draft = proposals.Draft("Bus stop shelter", "Villagers wait in the rain.", ProposalClass.ordinary,
                                Sitting.session, None)
        with pytest.raises(PermissionDenied):
            await proposals.record_oral(s, await _actor(s, OTHER_DEPUTY), found[0].id, draft, at("2026-03-02"), RULES)
        proposal = await proposals.record_oral(s, await _actor(s, STAFF), found[0].id, draft, at("2026-03-02"), RULES)
    assert (proposal.oral, proposal.sitting, proposal.recorded_by) == (True, Sitting.recess, STAFF)
    assert any("recorded your oral suggestion as written proposal JY-2026-0001" in text
               for text in await _messages(db, DEPUTY))


async def test_withdrawing_removes_the_clock(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        await proposals.withdraw(s, await _actor(s, DEPUTY), proposal.id, at("2026-03-05"))
        assert await s.scalar(select(Deadline).where(Deadline.subject_id == proposal.id)) is None
    assert (await deadlines.sweep(db, at("2026-12-31"))).total == 0
    assert any("was withdrawn by the deputy" in text for text in await _messages(db, CLERK))
    async with db.session() as s:
        with pytest.raises(DomainError):
            await proposals.answer(s, await _actor(s, CLERK), proposal.id, "Too late.", at("2026-03-06"))


async def test_overdue_escalates_to_department_staff_and_deputy_once(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    await deadlines.sweep(db, at("2026-05-19", 10))
    await deadlines.sweep(db, at("2026-06-02", 10))
    assert [t for t in await _messages(db, CLERK) if "Reminder" in t or "last day" in t] == [
        "Reminder: proposal JY-2026-0001 «Street lights on East Road» must be answered by 2026-06-02.",
        "Today is the last day to answer proposal JY-2026-0001 «Street lights on East Road».",
    ]
    await asyncio.gather(deadlines.sweep(db, at("2026-06-03", 9)), deadlines.sweep(db, at("2026-06-03", 9)))
    await deadlines.sweep(db, at("2026-06-04", 9))
    for uid, words in ((CLERK, "is overdue"), (STAFF, "Overdue: Transport Bureau &lt;roads&gt; has not answered"),
                       (DEPUTY, "was not answered by 2026-06-02")):
        assert len([t for t in await _messages(db, uid) if words in t]) == 1, uid
    async with db.session() as s:
        staff = await _actor(s, STAFF)
        today = date(2026, 6, 3)
        assert (await proposals.office_counts(s, staff, today))["overdue"] == 1
        await proposals.answer(s, await _actor(s, CLERK), proposal.id, "Sorry for the delay.", at("2026-06-10"))
    async with db.session() as s:
        late, more = await proposals.office_list(s, staff, "late", today)
        assert [p.number for p in late] == ["JY-2026-0001"] and not more
        assert (await proposals.office_counts(s, staff, today))["overdue"] == 0
        assert await proposals.late_rounds(s, [proposal.id]) == {proposal.id}
        deadline = await s.scalar(select(Deadline).where(Deadline.subject_id == proposal.id))
        assert deadline.closed_in_time is False
        with use_locale("en"):
            line = await deadlines.describe(s, deadline)
        assert line == "Proposal JY-2026-0001 «Street lights on East Road» · Transport Bureau &lt;roads&gt;"


async def test_notification_buttons_open_the_proposal_in_the_bot(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        payload = await s.scalar(select(Notification.payload).where(Notification.chat_id == CLERK))
    button = payload["inline_keyboard"][0][0]
    assert button["text"] == "Open the proposal"
    assert ProposalCb.unpack(button["callback_data"]) == ProposalCb(act="open", pid=proposal.id)


def test_excerpt_escapes_and_stays_within_the_limit():
    assert proposals.excerpt("a < b & c", 100) == "a &lt; b &amp; c"
    cut = proposals.excerpt("<" * 50, 21)
    assert cut == "&lt;" * 5 + "…" and len(cut) <= 21


async def test_staff_neither_withdraw_nor_rate_for_a_deputy_in_the_bot(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await proposals.withdraw(s, await _actor(s, STAFF), proposal.id, at("2026-03-03"))
    async with db.session() as s:
        await proposals.answer(s, await _actor(s, CLERK), proposal.id, "Lights go up in April.", at("2026-03-04"))
    async with db.session() as s:
        with pytest.raises(PermissionDenied):  # the deputy is in the bot and rates for themselves
            await proposals.rate(s, await _actor(s, STAFF), proposal.id, Rating.satisfied, at("2026-03-05"), RULES)
    assert not any("withdrawn" in text for text in await _messages(db, CLERK))
    async with db.session() as s:  # a deputy without Telegram: staff rate on their behalf
        (await s.get(Deputy, proposal.deputy_id)).user_id = None
    async with db.session() as s:
        rated = await proposals.rate(s, await _actor(s, STAFF), proposal.id, Rating.satisfied, at("2026-03-05"),
                                     RULES)
    assert rated.status == ProposalStatus.rated
    # Nor does a deputy without Telegram let staff withdraw: withdrawing is the deputy's own decision.
    other = await _file(db, office, at("2026-03-06"), by=OTHER_DEPUTY)
    async with db.session() as s:
        (await s.get(Deputy, other.deputy_id)).user_id = None
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await proposals.withdraw(s, await _actor(s, STAFF), other.id, at("2026-03-07"))


async def test_a_department_handed_the_proposal_again_is_told_again(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    for day, department in (("2026-03-03", "water"), ("2026-03-04", "roads"), ("2026-03-05", "water")):
        async with db.session() as s:
            await proposals.assign(s, await _actor(s, STAFF), proposal.id, office[department], at(day), RULES)
    roads, water = await _messages(db, CLERK), await _messages(db, OTHER_CLERK)
    assert len([t for t in roads if "New proposal to answer" in t]) == 2
    assert len([t for t in roads if "was moved to Water Bureau" in t]) == 2
    assert len([t for t in water if "New proposal to answer" in t]) == 2
    assert len([t for t in water if "was moved to Transport Bureau" in t]) == 1


async def test_a_department_pages_through_every_proposal_it_must_answer(db, office):
    for _ in range(proposals.PAGE_SIZE + 1):
        await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        clerk = await _actor(s, CLERK)
        first, more = await proposals.to_answer(s, clerk)
        last, after = await proposals.to_answer(s, clerk, 1)
        mine, _more = await proposals.mine(s, await _actor(s, DEPUTY), 1)
    assert (len(first), more, len(last), after) == (proposals.PAGE_SIZE, True, 1, False)
    assert len(mine) == 1 and not {p.id for p in first} & {p.id for p in last}


async def test_the_reminder_comes_as_many_days_ahead_as_the_setting_says(db, office):
    from bot.settings import Settings

    rules = proposals.Rules.from_settings(Settings(proposal_reminder_days_before=5))
    async with db.session() as s:
        draft = proposals.Draft("Street lights on East Road", "The road is dark at night.", ProposalClass.ordinary,
                                Sitting.session, office["roads"])
        filed = await proposals.file(s, await _actor(s, DEPUTY), draft, at("2026-03-02"), rules)
    async with db.session() as s:
        deadline = await s.scalar(select(Deadline).where(Deadline.subject_id == filed.id))
    # The last day is Tue 2 June: five days ahead is Thu 28 May, at 09:00 (two weeks by default).
    assert deadline.remind_at == at("2026-05-28", 9)


async def test_the_unpublished_holidays_note_is_for_staff_only(db, office):
    proposal = await _file(db, office, at("2026-03-02"))
    async with db.session() as s:
        deadline = await s.scalar(select(Deadline).where(Deadline.subject_id == proposal.id))
        deadline.calendar_note = "2027"
    async with db.session() as s:
        notes = {uid: (await proposals.card(s, await _actor(s, uid), proposal.id)).calendar_note
                 for uid in (STAFF, CLERK, DEPUTY)}
    assert notes == {STAFF: "2027", CLERK: "", DEPUTY: ""}
