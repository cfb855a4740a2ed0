"""Deliver's rules: who may file and review, what a plan and a report must hold, corrections."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import AuditEvent, Deadline, Role
from models.delivery import REPORT_DEADLINE, Filing, FilingStatus
from models.projects import PLAN_DEADLINE, Milestone, Project
from services import candidates, delivery, directory, people, projects, suggestions
from services.auth import load_actor
from services.calendar import HolidayCalendar
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 7, 9, 0, tzinfo=SH).astimezone(timezone.utc)
RULES = projects.Rules(plan_months=1, remind_days=7, tz=SH, calendar=HolidayCalendar(), report_days=10)
SUGGEST = suggestions.Rules(categories=("roads",), per_day=5, tz=SH)
RESIDENT, STAFF, CLERK, OTHER_CLERK = 11, 12, 13, 14


async def _actor(session, uid: int):  # noqa: ANN001
    return await load_actor(session, await session.get(people.User, uid))


async def _world(db) -> int:  # noqa: ANN001
    """A project of the Transport Bureau (clerk 13); clerk 14 works for the Water Bureau."""
    async with db.session() as s:
        for uid in (RESIDENT, STAFF, CLERK, OTHER_CLERK):
            await people.ensure_user(s, people.Contact(uid, f"User{uid}", None, "en"))
        roads = await directory.ensure_department(s, None, "Transport Bureau")
        water = await directory.ensure_department(s, None, "Water Bureau")
        await people.grant_role(s, STAFF, Role.staff, by=None)
        await people.grant_role(s, CLERK, Role.department, by=None, department_id=roads.id)
        await people.grant_role(s, OTHER_CLERK, Role.department, by=None, department_id=water.id)
        made = await suggestions.submit(s, await _actor(s, RESIDENT), SUGGEST, suggestions.Draft(
            category="roads", description="No street lights on the lane.", place_text="East Lane"), NOW)
        staff = await _actor(s, STAFF)
        candidate = await candidates.accept_into_pool(s, staff, made.id, candidates.CandidateFields(
            "East Lane street lights", "Twelve solar lights.", 150_000, department_id=roads.id), NOW)
        project = await projects.create_from_candidate(s, staff, candidate.id, NOW, RULES)
        return project.id


PLAN = delivery.PlanDraft("Install twelve lights.", "Li Wei, section chief",
                          [("Poles installed", date(2026, 6, 30)), ("Lights working", date(2026, 9, 30))])


async def _accepted_plan(db, project_id: int) -> None:  # noqa: ANN001
    async with db.session() as s:
        filing = await delivery.submit_plan(s, await _actor(s, CLERK), project_id, PLAN, NOW, RULES)
    async with db.session() as s:
        await delivery.review(s, await _actor(s, STAFF), filing.id, True, NOW, RULES)


async def test_a_department_cannot_file_for_a_project_not_its_own(db):
    project_id = await _world(db)
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await delivery.submit_plan(s, await _actor(s, OTHER_CLERK), project_id, PLAN, NOW, RULES)
        with pytest.raises(PermissionDenied):
            await delivery.begin_report(s, await _actor(s, RESIDENT), project_id)
    async with db.session() as s:
        assert list(await s.scalars(select(Filing))) == []


async def test_milestones_in_the_past_and_bad_lines_are_refused():
    today = date(2026, 4, 7)
    with pytest.raises(InvalidInput) as past:
        delivery.parse_milestones("2026-06-30 Poles\n2026-04-06 Yesterday", today)
    assert "2026-04-06" in past.value.localized()
    with pytest.raises(InvalidInput):
        delivery.parse_milestones("next week poles", today)
    with pytest.raises(InvalidInput):
        delivery.parse_milestones("\u200b", today)
    assert delivery.parse_milestones("2026-09-30 Lights\n2026-04-07 Start", today) == [
        ("Start", date(2026, 4, 7)), ("Lights", date(2026, 9, 30))]


def test_percent_must_be_a_whole_number_from_0_to_100():
    assert delivery.check_percent("40%") == 40
    for bad in ("101", "-5", "forty", "4.5", "１２"):
        with pytest.raises(InvalidInput):
            delivery.check_percent(bad)


def test_a_pdf_over_20_mb_or_another_file_is_refused():
    assert delivery.check_document("plan.pdf", "application/pdf", 19 * 1024 * 1024)["name"] == "plan.pdf"
    with pytest.raises(InvalidInput) as big:
        delivery.check_document("plan.pdf", "application/pdf", 21 * 1024 * 1024)
    assert "21.0 MB" in big.value.localized()
    with pytest.raises(InvalidInput):
        delivery.check_document("plan.docx", "application/msword", 1000)


async def test_only_staff_review_and_accepting_the_plan_starts_the_quarter(db):
    project_id = await _world(db)
    async with db.session() as s:
        filing = await delivery.submit_plan(s, await _actor(s, CLERK), project_id, PLAN, NOW, RULES)
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await delivery.review(s, await _actor(s, CLERK), filing.id, True, NOW, RULES)
        with pytest.raises(InvalidInput):  # sending back needs a comment
            await delivery.review(s, await _actor(s, STAFF), filing.id, False, NOW, RULES, comment=" ")
    async with db.session() as s:
        await delivery.review(s, await _actor(s, STAFF), filing.id, True, NOW, RULES)
    async with db.session() as s:
        with pytest.raises(DomainError):  # accepted once
            await delivery.review(s, await _actor(s, STAFF), filing.id, True, NOW, RULES)
    async with db.session() as s:
        project = await s.get(Project, project_id)
        assert (project.status, project.planned_completion) == ("in_progress", date(2026, 9, 30))
        assert [m.title for m in await s.scalars(select(Milestone).order_by(Milestone.due_on))] == [
            "Poles installed", "Lights working"]
        plan_clock = await s.scalar(select(Deadline).where(Deadline.kind == PLAN_DEADLINE))
        assert plan_clock.closed_at is not None and plan_clock.closed_in_time
        report = await s.scalar(select(Filing).where(Filing.kind == "progress"))
        assert (report.quarter, report.status) == ("2026Q2", FilingStatus.due)
        clock = await s.scalar(select(Deadline).where(Deadline.kind == REPORT_DEADLINE))
        # Ten days after Tue Jun 30: Fri Jul 10 ends at 24:00.
        assert clock.due_at == datetime(2026, 7, 11, tzinfo=SH)


async def test_going_backwards_needs_a_reason_and_a_second_report_is_an_audited_correction(db):
    project_id = await _world(db)
    await _accepted_plan(db, project_id)
    async with db.session() as s:
        clerk = await _actor(s, CLERK)
        first = await delivery.submit_report(s, clerk, project_id, delivery.ReportDraft(40, "Poles ordered."), NOW,
                                             RULES)
    async with db.session() as s:
        await delivery.review(s, await _actor(s, STAFF), first.id, True, NOW, RULES)
    async with db.session() as s:
        clerk = await _actor(s, CLERK)
        with pytest.raises(InvalidInput) as backwards:
            await delivery.submit_report(s, clerk, project_id, delivery.ReportDraft(30, "Less."), NOW, RULES)
        assert "此前完成40%" in backwards.value.localized()  # the default language, zh_CN
        again = await delivery.submit_report(s, clerk, project_id, delivery.ReportDraft(
            30, "A pole fell; it is being replaced.", percent_reason="storm damage"), NOW, RULES)
    assert (again.id, again.corrections, again.status) == (first.id, 1, FilingStatus.submitted)
    async with db.session() as s:
        corrected = await s.scalar(select(AuditEvent).where(AuditEvent.action == "filing.correct"))
        assert corrected.detail["previous"]["percent"] == 40
        assert len(list(await s.scalars(select(Filing).where(Filing.kind == "progress")))) == 1


async def test_a_quarter_opens_once_however_often_the_job_runs(db):
    project_id = await _world(db)
    await _accepted_plan(db, project_id)
    later = datetime(2026, 7, 1, 9, tzinfo=SH)
    for _ in range(2):
        async with db.session() as s:
            await delivery.open_quarter_reports(s, later, RULES)
    async with db.session() as s:
        quarters = sorted(f.quarter for f in await s.scalars(select(Filing).where(Filing.kind == "progress")))
        assert quarters == ["2026Q2", "2026Q3"]
        assert len(list(await s.scalars(select(Deadline).where(Deadline.kind == REPORT_DEADLINE)))) == 2


def test_the_buttons_services_pack_are_the_ones_the_handlers_read():
    from handlers.deliver import FilingCb, ProjectCb

    assert ProjectCb.unpack(delivery.open_data(5)) == ProjectCb(act="open", pid=5)
    assert FilingCb.unpack(delivery.review_data(7)) == FilingCb(act="show", fid=7)


async def test_an_accepted_plan_reaches_followers_station_deputies_and_the_supervising_group(db):
    from models import Deputy, Notification
    from models.delivery import ProjectFollower
    from models.projects import ProjectSupervisor

    project_id = await _world(db)
    async with db.session() as s:
        west = await directory.add_station(s, None, "West")
        east = await directory.add_station(s, None, "East")
        project = await s.get(Project, project_id)
        project.station_id = west.id
        for uid, station, supervises in ((21, west.id, False), (22, east.id, True), (23, east.id, False)):
            await people.ensure_user(s, people.Contact(uid, f"Deputy{uid}", None, "en"))
            deputy = Deputy(name=f"Deputy {uid}", station_id=station, user_id=uid)
            s.add(deputy)
            await s.flush()
            if supervises:
                s.add(ProjectSupervisor(project_id=project_id, deputy_id=deputy.id))
        # The resident behind the project follows it automatically, and stops.
        assert (await s.scalar(select(ProjectFollower).where(ProjectFollower.user_id == RESIDENT))).automatic
        assert not await delivery.follow(s, await _actor(s, RESIDENT), project_id, False, NOW)
        assert await delivery.follow(s, await _actor(s, OTHER_CLERK), project_id, True, NOW)
    await _accepted_plan(db, project_id)
    async with db.session() as s:
        told = set(await s.scalars(select(Notification.chat_id).where(
            Notification.text.contains("has its implementation plan"))))
    assert told == {21, 22, OTHER_CLERK}  # not the East deputy outside the group, not the resident who stopped


# --- staff keep the record; deputies comment; the completion report ----------------------------------------


DEPUTY = 15


async def _deputy(db) -> None:  # noqa: ANN001
    async with db.session() as s:
        await people.ensure_user(s, people.Contact(DEPUTY, "Sun", None, "en"))
        deputy = await directory.add_deputy(s, None, directory.DeputyFields(name="Sun Li"))
        deputy.user_id = DEPUTY
        await people.grant_role(s, DEPUTY, Role.deputy, by=None)


async def test_the_record_refuses_bad_values_and_other_stations_and_audits_what_it_replaced(db):
    project_id = await _world(db)
    async with db.session() as s:
        east = await directory.add_station(s, None, "East station")
        west = await directory.add_station(s, None, "West station")
        (await s.get(Project, project_id)).station_id = east.id
        await people.ensure_user(s, people.Contact(16, "West clerk", None, "en"))
        await people.grant_role(s, 16, Role.staff, by=None, station_id=west.id)
    async with db.session() as s:
        with pytest.raises(PermissionDenied):  # a clerk of another station, and a department clerk
            await projects.edit(s, await _actor(s, 16), project_id, "title", "Mine now", NOW)
        with pytest.raises(PermissionDenied):
            await projects.change_department(s, await _actor(s, CLERK), project_id, 1, NOW)
        staff = await _actor(s, STAFF)
        for field, value in (("title", "\u200b"), ("budget", "lots"), ("completion", "2026-04-01"),
                             ("completion", "soon")):
            with pytest.raises(InvalidInput):
                await projects.edit(s, staff, project_id, field, value, NOW)
        with pytest.raises(DomainError):  # its status follows the plan until the plan is accepted
            await projects.set_status(s, staff, project_id, "delayed", "Rain", NOW)
        await projects.edit(s, staff, project_id, "completion", "2026-11-30", NOW)
    await _accepted_plan(db, project_id)
    async with db.session() as s:
        with pytest.raises(InvalidInput):  # delayed needs a reason
            await projects.set_status(s, await _actor(s, STAFF), project_id, "delayed", " ", NOW)
        with pytest.raises(NotFound):  # "completed" is reached by the completion report only
            await projects.set_status(s, await _actor(s, STAFF), project_id, "completed", "done", NOW)
    async with db.session() as s:
        events = [(e.action, e.detail) for e in await s.scalars(select(AuditEvent).where(
            AuditEvent.action.like("project.%")).order_by(AuditEvent.id))]
        project = await s.get(Project, project_id)
    assert ("project.edit", {"field": "completion", "before": None, "after": "2026-11-30"}) in events
    assert [a for a, _ in events].count("project.edit") == 1 and project.title == "East Lane street lights"


async def test_deputies_comment_on_accepted_filings_and_only_the_department_answers_once(db):
    project_id = await _world(db)
    await _deputy(db)
    async with db.session() as s:
        with pytest.raises(DomainError):  # nothing accepted yet
            await delivery.commentable(s, await _actor(s, DEPUTY), project_id)
    await _accepted_plan(db, project_id)
    async with db.session() as s:
        plan = await s.scalar(select(Filing).where(Filing.project_id == project_id, Filing.kind == "plan"))
        with pytest.raises(PermissionDenied):  # a resident is not a deputy
            await delivery.comment(s, await _actor(s, RESIDENT), plan.id, "Why?", NOW)
        deputy = await _actor(s, DEPUTY)
        made = [await delivery.comment(s, deputy, plan.id, f"Question {n}", NOW) for n in range(3)]
        with pytest.raises(DomainError):  # three waiting are enough
            await delivery.comment(s, deputy, plan.id, "Question 4", NOW)
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await delivery.answer(s, await _actor(s, OTHER_CLERK), made[0].id, "Not ours", NOW)
        await delivery.answer(s, await _actor(s, CLERK), made[0].id, "In June.", NOW)
    async with db.session() as s:
        with pytest.raises(DomainError):
            await delivery.answer(s, await _actor(s, CLERK), made[0].id, "Again", NOW)
        shown = await delivery.comments_of(s, project_id)
    assert [(c.row.text, c.row.answer, c.deputy) for c in shown][-1] == ("Question 0", "In June.", "Sun Li")


async def test_the_completion_report_closes_the_project_once_and_stops_the_quarterly_clock(db):
    project_id = await _world(db)
    async with db.session() as s:
        with pytest.raises(DomainError):  # a project whose plan is due is not in progress
            await delivery.complete(s, await _actor(s, STAFF), project_id, "Done.", [], NOW)
    await _accepted_plan(db, project_id)
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await delivery.complete(s, await _actor(s, CLERK), project_id, "Done.", [], NOW)
        filing = await delivery.complete(s, await _actor(s, STAFF), project_id, "Twelve lights work.", [], NOW)
    async with db.session() as s:
        project = await s.get(Project, project_id)
        open_reports = list(await s.scalars(select(Deadline).where(Deadline.kind == REPORT_DEADLINE,
                                                                   Deadline.closed_at.is_(None))))
        with pytest.raises(DomainError):
            await delivery.complete(s, await _actor(s, STAFF), project_id, "Again.", [], NOW)
        with pytest.raises(DomainError):  # the record is closed
            await projects.edit(s, await _actor(s, STAFF), project_id, "title", "New", NOW)
    assert (project.status, project.progress, filing.status) == ("completed", 100, FilingStatus.accepted)
    assert open_reports == []
