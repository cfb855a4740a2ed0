"""A resident's letter seen from the resident's phone, in each language: a deputy who has not
joined the bot (the station's liaison staff handle it, and say so), the hand-over when the deputy
joins, the resident told when the seven days pass, the resident's rating of an answer, and a
meeting with its time, place, states and reminder.
"""
from __future__ import annotations

import asyncio
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from models import Deadline, Role, User
from models.contact import Inquiry
from services import deadlines, deputy_codes, invites, meetings
from services.i18n import translate
from tests.e2e.test_contact_flow import tracking_number
from tests.support.clock import SHANGHAI
from tests.test_contact import MONDAY, World, build_world

LANGUAGES = {"zh_CN": "zh-hans", "zh_TW": "zh-hant", "en": "en"}
JOINING = 103  # the Telegram account deputy 钱多 joins with


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def _speak(db, locale: str, *user_ids: int) -> None:  # noqa: ANN001
    async with db.session() as s:
        await s.execute(update(User).where(User.id.in_(user_ids)).values(locale=locale))


async def _code(db, deputy_id: int) -> str:  # noqa: ANN001
    async with db.session() as s:
        return deputy_codes.payload(await deputy_codes.code_for(s, None, MONDAY, deputy_id=deputy_id))


async def _inquiry(db, number: str) -> Inquiry:  # noqa: ANN001
    async with db.session() as s:
        return await s.scalar(select(Inquiry).where(Inquiry.number == number))


async def _owner(db, number: str) -> int | None:  # noqa: ANN001
    async with db.session() as s:
        inquiry = await s.scalar(select(Inquiry).where(Inquiry.number == number))
        return await s.scalar(select(Deadline.owner_id).where(Deadline.kind == "inquiry",
                                                             Deadline.subject_id == inquiry.id))


async def _sweep(app, at: datetime) -> None:  # noqa: ANN001
    await asyncio.gather(deadlines.sweep(app.ctx.db, at), deadlines.sweep(app.ctx.db, at))
    app.ctx.ring_outbox()


async def _alert(user, press):  # noqa: ANN001, ANN202
    """Press, and the alert the bot answers that press with."""
    before = len(user.callback_answers)
    await press
    return await user.wait_for(lambda: next((a for a in user.callback_answers[before:] if a.show_alert), None))


async def write_to(resident, payload: str, text: str, t, deputy: str = "钱多") -> tuple[str, object]:  # noqa: ANN001
    """Scan a deputy's code, write without photos or place; the card and the receipt."""
    await resident.send(f"/start {payload}")
    card = await resident.expect(deputy)
    await resident.press(t("Write to this deputy"), card)
    await resident.expect()
    await resident.send(text)
    await resident.press(t("Continue"), await resident.expect(t("Continue")))
    await resident.press(t("Send without location"), await resident.expect(t("Send without location")))
    receipt = await resident.expect("DB-2026-")
    return tracking_number(receipt.text), (card, receipt)


@pytest.mark.parametrize("locale", LANGUAGES)
async def test_a_letter_to_a_deputy_not_on_the_bot_is_the_stations_until_they_join(tg, db, start_bot, clock,
                                                                                 locale):
    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    world = await build_world(db)
    await _speak(db, locale, World.STATION_STAFF, World.RESIDENT, World.OTHER_RESIDENT)
    payload = await _code(db, world.offline_deputy)
    app = await start_bot(send_rate_per_chat=100)
    resident = tg.user(World.RESIDENT, "Li", language_code=LANGUAGES[locale])
    neighbour = tg.user(World.OTHER_RESIDENT, "Zhang", language_code=LANGUAGES[locale])
    staff = tg.user(World.STATION_STAFF, "Zhou", language_code=LANGUAGES[locale])

    # The card and the receipt say who reads the letter, and what happens if nobody answers in time.
    answered, (card, receipt) = await write_to(resident, payload, "村口路灯坏了", t)
    assert t("This deputy has not joined the bot yet. Until they do, the liaison staff of {station} read and "
             "answer what you write to them, within the same time.", station="东街联络站") in card.text
    letter = await _inquiry(db, answered)
    assert letter.office_due_on.isoformat() == "2026-03-16"  # 5 days after the 9th's end; the 15th is a Sunday
    assert t("Deputy {deputy} has not joined the bot yet, so the liaison staff of {station} are handling your "
             "message until they do. If it is still unanswered on {due}, the congress office takes it over and "
             "answers you by {office_due}.", deputy="钱多", station="东街联络站", due="2026-03-09",
             office_due="2026-03-16") in receipt.text
    assert await _owner(db, answered) == World.STATION_STAFF  # first-contact responsibility is the station's

    # The station's clerk opens it from the notice and answers; the resident hears who answered.
    notice = await staff.expect(answered)
    assert t("Deputy {deputy} has not joined the bot yet, so this message is yours to handle until they do: "
             "answer it, refer it, or reassign it. The resident has been told so.", deputy="钱多") in notice.text
    await staff.press(t("Open"), notice)
    thread = await staff.expect(answered)
    assert {t("Reply"), t("Refer to a platform"), t("Reassign to another deputy"),
            t("« Main menu")} <= set(thread.button_texts)
    await staff.press(t("Reply"), thread)
    await staff.expect()
    await staff.send("已通知供电所，三天内修好")
    await staff.expect(t("Your answer was passed on to the resident."))
    reply = await resident.expect("已通知供电所，三天内修好")
    assert t("{who} answered your message {number}:", number=answered, who=t(
        "The liaison staff of {station}, for deputy {deputy},", station="东街联络站", deputy="钱多")) in reply.text

    # A second letter is still open when its reminder comes: the clerk is reminded, for the deputy.
    waiting, _screens = await write_to(neighbour, payload, "垃圾桶满了没人收", t)
    await staff.expect(waiting)  # the notice of it
    clock.set(sh(2026, 3, 6, 9, 5))
    await _sweep(app, clock())
    reminder = await staff.expect(waiting)
    assert t("You handle it for deputy {deputy}, who has not joined the bot yet.", deputy="钱多") in reminder.text

    # The deputy joins: what is still open is theirs now, and everyone concerned hears it.
    async with db.session() as s:
        invite = await invites.create(s, None, Role.deputy, ttl_days=7, deputy_id=world.offline_deputy, now=clock())
    deputy = tg.user(JOINING, "Qian", language_code=LANGUAGES[locale])
    await deputy.send(f"/start {invite.payload}")
    handed = await deputy.wait_for(lambda m: waiting in (m.text or ""))
    assert answered not in handed.text and t("My inbox") in handed.button_texts
    assert await _owner(db, waiting) == JOINING
    told = await neighbour.wait_for(lambda m: t(
        "Deputy {deputy} has joined the bot and now handles your message {number} in person.", deputy="钱多",
        number=waiting) in (m.text or ""))
    assert t("Reply") in told.button_texts
    await staff.wait_for(lambda m: t("Deputy {deputy} has joined the bot and now handles their messages themselves: "
                                     "{numbers}.", deputy="钱多", numbers=waiting) in (m.text or ""))
    await deputy.press(t("My inbox"), handed)
    assert (await deputy.wait_for(lambda m: m.button_texts and m.button_texts[0].startswith(waiting))).text
    await deputy.press(lambda text: text.startswith(waiting))
    assert t("Reply") in (await deputy.wait_for(lambda m: "垃圾桶满了没人收" in (m.text or ""))).button_texts

    # Nobody answers in seven days: the resident is told the congress office has it, and by when it answers.
    neighbour.drain()
    staff.drain()
    clock.set(sh(2026, 3, 10, 0, 5))
    await _sweep(app, clock())
    overdue = await neighbour.expect(waiting)
    assert overdue.text == t(
        "Your message {number} to deputy {deputy} was not answered by its due date, {due}. It has now been passed "
        "to the congress office, which will answer you by {office_due}. You do not need to write again.",
        number=waiting, deputy="钱多", due="2026-03-09", office_due="2026-03-16")
    alert = await staff.expect(waiting)
    assert t("The resident was told the congress office answers by {office_due}.", office_due="2026-03-16") \
        in alert.text
    await _sweep(app, sh(2026, 3, 11, 9))
    await neighbour.no_message()
    await resident.wait_for(lambda m: answered in (m.text or ""))
    assert all(answered not in (m.text or "") for m in neighbour.inbox)


@pytest.mark.parametrize("locale", LANGUAGES)
async def test_the_resident_rates_an_answer_and_a_referral_once_and_staff_see_it(tg, db, start_bot, locale):
    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    world = await build_world(db)
    await _speak(db, locale, World.RESIDENT, World.CENTRAL_STAFF)
    payload = await _code(db, world.deputy)
    await start_bot(send_rate_per_chat=100)
    resident = tg.user(World.RESIDENT, "Li", language_code=LANGUAGES[locale])
    deputy = tg.user(World.DEPUTY_USER, "Wang", language_code="zh-hans")
    staff = tg.user(World.CENTRAL_STAFF, "Chen", language_code=LANGUAGES[locale])

    answered, _screens = await write_to(resident, payload, "路灯坏了", t, deputy="王芳")
    referred, _screens = await write_to(resident, payload, "占道经营", t, deputy="王芳")
    # Nothing to rate before an answer, whatever a forged button says.
    refused = await _alert(resident, resident.press_data(f"dcr:{int(answered[-6:])}:resolved"))
    assert refused.text == t("You can rate an answer once it has been answered or referred.")

    notices = [await deputy.expect(answered), await deputy.expect(referred)]
    await deputy.press(translate("zh_CN", "Open"), notices[0])
    await deputy.press(translate("zh_CN", "Reply"), await deputy.expect(answered))
    await deputy.expect()
    await deputy.send("已修好")
    await deputy.expect(translate("zh_CN", "Your answer was passed on to the resident."))
    answer = await resident.expect("已修好")
    assert t("Rate this answer") in answer.button_texts
    await resident.press(t("Rate this answer"), answer)
    question = await resident.expect(t("Did the answer to {number} solve the matter?", number=answered))
    assert question.button_texts == [t("Resolved"), t("Partly resolved"), t("Not resolved")]
    await resident.press(t("Partly resolved"), question)
    thanked = await resident.wait_for(lambda m: m.message_id == question.message_id
                                      and t("No comment") in m.button_texts)  # the question became the thanks
    assert t("Thank you. Your rating of {number}: {rating}.", number=answered, rating=t("Partly resolved")) \
        in thanked.text
    await resident.send("只修好了一盏")
    await resident.expect(t("Thank you: your comment was passed on with your rating."))
    await resident.wait_for(lambda m: m.message_id == question.message_id and not m.buttons)  # the form moved on
    await deputy.wait_for(lambda m: "只修好了一盏" in (m.text or ""))
    again = await _alert(resident, resident.press(t("Rate this answer"), answer))  # once only
    assert again.text == t("You have already rated this answer. Thank you.")

    deputy.drain()
    await deputy.press(translate("zh_CN", "Open"), notices[1])
    await deputy.press(translate("zh_CN", "Refer to a platform"), await deputy.expect(referred))
    await deputy.press(translate("zh_CN", "Market supervision"), await deputy.expect())
    await deputy.expect()
    await deputy.send("已转市场监管所")
    told = await resident.wait_for(lambda m: referred in (m.text or "") and t("Rate this answer") in m.button_texts)
    resident.drain()
    await resident.press(t("Rate this answer"), told)
    second = await resident.expect(t("Did the answer to {number} solve the matter?", number=referred))
    await resident.press(t("Resolved"), second)
    await resident.press(t("No comment"), await resident.wait_for(
        lambda m: m.message_id == second.message_id and t("No comment") in m.button_texts))
    await resident.expect(t("Thank you for your rating."))
    assert not (await resident.wait_for(lambda m: m.message_id == second.message_id and not m.buttons)).buttons

    # The deputy's statistics count the residents' verdicts; the export lists each letter with its own.
    await staff.send("/menu")
    await staff.press(t("Deputy statistics"), await staff.expect())
    table = await staff.expect(t("Deputies: messages from residents, last 12 months"))
    header = next(line for line in table.text.splitlines() if t("Solved") in line)
    assert header.split()[-3:] == [t("Solved"), t("Partly"), t("Unsolved")]
    row = next(line for line in table.text.splitlines() if line.startswith("王芳"))
    assert row.split()[-3:] == ["1", "1", "0"]
    await staff.press(t("XLSX"), table)
    book = load_workbook(io.BytesIO((await staff.expect()).document_bytes))
    letters = book[t("Letters")]
    rows = {r[0]: r for r in letters.iter_rows(min_row=2, values_only=True)}
    assert rows[answered][8:] == (t("Partly resolved"), "只修好了一盏")
    assert rows[referred][8:] == (t("Resolved"), None)
    assert [c.value for c in letters[1]][8] == t("Resident's rating")


@pytest.mark.parametrize("locale", LANGUAGES)
async def test_a_meeting_has_a_time_a_place_clear_states_and_a_reminder(tg, db, start_bot, clock, locale):
    def t(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    world = await build_world(db)
    await _speak(db, locale, World.DEPUTY_USER, World.RESIDENT, World.OTHER_RESIDENT)
    payload = await _code(db, world.deputy)
    app = await start_bot(send_rate_per_chat=100)
    resident = tg.user(World.RESIDENT, "Li", language_code=LANGUAGES[locale])
    neighbour = tg.user(World.OTHER_RESIDENT, "Zhang", language_code=LANGUAGES[locale])
    deputy = tg.user(World.DEPUTY_USER, "Wang", language_code=LANGUAGES[locale])
    hint = t(meetings.HINT, iso="2026-03-04 15:00", month=3, day=4, hour=15, hour12=3)  # the coming week

    # The deputy offers no slots: a day, then a time, as buttons, each screen in place of the last.
    await resident.send(f"/start {payload}")
    await resident.press(t("Book a meeting"), await resident.expect("王芳"))
    days = await resident.expect(hint)
    assert len(days.button_texts) == 7 and days.button_texts[0].endswith("3/3")  # from tomorrow, a week
    await resident.press(lambda text: text.endswith("3/4"), days)
    times = await resident.wait_for(lambda m: m.message_id == days.message_id and "15:00" in m.button_texts)
    await resident.press("15:00", times)
    await resident.wait_for(lambda m: m.message_id == days.message_id
                            and t("Meeting time: {when}", when="2026-03-04 15:00") in (m.text or ""))
    await resident.press(t("Skip"), await resident.expect())
    receipt = await resident.expect("2026-03-04 15:00")
    first = tracking_number(receipt.text)
    assert t("Place: {place}", place="东街联络站") in receipt.text  # the deputy's station, by default

    # Another resident types: refused with an example of the coming week, then a common form is read.
    await neighbour.send(f"/start {payload}")
    await neighbour.press(t("Book a meeting"), await neighbour.expect("王芳"))
    await neighbour.expect(hint)
    await neighbour.send("下周找个时间")
    assert hint in (await neighbour.expect(hint)).text
    await neighbour.send("3月12日 下午3点")
    await neighbour.press(t("Skip"), await neighbour.expect())
    second = tracking_number((await neighbour.expect("2026-03-12 15:00")).text)

    # The deputy confirms the first; once confirmed it can be moved or cancelled, never declined.
    notice = await deputy.expect(first)
    await deputy.expect(second)
    await deputy.press(t("Open"), notice)
    thread = await deputy.expect(first)
    await deputy.press(t("Accept"), thread)
    await deputy.expect(t("Meeting on {when} confirmed; the resident has been told.", when="2026-03-04 15:00"))
    confirmed = await resident.expect(first)
    assert t("Place: {place}", place="东街联络站") in confirmed.text
    refused = await _alert(deputy, deputy.press(t("Decline"), thread))  # the old screen's button
    assert refused.text == t("This meeting is {status}; it can no longer be declined. Cancel it instead, with a "
                             "reason.", status=t("meeting confirmed"))
    await deputy.press(t("Open"), notice)
    confirmed_thread = await deputy.expect(first)
    assert t("Decline") not in confirmed_thread.button_texts
    assert {t("Move"), t("Cancel the meeting"), t("Change the place")} <= set(confirmed_thread.button_texts)
    assert t("Mark held") not in confirmed_thread.button_texts  # not before it has taken place
    await deputy.press(t("Change the place"), confirmed_thread)
    await deputy.expect()
    await deputy.send("东街联络站二楼会议室")
    await deputy.expect("东街联络站二楼会议室")
    moved_place = await resident.expect(first)
    assert t("Place: {place}", place="东街联络站二楼会议室") in moved_place.text

    # The day before, at 09:00, the resident is reminded once.
    clock.set(sh(2026, 3, 3, 9, 5))
    await _sweep(app, clock())
    reminder = await resident.expect(first)
    assert reminder.text.startswith(t("Reminder: tomorrow, {when}, you meet deputy {deputy} ({number}). If you "
                                      "cannot come, reply here.", when="2026-03-04 15:00", deputy="王芳", number=first))
    assert "东街联络站二楼会议室" in reminder.text
    await _sweep(app, sh(2026, 3, 3, 20))
    await resident.no_message()

    # After it, the deputy is asked whether it took place, and records it held.
    deputy.drain()
    clock.set(sh(2026, 3, 4, 18, 5))
    await _sweep(app, clock())
    asked = await deputy.expect(first)
    await deputy.press(t("Mark held"), asked)
    await deputy.expect(t("{number}: the meeting is recorded as held.", number=first))
    again = await _alert(deputy, deputy.press_data(f"ibx:held:{int(first[-6:])}"))
    assert again.text == t("This meeting is {status}; only a confirmed or moved meeting can be marked held.",
                           status=t("meeting held"))

    # The second request was left until its time passed: it can no longer be confirmed.
    clock.set(sh(2026, 3, 12, 16))
    late = await _alert(deputy, deputy.press_data(f"ibx:accept:{int(second[-6:])}"))
    assert late.text == t("The time asked for, {when}, has passed: the meeting can no longer be confirmed. Move it "
                          "to a new time, or decline it.", when="2026-03-12 15:00")
    async with db.session() as s:
        assert (await s.get(Inquiry, int(second[-6:]))).status == "open"
        assert (await s.get(Inquiry, int(first[-6:]))).status == "held"
