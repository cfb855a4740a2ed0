"""A project's life after its plan, through the bot: staff make it from a candidate voted on
paper, a deputy asks about the plan and the department answers, staff correct the record, mark
it delayed, hand it to another department (which inherits the clock) and close it with its
completion report; a resident who follows it hears of each step, in Chinese.
"""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import AuditEvent, Deadline, Role
from models.delivery import REPORT_DEADLINE, Filing, FilingKind
from models.projects import Project
from services import candidates, deadlines, delivery, directory, people, projects, suggestions
from services.auth import load_actor
from tests.support.chat import count, notice, open_menu, press_for

TZ = ZoneInfo("Asia/Shanghai")
STAFF, CLERK, WATER_CLERK, DEPUTY, RESIDENT = 801, 802, 803, 804, 805


async def seed(app) -> int:  # noqa: ANN001
    """One candidate in the pool, the Transport Bureau's, from the resident's suggestion."""
    async with app.ctx.db.session() as s:
        for uid, name, lang in ((STAFF, "Zhou", "en"), (CLERK, "Zhao", "en"), (WATER_CLERK, "Qian", "en"),
                                (DEPUTY, "Sun", "en"), (RESIDENT, "Chen", "zh-hans")):
            await people.ensure_user(s, people.Contact(uid, name, None, lang))
        roads = await directory.ensure_department(s, None, "Transport Bureau")
        water = await directory.ensure_department(s, None, "Water Bureau")
        await people.grant_role(s, STAFF, Role.staff, by=None)
        await people.grant_role(s, CLERK, Role.department, by=None, department_id=roads.id)
        await people.grant_role(s, WATER_CLERK, Role.department, by=None, department_id=water.id)
        deputy = await directory.add_deputy(s, None, directory.DeputyFields(name="Sun Li"))
        deputy.user_id = DEPUTY
        await people.grant_role(s, DEPUTY, Role.deputy, by=None)
        resident = await load_actor(s, await s.get(people.User, RESIDENT))
        staff = await load_actor(s, await s.get(people.User, STAFF))
        suggestion = await suggestions.submit(s, resident, suggestions.Rules(("roads",), 5, TZ), suggestions.Draft(
            category="roads", description="The culvert floods.", place_text="West Lane"), app.ctx.now())
        candidate = await candidates.accept_into_pool(s, staff, suggestion.id, candidates.CandidateFields(
            "West Lane culvert", "Rebuild the culvert under West Lane.", 300_000, department_id=roads.id),
            app.ctx.now())
        return candidate.id


async def actor_of(s, uid: int):  # noqa: ANN001, ANN201
    return await load_actor(s, await s.get(people.User, uid))


async def test_a_project_voted_on_paper_is_asked_about_kept_handed_over_and_closed(tg, start_bot, clock):
    clock.set(datetime(2026, 4, 9, 10, tzinfo=TZ))
    app = await start_bot()
    await seed(app)
    staff, clerk, water = tg.user(STAFF, "Zhou"), tg.user(CLERK, "Zhao"), tg.user(WATER_CLERK, "Qian")
    deputy, resident = tg.user(DEPUTY, "Sun"), tg.user(RESIDENT, "Chen", language_code="zh-hans")

    # Staff record the candidate the congress voted on paper two days ago.
    await open_menu(staff, "Candidate pool")
    pool = await staff.wait_for(lambda m: (m.text or "").startswith("Candidate pool"))
    await staff.press("West Lane culvert", pool)
    card = await staff.wait_for(lambda m: "Voted on paper: make it a project" in m.button_texts)
    await staff.press("Voted on paper: make it a project", card)
    await notice(staff, "On which day did the congress vote")
    await staff.send("2026-04-12")
    await notice(staff, "cannot be in the future")
    await staff.send("2026-04-07")
    made = await notice(staff, "Project XM-2026-001 «West Lane culvert» is made")
    assert "the implementation plan is due by 2026-05-07" in made.text
    told = await notice(clerk, "Project XM-2026-001 «West Lane culvert» was voted, and your department implements it")
    assert "due by 2026-05-07" in told.text
    await notice(resident, "人大代表已票决通过项目“West Lane culvert”")  # the author of the suggestion behind it

    async with app.ctx.db.session() as s:
        project = await s.scalar(select(Project))
        assert project.voted_at.astimezone(TZ).date() == date(2026, 4, 7) and project.vote_session_id is None
        rules = projects.Rules.from_settings(app.ctx.settings)
        plan = await delivery.submit_plan(s, await actor_of(s, CLERK), project.id, delivery.PlanDraft(
            "Dig, lay a 1.2 m pipe, resurface.", "Li Wei", [("Pipe laid", date(2026, 8, 31))]), clock(), rules)
        await delivery.review(s, await actor_of(s, STAFF), plan.id, True, clock(), rules)
    await notice(resident, "实施方案已确定")

    # The deputy asks about the plan from the project's page; the department answers in the bot.
    await open_menu(deputy, "This year's projects")
    listing = await deputy.wait_for(lambda m: (m.text or "").startswith("This year's projects"))
    page = await press_for(deputy, lambda t: t.startswith("XM-2026-001"), listing, "XM-2026-001")
    await deputy.press("Comment or ask the department", page)
    await notice(deputy, "Your comment or question on the implementation plan")
    await deputy.send("\u200b\u2060")  # invisible only
    await notice(deputy, "The text cannot be empty")
    await deputy.send("Will the lane stay open to the school bus while the pipe is laid?")
    await notice(deputy, "Sent to the department")
    asked = await notice(clerk, "Deputy Sun Li on the implementation plan of project XM-2026-001")
    assert "school bus" in asked.text
    clerk.drain()
    await clerk.press("Answer", asked)
    await notice(clerk, "Your answer to the deputy's comment")
    await clerk.send("Yes: one lane stays open, and the works stop at school times.")
    await notice(clerk, "Your answer was sent to the deputy")
    answered = await notice(deputy, "Transport Bureau answered your comment on the implementation plan")
    assert "one lane stays open" in answered.text
    assert "answered already" in await refused(clerk, "Answer", asked)  # the old button, pressed again
    page = await press_for(deputy, "Open the project", answered, "XM-2026-001")
    assert "Deputies' comments" in page.text and "school bus" in page.text and "one lane stays open" in page.text

    # Staff correct the budget (a bad amount is answered, nothing changes), then mark it delayed.
    page = await press_for(staff, "Open the project", made, "XM-2026-001")
    await staff.press("Keep the record", page)
    record = await staff.wait_for(lambda m: (m.text or "").startswith("Record of XM-2026-001"))
    assert "Budget: 300,000 yuan" in record.text
    await staff.press("Edit budget", record)
    await notice(staff, "The budget in yuan")
    await staff.send("a lot")
    await notice(staff, "Write the budget in yuan")
    await staff.send("450000")
    saved = await notice(staff, "Saved.")
    assert "Budget: 450,000 yuan" in saved.text
    await staff.press("Mark as delayed", saved)
    await notice(staff, "Why? The reason is shown")
    await staff.send("The pipe supplier is late.")
    delayed = await notice(staff, "Saved: XM-2026-001 is now delayed")
    await notice(resident, "项目XM-2026-001“West Lane culvert”进度滞后：The pipe supplier is late.")

    # Another department takes over: the quarter's report it now owes reminds its clerk, not the first.
    await staff.press("Change department", delayed)
    choose = await staff.wait_for(lambda m: "Water Bureau" in m.button_texts)
    assert "Transport Bureau" not in choose.button_texts
    await staff.press("Water Bureau", choose)
    await staff.wait_for(lambda m: "now implemented by Water Bureau" in (m.text or ""))
    await notice(water, "Project XM-2026-001 «West Lane culvert» is now implemented by your department")
    await notice(clerk, "is now implemented by Water Bureau: your department no longer files on it")
    async with app.ctx.db.session() as s:
        report = await s.scalar(select(Filing).where(Filing.kind == FilingKind.progress))
        clock_row = await s.scalar(select(Deadline).where(Deadline.kind == REPORT_DEADLINE,
                                                          Deadline.subject_id == report.id))
        events = {e.action: e.detail for e in await s.scalars(select(AuditEvent).where(
            AuditEvent.subject_type == "project"))}
    assert events["project.edit"] == {"field": "budget", "before": 300_000, "after": 450_000}
    assert events["project.status"]["after"] == "delayed"
    assert events["project.department"]["after"] != events["project.department"]["before"]
    clock.set(clock_row.remind_at + timedelta(minutes=1))
    await deadlines.sweep(app.ctx.db, clock())
    app.ctx.ring_outbox()
    await notice(water, "Reminder: the progress report for Q2 2026 on project XM-2026-001")
    await asyncio.sleep(0.5)
    assert count(clerk, "Reminder: the progress report") == 0
    water.drain()

    # Staff close it with its completion report: the quarterly clock stops, everyone hears of it.
    page = await press_for(staff, "Open the project", made, "XM-2026-001")
    await staff.press("Keep the record", page)
    record = await staff.wait_for(lambda m: "Close as completed" in m.button_texts)
    await staff.press("Close as completed", record)
    await notice(staff, "Send the completion report")
    await staff.send("The culvert is rebuilt; West Lane no longer floods. Cost 438,000 yuan.")
    await notice(staff, "You may attach the report as a PDF")
    await staff.send_photo()
    await notice(staff, "Photos saved: 1 of 10")
    staff.drain()
    await staff.press("Done", await staff.wait_for(lambda m: "Done" in m.button_texts))
    preview = await notice(staff, "Please check the completion report")
    assert "Attachments: 1" in preview.text
    await staff.press("Close the project", preview)
    await notice(staff, "The project is closed as completed")
    await notice(resident, "项目XM-2026-001“West Lane culvert”已办结。")
    await notice(water, "Project XM-2026-001 «West Lane culvert» is completed.")
    async with app.ctx.db.session() as s:
        project = await s.get(Project, project.id)
        assert (project.status, project.progress) == ("completed", 100)
        assert (await s.get(Deadline, clock_row.id)).closed_at is not None
    # The record is closed: the old "Keep the record" button is refused.
    assert "record is closed" in await refused(staff, "Close as completed", record)
    page = await press_for(resident, "打开项目", await notice(resident, "已办结"), "XM-2026-001")
    assert "完工报告" in page.text and "Keep the record" not in page.button_texts


async def refused(user, button: str, message) -> str:  # noqa: ANN001
    """Press `button` and return the alert the bot answers the press with."""
    query_id = await user.press(button, message)
    await user.wait_for(lambda: any(a.query_id == query_id for a in user.callback_answers))
    return next(a.text or "" for a in user.callback_answers if a.query_id == query_id)
