"""Deliver end to end over a year, on the test's clock: two projects voted by secret ballot, one plan filed in time
through the bot and one late (reminded once, escalated once), quarterly reports in Q2 and Q3 with
one sent back and filed again; a follower (English) and the resident whose suggestions became the
projects (Chinese, following automatically) hear of each accepted filing; the resident reads the
public list.

`clock.set(...)` moves the app's time; the deadline sweep and the quarter job are run directly,
as the scheduler would at that moment.
"""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from jobs.registry import JOBS, JobContext
from models import Deadline, Role
from models.projects import PLAN_DEADLINE, Project
from services import candidates, deadlines, delivery, directory, people, projects, suggestions, votes
from services.auth import load_actor
from tests.support.chat import count, notice, open_menu, press_for

TZ = ZoneInfo("Asia/Shanghai")
VOTED = datetime(2026, 4, 7, 9, 0, tzinfo=TZ)
STAFF, CLERK, RESIDENT, FOLLOWER = 701, 702, 703, 704
DEPUTIES = (711, 712, 713)


def at(day: int, hour: int = 10) -> datetime:
    """`day` days after the vote, at `hour` local time."""
    return (VOTED + timedelta(days=day)).replace(hour=hour)


async def seed(app) -> list[int]:  # noqa: ANN001
    """The Transport Bureau's two projects, from two of the resident's suggestions, voted at the
    congress by secret ballot: three deputies present, each votes for both."""
    settings = app.ctx.settings
    rules = votes.Rules.from_settings(settings)
    async with app.ctx.db.session() as s:
        for uid, name, lang in ((STAFF, "Zhou", "en"), (CLERK, "Zhao", "en"), (RESIDENT, "Chen", "zh-hans"),
                                (FOLLOWER, "Liu", "en"), *((uid, f"Deputy{uid}", "en") for uid in DEPUTIES)):
            await people.ensure_user(s, people.Contact(uid, name, None, lang))
        roads = await directory.ensure_department(s, None, "Transport Bureau")
        await people.grant_role(s, STAFF, Role.staff, by=None)
        await people.grant_role(s, CLERK, Role.department, by=None, department_id=roads.id)
        for uid in DEPUTIES:
            deputy = await directory.add_deputy(s, None, directory.DeputyFields(name=f"Deputy {uid}"))
            deputy.user_id = uid
            await people.grant_role(s, uid, Role.deputy, by=None)
        resident = await load_actor(s, await s.get(people.User, RESIDENT))
        staff = await load_actor(s, await s.get(people.User, STAFF))
        vote = await votes.create(s, staff, "Shuikou 18th congress, 3rd session", VOTED.date(), "Town hall", VOTED)
        for title, what in (("East Lane street lights", "The lane is dark."), ("Market toilets", "None at all.")):
            suggestion = await suggestions.submit(s, resident, suggestions.Rules(("roads",), 5, TZ), suggestions.Draft(
                category="roads", description=what, place_text="East Lane"), VOTED)
            candidate = await candidates.accept_into_pool(s, staff, suggestion.id, candidates.CandidateFields(
                title, what, 100_000, department_id=roads.id), VOTED)
            await votes.add_item(s, staff, vote.id, candidate.id, VOTED)
        await votes.add_eligible(s, staff, vote.id, VOTED, everyone=True)
        await votes.open_checkin(s, staff, vote.id, VOTED, lambda sid: f"dv:checkin:{sid}")
        code, _ = await votes.current_code(s, staff, vote.id, VOTED, rules)
    for uid in DEPUTIES:
        async with app.ctx.db.session() as s:
            deputy = await load_actor(s, await s.get(people.User, uid))
            assert (await votes.check_in(s, deputy, vote.id, code, VOTED, rules))[0] == votes.CheckIn.done
    async with app.ctx.db.session() as s:
        await votes.open_voting(s, staff, vote.id, VOTED, rules, lambda sid, r: f"bt:o:{sid}:{r}::0:")
    for uid in DEPUTIES:
        async with app.ctx.db.session() as s:
            await votes.submit(s, await load_actor(s, await s.get(people.User, uid)), vote.id, 1, "yy")
    async with app.ctx.db.session() as s:
        await votes.close_voting(s, staff, vote.id, VOTED)
    async with app.ctx.db.session() as s:
        await votes.confirm(s, staff, vote.id, VOTED, rules)
    async with app.ctx.db.session() as s:
        made = list(await s.scalars(select(Project).order_by(Project.seq)))
    assert [p.vote_session_id for p in made] == [vote.id, vote.id]
    return [p.id for p in made]


async def sweep_at(app, clock, when: datetime, *, twice: bool = False) -> None:  # noqa: ANN001
    clock.set(when)
    await asyncio.gather(*(deadlines.sweep(app.ctx.db, clock()) for _ in range(2 if twice else 1)))
    app.ctx.ring_outbox()


async def open_project(clerk, number: str):  # noqa: ANN001, ANN201
    await open_menu(clerk, "My projects")
    listing = await clerk.wait_for(lambda m: (m.text or "").startswith("My projects"))
    return await press_for(clerk, lambda t: t.startswith(number), listing, number)


async def review(staff, what: str, accept: bool, comment: str = "") -> None:  # noqa: ANN001
    waiting = await notice(staff, what)
    staff.drain()
    await staff.press("Review", waiting)
    shown = await staff.wait_for(lambda m: m in staff.unread and "Accept" in m.button_texts)
    await staff.press("Accept" if accept else "Send back", shown)
    if accept:
        await notice(staff, "Accepted: the")
    else:
        await notice(staff, "Why does it go back?")
        await staff.send(comment)
        await notice(staff, "Sent back: the")


async def file_report(clerk, number: str, percent: str, text: str, *, photos: int = 0,  # noqa: ANN001
                      move: str | None = None) -> None:
    await clerk.press("File the progress report", await open_project(clerk, number))
    await notice(clerk, "How much is done")
    clerk.drain()
    await clerk.send(percent)
    await clerk.expect("What was done this quarter?")
    await clerk.send(text)
    await clerk.expect("Any problems")
    await clerk.press("Skip")
    await clerk.expect("Send photos of the work")
    if photos:
        await clerk.send_album(photos)
        await notice(clerk, "Photos saved")
    await clerk.press("Done", await clerk.wait_for(lambda m: "Done" in m.button_texts))
    asked = await clerk.wait_for(lambda m: "Did a milestone's date move?" in (m.text or ""))
    if move:
        await clerk.send(move)
    else:
        await clerk.press("Skip", asked)
    preview = await notice(clerk, "Please check the report")
    await clerk.press("Submit", preview)
    await notice(clerk, "The report was sent to the congress office")


async def test_plans_and_quarterly_reports_from_the_vote_to_the_third_quarter(tg, start_bot, clock):
    clock.set(VOTED)
    app = await start_bot()
    first, second = await seed(app)
    staff, clerk = tg.user(STAFF, "Zhou"), tg.user(CLERK, "Zhao")
    resident, follower = tg.user(RESIDENT, "Chen", language_code="zh-hans"), tg.user(FOLLOWER, "Liu")
    app.ctx.ring_outbox()  # the department hears at the vote what it owes, and by when
    for number in ("XM-2026-001", "XM-2026-002"):
        told = await notice(clerk, f"Project {number}")
        assert "was voted, and your department implements it" in told.text and "due by 2026-05-07" in told.text
    clerk.drain()

    # Anyone may follow a project from the public list.
    await open_menu(follower, "This year's projects")
    listing = await follower.wait_for(lambda m: (m.text or "").startswith("This year's projects"))
    page = await press_for(follower, lambda t: t.startswith("XM-2026-001"), listing, "XM-2026-001")
    assert "Status: plan due" in page.text and "░░░░░░░░░░ 0%" in page.text
    assert "From residents' suggestions: MS-2026-" in page.text  # traced back to what residents asked for
    await follower.press("Follow its progress", page)
    await notice(follower, "You now follow this project")

    # Day 20: the clerk files the first plan through the bot; bad input is answered, nothing lost.
    clock.set(at(20))
    await clerk.press("File the implementation plan", await open_project(clerk, "XM-2026-001"))
    await clerk.expect("Send the plan as text")
    await clerk.send_sticker()
    await clerk.expect("Please send text here")
    await clerk.send("Twelve solar lights along East Lane, paid from the county budget.")
    await clerk.expect("person in charge")
    await clerk.send("Li Wei, section chief")
    await clerk.expect("Send the milestones")
    await clerk.send("2026-04-01 Survey done\n2026-09-30 Lights working")
    await clerk.expect("2026-04-01 is in the past")
    await clerk.send("2026-06-30 Poles installed\n2026-09-30 Lights working")
    await clerk.expect("attach the plan as a PDF")
    await clerk.send_document(b"word", file_name="plan.docx", mime_type="application/msword")
    await clerk.expect("as a PDF; other files are not accepted")
    await clerk.send_document(b"%PDF-1.4 the plan", file_name="plan.pdf", mime_type="application/pdf")
    await clerk.expect("Attached: plan.pdf")
    await clerk.press("Done")
    preview = await clerk.expect("Please check the plan")
    assert "Poles installed" in preview.text and "Li Wei, section chief" in preview.text
    await clerk.press("Submit")
    await clerk.expect("sent to the congress office for review")
    await review(staff, "The implementation plan of project XM-2026-001", accept=True)
    await notice(clerk, "accepted the implementation plan of project XM-2026-001")
    await notice(follower, "Project XM-2026-001 «East Lane street lights» has its implementation plan: 2 milestones, "
                           "completion planned by 2026-09-30.")
    await notice(resident, "项目XM-2026-001“East Lane street lights”的实施方案已确定：共2个节点，计划于2026-09-30前完成。")

    # The second plan is late: reminded once though two sweeps run at once, then after a week
    # without sweeps only the escalation goes out, on the day after the last day.
    async with app.ctx.db.session() as s:
        clock_row = await s.scalar(select(Deadline).where(Deadline.kind == PLAN_DEADLINE,
                                                          Deadline.subject_id == second))
    await sweep_at(app, clock, clock_row.remind_at, twice=True)
    await notice(clerk, "Reminder: the implementation plan of project XM-2026-002")
    last_day = (clock_row.due_at - timedelta(seconds=1)).astimezone(TZ).date()
    assert (clock_row.escalate_at.astimezone(TZ).date() - last_day).days == 1
    await sweep_at(app, clock, clock_row.escalate_at + timedelta(hours=10))
    await notice(staff, "Overdue: Transport Bureau has not filed the implementation plan of project XM-2026-002")
    await notice(clerk, "The implementation plan of project XM-2026-002 «Market toilets» is overdue")
    await sweep_at(app, clock, clock_row.escalate_at + timedelta(days=1, hours=10))
    await asyncio.sleep(1)
    assert count(clerk, "Reminder: the implementation plan of project XM-2026-002") == 1
    assert count(clerk, "Today is the last day to file the implementation plan") == 0
    assert count(staff, "has not filed the implementation plan of project XM-2026-002") == 1

    # Day 35: the second plan, filed and accepted.
    clock.set(at(35))
    async with app.ctx.db.session() as s:
        filed = await delivery.submit_plan(s, await load_actor(s, await s.get(people.User, CLERK)), second,
                                           delivery.PlanDraft("Two blocks at the market.", "Wang Min",
                                                              [("Built", date(2026, 11, 30))]),
                                           clock(), projects.Rules.from_settings(app.ctx.settings))
    assert filed.status == "submitted"
    await review(staff, "The implementation plan of project XM-2026-002", accept=True)
    await notice(clerk, "accepted the implementation plan of project XM-2026-002")  # before the form's questions

    # Q2: the report on the first project; an album of 12 keeps 10, the percent is checked.
    clock.set(datetime(2026, 7, 1, 9, tzinfo=TZ))
    await JOBS["quarter_reports"].fn(JobContext(app.ctx), clock())  # opens Q3 for both
    clock.set(datetime(2026, 7, 3, 10, tzinfo=TZ))
    await clerk.press("File the progress report", await open_project(clerk, "XM-2026-001"))
    await notice(clerk, "Progress report for Q2 2026")
    clerk.drain()
    await clerk.send("150")
    await clerk.expect("whole number from 0 to 100")
    await clerk.send("40")
    await clerk.expect("What was done this quarter?")
    await clerk.send("Eight poles are up.")
    await clerk.expect("Any problems")
    await clerk.press("Skip")
    await clerk.expect("Send photos of the work")
    await clerk.send_album(12)
    saved = await notice(clerk, "2 more photos were not added")
    assert "Photos saved: 10 of 10" in saved.text
    await clerk.press("Done", saved)
    await notice(clerk, "Did a milestone's date move?")
    assert [m.message_id for m in clerk.inbox if "Done" in m.button_texts] == []  # no old prompt is left live
    await clerk.send("2 2026-10-31 rain delayed the cabling")
    preview = await notice(clerk, "Please check the report")
    assert "Moved: Lights working to 2026-10-31 (rain delayed the cabling)" in preview.text
    assert "Photos: 10" in preview.text
    await clerk.press("Submit", preview)
    await notice(clerk, "The report was sent to the congress office")
    await review(staff, "The progress report for Q2 2026 on project XM-2026-001", accept=False,
                 comment="Please say when the other four poles come.")
    returned = await notice(clerk, "sent back the progress report for Q2 2026 of project XM-2026-001")
    assert "Please say when the other four poles come." in returned.text
    staff.drain()
    await file_report(clerk, "XM-2026-001", "45", "Eight poles are up; four come in August.",
                      move="2 2026-10-31 rain delayed the cabling")
    await review(staff, "The progress report for Q2 2026 on project XM-2026-001", accept=True)
    await notice(clerk, "accepted the progress report for Q2 2026 on project XM-2026-001")
    await notice(follower, "Progress of project XM-2026-001 «East Lane street lights» in Q2 2026: 45% done.")
    await notice(resident, "项目XM-2026-001“East Lane street lights”2026年第2季度进展：已完成45%。")
    assert count(follower, "40% done") == 0  # the report sent back was never announced

    # Q3: the report of the quarter the job opened.
    clock.set(datetime(2026, 10, 9, 10, tzinfo=TZ))
    staff.drain()
    await file_report(clerk, "XM-2026-001", "70", "All poles up, lights being wired.", photos=2)
    await review(staff, "The progress report for Q3 2026 on project XM-2026-001", accept=True)
    async with app.ctx.db.session() as s:
        project = await s.get(Project, first)
        assert (project.status, project.progress) == ("in_progress", 70)

    await notice(follower, "in Q3 2026: 70% done.")
    await notice(resident, "2026年第3季度进展：已完成70%。")

    # The resident sees this year's projects with their progress, and the detail with the reports.
    await open_menu(resident, "本年度项目")
    listing = await resident.wait_for(lambda m: (m.text or "").startswith("本年度民生实事项目"))
    assert "▓▓▓▓▓▓▓░░░ 70%" in listing.text and "Transport Bureau" in listing.text
    assert "最近报告：2026-10-09" in listing.text
    detail = await press_for(resident, lambda t: t.startswith("XM-2026-001"), listing, "XM-2026-001")
    assert "2026年第3季度" in detail.text and "Lights working" in detail.text and "2026-10-31" in detail.text
    assert detail.button_texts[0] == "取消关注"  # following automatically, and free to stop
    await resident.press("取消关注", detail)
    await notice(resident, "您已取消关注该项目。")
    assert any(m.payload.get("photo") for m in resident._messages)  # the latest report's photos, before the page
