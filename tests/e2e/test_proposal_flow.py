"""Written proposals end to end: a deputy files, the department answers late, the deputy rates.

The clock is the test's: `clock.set(...)` moves the app's time and the deadline sweep is
run directly, as the periodic job would at that moment.
"""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Deputy, Role
from models.proposals import Proposal, ProposalReply
from services import deadlines, directory, people

TZ = ZoneInfo("Asia/Shanghai")
DEPUTY, CLERK, STAFF, OTHER_DEPUTY = 601, 602, 603, 604


async def seed(app, tg):  # noqa: ANN001, ANN201
    """Two deputies, the Transport Bureau with one clerk (reading Chinese), a staff member; returns
    the first deputy, the clerk and the staff member as fake users."""
    async with app.ctx.db.session() as s:
        for uid, name, lang in ((DEPUTY, "Wang", "en"), (OTHER_DEPUTY, "Li", "en"), (CLERK, "Zhao", "zh-hans"),
                                (STAFF, "Zhou", "en")):
            await people.ensure_user(s, people.Contact(uid, name, None, lang))
        for uid, name in ((DEPUTY, "Wang Fang"), (OTHER_DEPUTY, "Li Ming")):
            s.add(Deputy(name=name, user_id=uid))
            await people.grant_role(s, uid, Role.deputy, by=None)
        roads = await directory.ensure_department(s, None, "Transport Bureau")
        await directory.ensure_department(s, None, "Water Bureau")
        await people.grant_role(s, CLERK, Role.department, by=None, department_id=roads.id)
        await people.grant_role(s, STAFF, Role.staff, by=None)
    return tg.user(DEPUTY, "Wang"), tg.user(CLERK, "Zhao", language_code="zh-hans"), tg.user(STAFF, "Zhou")


async def sweep_at(app, clock, when: datetime, *, twice: bool = False) -> None:  # noqa: ANN001
    clock.set(when)
    sweeps = [deadlines.sweep(app.ctx.db, clock()) for _ in range(2 if twice else 1)]
    await asyncio.gather(*sweeps)
    app.ctx.ring_outbox()


async def open_menu(user, entry: str) -> None:  # noqa: ANN001
    user.drain()
    await user.send("/menu")
    menu = await user.wait_for(lambda m: entry in m.button_texts)
    user.drain()
    await user.press(entry, menu)


async def test_a_proposal_answered_late_is_escalated_once_and_rated(tg, start_bot, clock):
    app = await start_bot()
    deputy, clerk, staff = await seed(app, tg)

    await open_menu(deputy, "File a proposal")
    await deputy.expect("When are you raising it?")
    await deputy.press("At a congress session")
    await deputy.expect("Send the title")
    await deputy.send_sticker()
    await deputy.expect("Please send text here")
    await deputy.send("x" * 101)
    await deputy.expect("at most 100 characters; yours has 101")
    await deputy.send("Street lights on <East> Road")
    await deputy.expect("Now send the text")

    # A restart in the middle of the form loses nothing.
    await app.stop()
    app = await start_bot()
    await deputy.send("The road is dark at night & unsafe for pupils.")
    classes = await deputy.expect("Which class is it?")
    assert classes.button_texts == ["Ordinary: answer within 3 months", "Complex, wide-ranging: within 6 months"]
    await deputy.press("Ordinary")
    await deputy.expect("Which department should answer it?")
    await deputy.press("Transport Bureau")
    preview = await deputy.expect("Please check your proposal")
    assert "Street lights on <East> Road" in preview.text and "Department: Transport Bureau" in preview.text
    await deputy.press("Submit")
    await deputy.expect("Filed as JY-2026-0001 and handed to the department. The answer is due by 2026-06-02.")
    assert "no longer valid" in await refusal(deputy, "prw:send")  # a second tap on Submit files nothing

    handed = await clerk.expect("JY-2026-0001")
    assert "新的待答复代表建议" in handed.text and "2026-06-02" in handed.text

    # Two weeks before the last day the department is reminded; after it, everyone is told once.
    await sweep_at(app, clock, datetime(2026, 5, 19, 10, tzinfo=TZ))
    await clerk.expect("2026-06-02")
    await sweep_at(app, clock, datetime(2026, 6, 2, 10, tzinfo=TZ))
    await clerk.expect("JY-2026-0001")
    await sweep_at(app, clock, datetime(2026, 6, 3, 9, tzinfo=TZ), twice=True)
    await sweep_at(app, clock, datetime(2026, 6, 4, 9, tzinfo=TZ))
    await clerk.expect("已超期")
    await staff.expect("Overdue: Transport Bureau has not answered proposal JY-2026-0001")
    await deputy.expect("Your proposal JY-2026-0001 «Street lights on <East> Road» was not answered by 2026-06-02.")
    for user in (clerk, staff, deputy):
        await user.no_message(within=0.5)

    # The department answers a week late, with the signed letter attached.
    clock.set(datetime(2026, 6, 10, 15, tzinfo=TZ))
    await open_menu(clerk, "待答复的代表建议")
    listing = await clerk.expect("JY-2026-0001")
    assert "已超期 8 天" in listing.text
    await clerk.press(lambda text: text.startswith("JY-2026-0001"))
    await clerk.expect("Street lights on <East> Road")
    await clerk.press("撰写答复")
    await clerk.expect("JY-2026-0001")
    await clerk.send_photo()
    await clerk.expect("发送文字")
    await clerk.send("Lights will be installed by the end of June.")
    await clerk.expect("PDF")
    await clerk.send_document(b"%PDF-1.4 reply letter", "reply.pdf", "application/pdf")
    preview = await clerk.expect("reply.pdf")
    assert "Lights will be installed" in preview.text
    await clerk.press("发送答复")
    sent = await clerk.expect("JY-2026-0001")
    assert "逾期" in sent.text

    notice = await deputy.expect("Transport Bureau answered your proposal JY-2026-0001")
    assert "after the due date 2026-06-02" in notice.text and "Lights will be installed" in notice.text
    await deputy.press("Open the proposal", notice)
    await deputy.expect("JY-2026-0001")
    answer = await deputy.expect("Answer 1")
    assert "Answered after the due date." in answer.text
    assert answer.button_texts[:3] == ["satisfied", "basically satisfied", "dissatisfied"]
    letter = await deputy.next_message()
    assert letter.document_bytes == b"%PDF-1.4 reply letter"

    # Forged and foreign rating buttons are refused; the real one works.
    proposal_id = await _proposal_id(app)
    assert "no longer valid" in await refusal(deputy, f"prr:{proposal_id}:excellent")
    other = tg.user(OTHER_DEPUTY, "Li")
    await other.send("/menu")
    await other.expect("Main menu")
    assert "not allowed" in await refusal(other, f"prr:{proposal_id}:satisfied")
    await deputy.press("basically satisfied", answer)
    await deputy.expect("Thank you. Your rating was recorded: basically satisfied.")
    await clerk.expect("基本满意")

    await open_menu(staff, "Proposals")
    lists = await staff.expect("choose a list")
    assert "Answered late (1)" in lists.button_texts and "Overdue proposals (0)" in lists.button_texts
    await staff.press("Answered late (1)")
    late = await staff.expect("JY-2026-0001")
    assert "Transport Bureau" in late.text and "answered late" in late.text
    async with app.ctx.db.session() as s:
        reply = await s.scalar(select(ProposalReply))
        assert (reply.in_time, reply.rating) == (False, "basically_satisfied")


async def test_office_hands_over_records_oral_suggestions_and_dissatisfied_goes_back(tg, start_bot, clock):
    app = await start_bot()
    deputy, clerk, staff = await seed(app, tg)

    # Staff write down a deputy's oral suggestion between sessions, leaving the department open.
    await open_menu(staff, "Proposals")
    await staff.expect("choose a list")
    await staff.press("Record a deputy's oral suggestion")
    await staff.expect("Type the deputy's name")
    await staff.send("Nobody")
    await staff.expect("No deputy found")
    await staff.send("Wang")
    await staff.expect("Whose suggestion is it?")
    await staff.press("Wang Fang")
    await staff.expect("Send the title")
    await staff.send("Bus shelter at the village gate")
    await staff.expect("Now send the text")
    await staff.send("Villagers wait for the bus in the rain.")
    await staff.expect("Which class is it?")
    await staff.press("Complex")
    await staff.expect("Which department should answer it?")
    await staff.send("Transport Bureau")
    await staff.expect("Please choose with the buttons above")
    await staff.press("Let the congress office decide")
    await staff.expect("the congress office decides")
    await staff.press("Submit")
    filed = await staff.expect("Filed as JY-2026-0001.")
    assert "within 6 months of that" in filed.text
    await deputy.expect("recorded your oral suggestion as written proposal JY-2026-0001")
    await clerk.no_message()

    # Ten days later the office hands it over: the clock starts then.
    clock.set(datetime(2026, 3, 12, 10, tzinfo=TZ))
    await staff.press("Open the proposal", filed)
    card = await staff.expect("JY-2026-0001")
    assert "An oral suggestion written down by the congress office." in card.text
    await staff.press("Hand over to a department")
    await staff.expect("Which department should answer it?")
    await staff.press("Transport Bureau")
    await staff.wait_for(lambda m: "is now with Transport Bureau. The answer is due by 2026-09-14" in (m.text or ""))
    await clerk.expect("2026-09-14")  # 12 September 2026 is a Saturday: the last day moves to Monday

    # A deputy of another proposal cannot read it; a forged open is refused.
    other = tg.user(OTHER_DEPUTY, "Li")
    await other.send("/menu")
    await other.expect("Main menu")
    assert "not allowed" in await refusal(other, f"pro:open:{await _proposal_id(app)}")

    clock.set(datetime(2026, 4, 1, 10, tzinfo=TZ))
    await clerk.press("打开代表建议")
    await clerk.expect("JY-2026-0001")
    await clerk.press("撰写答复")
    await clerk.expect("JY-2026-0001")
    await clerk.send("Not in this year's budget.")
    await clerk.expect("PDF")
    await clerk.press("不附文件")
    await clerk.expect("Not in this year's budget.")
    await clerk.press("发送答复")
    await clerk.expect("JY-2026-0001")

    notice = await deputy.expect("Transport Bureau answered your proposal JY-2026-0001")
    await deputy.press("Open the proposal", notice)
    await deputy.expect("JY-2026-0001")
    answer = await deputy.expect("Answer 1")
    await deputy.press("dissatisfied", answer)
    await deputy.expect("goes back to the department for a second answer, due by 2026-05-06")
    await clerk.expect("2026-05-06")
    await staff.wait_for(lambda m: "goes back to Transport Bureau for a second answer" in (m.text or ""))

    await open_menu(deputy, "My proposals")
    mine = await deputy.expect("My proposals")
    assert "JY-2026-0001 «Bus shelter at the village gate»: with the department" in mine.text

    # The deputy withdraws it while the department works on the second answer: its clock is gone.
    await deputy.press(lambda text: text.startswith("JY-2026-0001"), mine)
    card = await deputy.expect("Status: with the department")
    assert "Answer due: 2026-05-06" in card.text
    actions = await deputy.wait_for(lambda m: "Withdraw" in m.button_texts)
    deputy.drain()
    await deputy.press("Withdraw", actions)
    await deputy.expect("Withdraw proposal JY-2026-0001?")
    await deputy.press("Yes, withdraw")
    await deputy.wait_for(lambda m: "Proposal JY-2026-0001 was withdrawn." in (m.text or ""))
    await clerk.expect("已被代表撤回")
    clock.set(datetime(2026, 6, 1, 9, tzinfo=TZ))
    assert (await deadlines.sweep(app.ctx.db, clock())).total == 0


async def refusal(user, data: str) -> str:  # noqa: ANN001
    """Press a (forged) button and return the alert the bot answers it with."""
    before = len(user.callback_answers)
    await user.press_data(data)
    while (answer := await user.next_callback_answer()) not in user.callback_answers[before:]:
        pass
    assert answer.show_alert
    return answer.text


async def _proposal_id(app) -> int:  # noqa: ANN001
    async with app.ctx.db.session() as s:
        return await s.scalar(select(Proposal.id))
