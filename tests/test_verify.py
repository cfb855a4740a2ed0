"""Verify's rules: who assigns a supervising group and who leads it, what a site-visit report
must hold, its distance from the site, who reads it, and the department's answer with its deadline."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import AuditEvent, Deadline, Deputy, Notification, Role
from models.inspections import ISSUE_DEADLINE
from services import candidates, deadlines, directory, people, projects, suggestions, verify
from services.auth import load_actor
from services.calendar import HolidayCalendar
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 6, 10, 0, tzinfo=SH).astimezone(timezone.utc)
RULES = verify.Rules(max_distance_m=2000, answer_days=7, remind_days=2, tz=SH, calendar=HolidayCalendar())
PROJECT_RULES = projects.Rules(plan_months=1, remind_days=7, tz=SH, calendar=HolidayCalendar())
SITE = (39.9100, 116.4074)
OFFICE, WEST_CLERK, EAST_CLERK, CLERK, OTHER_CLERK, RESIDENT = 11, 12, 13, 14, 15, 16
LEADER, MEMBER, OUTSIDER = 21, 22, 23
PHOTOS = [("file-1", "North end"), ("file-2", "")]


async def _actor(session, uid: int):  # noqa: ANN001
    return await load_actor(session, await session.get(people.User, uid))


async def _world(db) -> tuple[int, dict[int, int]]:  # noqa: ANN001
    """A West project of the Transport Bureau (clerk 14), sited; deputies 21 and 22 of West, 23 of East."""
    async with db.session() as s:
        for uid in (OFFICE, WEST_CLERK, EAST_CLERK, CLERK, OTHER_CLERK, RESIDENT, LEADER, MEMBER, OUTSIDER):
            await people.ensure_user(s, people.Contact(uid, f"User{uid}", None, "en"))
        west = await directory.add_station(s, None, "West")
        east = await directory.add_station(s, None, "East")
        roads = await directory.ensure_department(s, None, "Transport Bureau")
        water = await directory.ensure_department(s, None, "Water Bureau")
        await people.grant_role(s, OFFICE, Role.staff, by=None)
        await people.grant_role(s, WEST_CLERK, Role.staff, by=None, station_id=west.id)
        await people.grant_role(s, EAST_CLERK, Role.staff, by=None, station_id=east.id)
        await people.grant_role(s, CLERK, Role.department, by=None, department_id=roads.id)
        await people.grant_role(s, OTHER_CLERK, Role.department, by=None, department_id=water.id)
        deputies = {}
        for uid, station in ((LEADER, west.id), (MEMBER, west.id), (OUTSIDER, east.id)):
            await people.grant_role(s, uid, Role.deputy, by=None)
            deputy = Deputy(name=f"Deputy {uid}", station_id=station, user_id=uid)
            s.add(deputy)
            await s.flush()
            deputies[uid] = deputy.id
        made = await suggestions.submit(s, await _actor(s, RESIDENT), suggestions.Rules(("roads",), 5, SH),
                                        suggestions.Draft("roads", "No lights on the lane.", station_id=west.id,
                                                          latitude=SITE[0], longitude=SITE[1]), NOW)
        office = await _actor(s, OFFICE)
        candidate = await candidates.accept_into_pool(s, office, made.id, candidates.CandidateFields(
            "East Lane street lights", "Twelve solar lights.", 150_000, department_id=roads.id), NOW)
        project = await projects.create_from_candidate(s, office, candidate.id, NOW, PROJECT_RULES)
        return project.id, deputies


async def _grouped(db) -> tuple[int, dict[int, int]]:  # noqa: ANN001
    project_id, deputies = await _world(db)
    async with db.session() as s:
        staff = await _actor(s, WEST_CLERK)
        await verify.add_member(s, staff, project_id, deputies[LEADER], NOW)
        await verify.add_member(s, staff, project_id, deputies[MEMBER], NOW)
    return project_id, deputies


def test_distances_are_great_circle_metres():
    assert verify.distance_m(*SITE, *SITE) == 0
    assert verify.distance_m(39.9042, 116.4074, *SITE) == 645
    assert 111_000 < verify.distance_m(0, 0, 1, 0) < 111_400
    assert (verify.distance_text(645), verify.distance_text(4410)) == ("645 m", "4.4 km")


async def test_staff_of_the_projects_station_assign_the_group_with_one_leader(db):
    project_id, deputies = await _world(db)
    async with db.session() as s:
        for uid in (EAST_CLERK, LEADER, CLERK):  # another station's clerk, a deputy, a department
            with pytest.raises(PermissionDenied):
                await verify.add_member(s, await _actor(s, uid), project_id, deputies[LEADER], NOW)
        staff = await _actor(s, WEST_CLERK)
        with pytest.raises(PermissionDenied):  # an East deputy is not this West clerk's to assign
            await verify.add_member(s, staff, project_id, deputies[OUTSIDER], NOW)
        first = await verify.add_member(s, staff, project_id, deputies[LEADER], NOW)
        second = await verify.add_member(s, staff, project_id, deputies[MEMBER], NOW)
        assert (first.leader, second.leader) == (True, False)
        with pytest.raises(DomainError):
            await verify.add_member(s, staff, project_id, deputies[MEMBER], NOW)
        await verify.set_leader(s, staff, project_id, deputies[MEMBER])
        assert [(m.deputy.id, m.leader) for m in await verify.group(s, project_id)] == [
            (deputies[MEMBER], True), (deputies[LEADER], False)]
        await verify.remove_member(s, staff, project_id, deputies[MEMBER])  # the leader leaves: the next leads
        assert [(m.deputy.id, m.leader) for m in await verify.group(s, project_id)] == [(deputies[LEADER], True)]
        with pytest.raises(NotFound):
            await verify.remove_member(s, staff, project_id, deputies[MEMBER])
        # The whole office may add any deputy, the East one too.
        await verify.add_member(s, await _actor(s, OFFICE), project_id, deputies[OUTSIDER], NOW)
        assert [p.id for p, leader in await verify.supervised(s, await _actor(s, OUTSIDER))] == [project_id]
        actions = [e.action for e in await s.scalars(select(AuditEvent).where(AuditEvent.action.like("supervisor.%")))]
        assert actions.count("supervisor.add") == 3 and "supervisor.leader" in actions
        told = list(await s.scalars(select(Notification.chat_id).where(
            Notification.text.contains("supervising group of project"))))
        assert sorted(told) == [LEADER, MEMBER, OUTSIDER]


async def test_a_report_needs_photos_findings_and_an_assessment_and_records_its_distance(db):
    project_id, deputies = await _grouped(db)
    async with db.session() as s:
        leader = await _actor(s, LEADER)
        for draft in (verify.VisitDraft([], "Poles up.", "on_track"),
                      verify.VisitDraft([("f", "")] * 11, "Poles up.", "on_track"),
                      verify.VisitDraft(PHOTOS, " \u200b ", "on_track"),
                      verify.VisitDraft(PHOTOS, "Poles up.", "excellent"),
                      verify.VisitDraft(PHOTOS, "Poles up.", "on_track", latitude=91.0, longitude=0.0)):
            with pytest.raises(InvalidInput):
                await verify.submit_visit(s, leader, project_id, draft, NOW, RULES)
        for uid in (RESIDENT, CLERK, OFFICE):
            with pytest.raises(PermissionDenied):
                await verify.submit_visit(s, await _actor(s, uid), project_id, verify.VisitDraft(
                    PHOTOS, "Poles up.", "on_track"), NOW, RULES)
        near = await verify.submit_visit(s, leader, project_id, verify.VisitDraft(
            PHOTOS, "Poles up.", "on_track", latitude=39.9042, longitude=116.4074), NOW, RULES)
        far = await verify.submit_visit(s, await _actor(s, OUTSIDER), project_id, verify.VisitDraft(
            PHOTOS, "Seen from the road.", "delayed", latitude=39.95, longitude=116.4074), NOW, RULES)
        none = await verify.submit_visit(s, leader, project_id, verify.VisitDraft(PHOTOS, "Again.", "on_track"),
                                         NOW, RULES)
    assert (near.distance_m, near.far, near.quarter) == (645, False, "2026Q3")
    assert (far.distance_m, far.far) == (4448, True)  # any deputy may report on any project
    assert (none.distance_m, none.latitude, none.far) == (None, None, False)
    assert near.photos == [{"file_id": "file-1", "caption": "North end"}, {"file_id": "file-2", "caption": ""}]


async def test_reports_are_read_by_the_group_the_department_and_the_stations_staff(db):
    project_id, deputies = await _grouped(db)
    async with db.session() as s:
        visit = await verify.submit_visit(s, await _actor(s, LEADER), project_id, verify.VisitDraft(
            PHOTOS, "Poles up.", "problem", "A bare cable.", 39.9042, 116.4074), NOW, RULES)
    async with db.session() as s:
        for uid in (LEADER, MEMBER, CLERK, WEST_CLERK, OFFICE):
            assert (await verify.visit_for(s, await _actor(s, uid), visit.id)).visit.id == visit.id
            assert len((await verify.visits_of(s, await _actor(s, uid), project_id))[1]) == 1
        for uid in (OUTSIDER, OTHER_CLERK, EAST_CLERK, RESIDENT):
            with pytest.raises(PermissionDenied):
                await verify.visit_for(s, await _actor(s, uid), visit.id)
            with pytest.raises(PermissionDenied):
                await verify.visits_of(s, await _actor(s, uid), project_id)
        summary = await verify.public_summary(s, project_id)
        assert (summary.count, summary.problems, summary.latest.id) == (1, 1, visit.id)
        told = {(n.chat_id, n.text.split(" ")[0]) for n in await s.scalars(select(Notification).where(
            Notification.text.contains("Deputy 21")))}
        # The other member; the department (issues); West's own clerk (issues, problem found).
        assert {uid for uid, _ in told} == {MEMBER, CLERK, WEST_CLERK}


async def test_the_department_answers_once_and_an_unanswered_issue_is_reminded_then_escalated(db):
    project_id, deputies = await _grouped(db)
    async with db.session() as s:
        answered = await verify.submit_visit(s, await _actor(s, LEADER), project_id, verify.VisitDraft(
            PHOTOS, "Poles up.", "problem", "A bare cable."), NOW, RULES)
        waiting = await verify.submit_visit(s, await _actor(s, MEMBER), project_id, verify.VisitDraft(
            PHOTOS, "Lights out.", "delayed", "Two lights do not work."), NOW, RULES)
        quiet = await verify.submit_visit(s, await _actor(s, MEMBER), project_id, verify.VisitDraft(
            PHOTOS, "Fine.", "on_track"), NOW, RULES)
    async with db.session() as s:
        for uid in (OTHER_CLERK, LEADER, WEST_CLERK):
            with pytest.raises(PermissionDenied):
                await verify.answer_issues(s, await _actor(s, uid), answered.id, "Done.", NOW)
        clerk = await _actor(s, CLERK)
        with pytest.raises(DomainError):
            await verify.answer_issues(s, clerk, quiet.id, "Nothing to answer.", NOW)
        with pytest.raises(InvalidInput):
            await verify.answer_issues(s, clerk, answered.id, "  ", NOW)
        await verify.answer_issues(s, clerk, answered.id, "Covered on 7 July.", NOW + timedelta(days=1))
    async with db.session() as s:
        with pytest.raises(DomainError):
            await verify.answer_issues(s, await _actor(s, CLERK), answered.id, "Again.", NOW)
        clocks = {d.subject_id: d for d in await s.scalars(select(Deadline).where(Deadline.kind == ISSUE_DEADLINE))}
        assert set(clocks) == {answered.id, waiting.id}  # a report without issues owes no answer
        assert clocks[answered.id].closed_in_time
        # Seven days from Mon 6 July: Mon 13 July ends at 24:00.
        assert clocks[waiting.id].due_at == datetime(2026, 7, 14, tzinfo=SH)
        told = set(await s.scalars(select(Notification.chat_id).where(Notification.text.contains("answered the issues"))))
        assert told == {LEADER, MEMBER, WEST_CLERK}
    # Unanswered: reminded, then (two sweeps at once) escalated once to the department and West's staff.
    for when in (datetime(2026, 7, 11, 9, 30, tzinfo=SH), datetime(2026, 7, 14, 9, tzinfo=SH)):
        for _ in range(2):
            await deadlines.sweep(db, when)
    async with db.session() as s:
        rows = list(await s.scalars(select(Notification).where(Notification.text.contains("Deputy 22 raised"))))
        reminded = [n.chat_id for n in rows if n.text.startswith("Reminder")]
        overdue = sorted(n.chat_id for n in rows if "unanswered" in n.text or n.text.startswith("Overdue"))
    assert reminded == [CLERK]  # Sat 11 July: the reminder of Fri 10 July went out once
    assert overdue == sorted([CLERK, WEST_CLERK])  # the last day's reminder was skipped, not sent late


def test_the_buttons_services_pack_are_the_ones_the_handlers_read():
    from handlers.verify import VisitCb, VisitProjectCb

    assert VisitCb.unpack(verify.visit_data(5)) == VisitCb(act="show", vid=5)
    assert VisitProjectCb.unpack(verify.file_data(7)) == VisitProjectCb(act="file", pid=7)
    assert VisitProjectCb.unpack(verify.mine_data()) == VisitProjectCb(act="mine")

