"""A voted candidate becomes a project: numbered, traced to its suggestions, with the plan clock running."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import Deadline, Notification, Role
from models.projects import PLAN_DEADLINE, Project
from models.suggestions import Candidate, Suggestion
from services import candidates, people, projects, suggestions
from services.auth import load_actor
from services.calendar import HolidayCalendar
from services.errors import DomainError, PermissionDenied
from services.i18n import translate

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SH).astimezone(timezone.utc)
RULES = projects.Rules(plan_months=1, remind_days=7, tz=SH, calendar=HolidayCalendar())
SUGGEST = suggestions.Rules(categories=("roads",), per_day=5, tz=SH)


async def _actor(session, uid: int, role: Role | None = None):  # noqa: ANN001
    user, _ = await people.ensure_user(session, people.Contact(uid, f"User{uid}", None, "zh-hans"))
    if role is not None:
        await people.grant_role(session, uid, role, by=None)
    return await load_actor(session, user)


async def _candidate(db) -> tuple[int, int]:  # noqa: ANN001
    async with db.session() as s:
        resident = await _actor(s, 11)
        staff = await _actor(s, 12, Role.staff)
        made = await suggestions.submit(s, resident, SUGGEST, suggestions.Draft(
            category="roads", description="No street lights on the lane to the school.", place_text="East Lane",
            latitude=22.35, longitude=110.94), NOW)
        candidate = await candidates.accept_into_pool(s, staff, made.id, candidates.CandidateFields(
            "East Lane street lights", "Twelve solar lights along East Lane.", 150_000), NOW)
    return candidate.id, made.id


async def test_a_voted_candidate_becomes_a_numbered_project_with_its_plan_clock(db):
    candidate_id, suggestion_id = await _candidate(db)
    async with db.session() as s:
        staff = await _actor(s, 12, Role.staff)
        project = await projects.create_from_candidate(s, staff, candidate_id, NOW, RULES, vote_session_id=3)
    assert project.number == "XM-2026-001"
    async with db.session() as s:
        stored = await s.get(Project, project.id)
        assert (stored.title, stored.budget, stored.vote_session_id) == ("East Lane street lights", 150_000, 3)
        assert (stored.latitude, stored.longitude, stored.place_text) == (22.35, 110.94, "East Lane")
        assert (await s.get(Candidate, candidate_id)).status == "voted"
        assert (await s.get(Suggestion, suggestion_id)).status == "voted"
        deadline = await s.scalar(select(Deadline).where(Deadline.kind == PLAN_DEADLINE,
                                                         Deadline.subject_id == project.id))
        # One month from Mon Mar 2 ends Thu Apr 2 at 24:00; the reminder comes a week before, at 09:00.
        assert deadline.due_at == datetime(2026, 4, 3, tzinfo=SH)
        assert deadline.remind_at == datetime(2026, 3, 26, 9, tzinfo=SH)
        notices = list(await s.scalars(select(Notification.text).where(Notification.chat_id == 11)))
        assert translate("zh_CN", suggestions.AUTHOR_NOTICES["voted"], number=f"MS-2026-{suggestion_id:06d}",
                         title="East Lane street lights") in notices


async def test_a_candidate_becomes_a_project_once_and_only_by_staff(db):
    candidate_id, _ = await _candidate(db)
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await projects.create_from_candidate(s, await _actor(s, 11), candidate_id, NOW, RULES)
    async with db.session() as s:
        staff = await _actor(s, 12, Role.staff)
        await projects.create_from_candidate(s, staff, candidate_id, NOW, RULES)
    async with db.session() as s:
        staff = await _actor(s, 12, Role.staff)
        with pytest.raises(DomainError):
            await projects.create_from_candidate(s, staff, candidate_id, NOW, RULES)
    async with db.session() as s:
        assert len(list(await s.scalars(select(Project)))) == 1
