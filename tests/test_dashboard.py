"""The staff dashboard and its documents as the office would check them: open duties counted by
owner and station on a controlled clock, a station's clerk limited to their station, a problem
found on site listed first; the XLSX exports and the year-end report against the data; the
charts as PNGs of a phone's size."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from models import Deadline, Deputy
from models.contact import INQUIRY_DEADLINE, Inquiry
from models.inspections import ISSUE_DEADLINE
from models.projects import PLAN_DEADLINE
from services import (candidates, dashboard, delivery, directory, evaluation, evaluation_report, project_export,
                      projects, suggestions, verify)
from services.directory import Page
from services.errors import DomainError, PermissionDenied
from services.i18n import use_locale
from tests.test_verify import (CLERK as ROADS, EAST_CLERK, LEADER, MEMBER, NOW, OFFICE, OUTSIDER, PHOTOS,
                               PROJECT_RULES, RESIDENT, RULES, SH, WEST_CLERK, _actor, _grouped)

async def _world(db) -> dict[str, int]:  # noqa: ANN001
    """test_verify's West project "East Lane street lights" of the Transport Bureau (voted 6 July, deputies
    21 and 22 in its group) and East's "Market drainage" of the Water Bureau, voted 20 July."""
    lights, _deputies = await _grouped(db)
    async with db.session() as s:
        west, east = await directory.station_by_name(s, "West"), await directory.station_by_name(s, "East")
        water = await directory.ensure_department(s, None, "Water Bureau")
        made = await suggestions.submit(s, await _actor(s, RESIDENT), suggestions.Rules(("roads",), 5, SH),
                                        suggestions.Draft("roads", "The market floods.", place_text="Market",
                                                          station_id=east.id), NOW)
        office = await _actor(s, OFFICE)
        candidate = await candidates.accept_into_pool(s, office, made.id, candidates.CandidateFields(
            "Market drainage", "Drains.", 100_000, department_id=water.id), NOW)
        drains = await projects.create_from_candidate(s, office, candidate.id, NOW + timedelta(days=14),
                                                      PROJECT_RULES)
    return {"lights": lights, "drains": drains.id, "west": west.id, "east": east.id}


async def _problem_found(db, world: dict[str, int], at: datetime) -> int:  # noqa: ANN001
    async with db.session() as s:
        visit = await verify.submit_visit(s, await _actor(s, LEADER), world["lights"], verify.VisitDraft(
            PHOTOS, "A cable lies bare.", "problem", "Please cover the cable."), at, RULES)
        return visit.id


async def _board(db, uid: int, at: datetime) -> dashboard.Board:  # noqa: ANN001
    async with db.session() as s:
        return await dashboard.board(s, await _actor(s, uid), at, SH, soon_days=3)


async def _listing(db, uid: int, at: datetime, late: bool, number: int = 0) -> Page[dashboard.Item]:  # noqa: ANN001
    async with db.session() as s:
        return await dashboard.listing(s, await _actor(s, uid), at, SH, 3, late, number)


async def test_open_duties_are_counted_by_owner_and_station_as_the_clock_moves(db):
    world = await _world(db)
    # Sat 1 August: both plans are due later (6 August, 20 August); the issue's answer (filed Mon 3 August,
    # seven days) ends on 10 August.
    visit_id = await _problem_found(db, world, datetime(2026, 8, 3, 10, tzinfo=SH))
    early = await _board(db, OFFICE, datetime(2026, 8, 1, 12, tzinfo=SH))
    assert (early.overdue, early.soon, early.flagged) == (0, 0, 0)

    # Tue 4 August: the lights' plan ends on Thu 6 August, within three days; nothing is late.
    at = datetime(2026, 8, 4, 12, tzinfo=SH)
    board = await _board(db, OFFICE, at)
    soon = await _listing(db, OFFICE, at, late=False)
    assert [(i.watched.deadline.kind, i.watched.days_left) for i in soon.items] == [(PLAN_DEADLINE, 2)]
    assert (board.overdue, board.soon, (await _listing(db, OFFICE, at, late=True)).items) == (0, 1, [])

    # Fri 21 August: all three are late. The problem found on site comes first though its clock ended
    # after the lights' plan; then by due time.
    at = datetime(2026, 8, 21, 12, tzinfo=SH)
    board = await _board(db, OFFICE, at)
    overdue = await _listing(db, OFFICE, at, late=True)
    assert (board.overdue, board.soon, board.flagged) == (3, 0, 1)
    assert [(i.watched.deadline.kind, i.flagged) for i in overdue.items] == [
        (ISSUE_DEADLINE, True), (PLAN_DEADLINE, False), (PLAN_DEADLINE, False)]
    assert overdue.items[0].place.card == verify.visit_data(visit_id)
    assert overdue.items[1].place.card == projects.open_data(world["lights"])
    assert [(c.label, c.overdue, c.soon) for c in board.by_owner] == [
        ("Transport Bureau", 2, 0), ("Water Bureau", 1, 0)]
    assert [(c.label, c.overdue, c.soon) for c in board.by_station] == [("West", 2, 0), ("East", 1, 0)]

    # A station's clerk sees their station only; a department or a deputy sees no dashboard.
    west = await _listing(db, WEST_CLERK, at, late=True)
    east = await _board(db, EAST_CLERK, at)
    assert [i.watched.deadline.station_id for i in west.items] == [world["west"]] * 2
    assert [(c.label, c.overdue) for c in east.by_station] == [("East", 1)] and east.flagged == 0
    for uid in (ROADS, LEADER):
        with pytest.raises(PermissionDenied):
            await _board(db, uid, NOW)
        with pytest.raises(PermissionDenied):
            await _listing(db, uid, NOW, late=True)

    # Pages of eight: one holds three, and a page past the end shows the last.
    assert ((await _listing(db, OFFICE, at, late=True, number=5)).number, overdue.pages) == (0, 1)


async def _plant(db, world: dict[str, int], total: int) -> dict[tuple[str, bool], int]:  # noqa: ANN001
    """`total` residents' letters to the world's deputies with their deadlines, in bulk inserts as
    bench/sweep.py plants them: three in five in West, the rest in East; alternately a day overdue and
    due tomorrow, every seventh due next month (outside the lists), every eleventh answered. Returns the
    hand count by (station, overdue) and by (deputy, overdue)."""
    async with db.session() as s:
        deputies = (await s.execute(select(Deputy.id, Deputy.name).order_by(Deputy.id))).all()
    letters, rows, counted = [], [], {}
    for n in range(total):
        station = "west" if n % 5 < 3 else "east"
        deputy_id, deputy = deputies[n % len(deputies)]
        due_at = NOW + (timedelta(days=30) if n % 7 == 0 else -timedelta(days=1) if n % 2 else timedelta(days=1))
        closed = n % 11 == 0
        letters.append(dict(id=10_000 + n, number=f"DB-2026-{10_000 + n:06d}", kind="opinion", status="open",
                            resident_alias=1000 + n, deputy_id=deputy_id, received_by_deputy_id=deputy_id,
                            station_id=world[station], text="", photos=[], referral_platform="", referral_note="",
                            created_at=NOW - timedelta(days=8), updated_at=NOW))
        rows.append(dict(kind=INQUIRY_DEADLINE, subject_id=10_000 + n, owner_id=None, station_id=world[station],
                         started_at=NOW - timedelta(days=8), due_at=due_at, escalate_at=due_at, remind_at=None,
                         due_day_at=None, calendar_note="", skipped_stages="", closed_at=NOW if closed else None))
        if not closed and n % 7:
            for key in ((station.title(), due_at <= NOW), (deputy, due_at <= NOW)):
                counted[key] = counted.get(key, 0) + 1
    async with db.session() as s:
        await s.execute(insert(Inquiry), letters)
        await s.execute(insert(Deadline), rows)
    return counted


async def test_thousands_of_open_duties_are_counted_exactly_in_a_bounded_number_of_queries(db):
    world = await _world(db)
    assert (await _board(db, OFFICE, NOW)).overdue == 0  # the projects' own plans are due in August
    counted = await _plant(db, world, 3_000)
    overdue = counted["West", True] + counted["East", True]
    soon = counted["West", False] + counted["East", False]
    assert overdue + soon > 2_000  # more than the dashboard once read

    statements = []

    def count(*_args) -> None:  # noqa: ANN002
        statements.append(1)

    async def counting(call):  # noqa: ANN001, ANN202  the SQL statements one dashboard screen runs
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            return await call, len(statements)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)

    async with db.session() as s:
        office = await _actor(s, OFFICE)
        with use_locale("en"):
            board, summary = await counting(dashboard.board(s, office, NOW, SH, 3))
            late, page = await counting(dashboard.listing(s, office, NOW, SH, 3, True, 3))
            due, _page = await counting(dashboard.listing(s, office, NOW, SH, 3, False, 0))
    assert summary < 10 and page < 50  # a few aggregates; a page's eight duties described and located
    assert (board.overdue, board.soon, board.flagged) == (overdue, soon, 0)
    assert [(c.label, c.overdue, c.soon) for c in board.by_station] == [
        ("West", counted["West", True], counted["West", False]), ("East", counted["East", True], counted["East", False])]
    owners = {label for label, _late in counted} - {"West", "East"}
    assert sorted((c.label, c.overdue, c.soon) for c in board.by_owner) == sorted(
        (owner, counted[owner, True], counted[owner, False]) for owner in owners)
    assert (late.total, late.pages, len(late.items), due.total) == (overdue, -(-overdue // 8), 8, soon)
    assert [i.watched.days_left for i in late.items] == [-1] * 8 and due.items[0].watched.days_left == 1
    assert due.items[0].watched.text.startswith("Message DB-2026-") and due.items[0].place.owner in owners

    # A station's clerk: West's duties, counted as exactly.
    west = await _board(db, WEST_CLERK, NOW)
    assert (west.overdue, west.soon) == (counted["West", True], counted["West", False])


async def test_exports_hold_the_projects_filings_visits_and_ratings_of_the_actors_stations(db):
    world = await _world(db)
    await _problem_found(db, world, NOW + timedelta(days=1))
    async with db.session() as s:
        await verify.submit_visit(s, await _actor(s, MEMBER), world["lights"], verify.VisitDraft(
            PHOTOS, "Poles up.", "on_track"), NOW + timedelta(days=2), RULES)
        await delivery.submit_plan(s, await _actor(s, ROADS), world["lights"], delivery.PlanDraft(
            "Twelve lights by October.", "Li Ming", [("Poles", date(2026, 8, 30))]), NOW + timedelta(days=3),
            PROJECT_RULES)

    async def sheet(export, uid: int | None) -> list[tuple]:  # noqa: ANN001
        async with db.session() as s:
            actor = await _actor(s, uid) if uid else None
            content = await export(s, actor, locale="en", tz=SH)
        return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))

    rows = await sheet(project_export.projects_xlsx, OFFICE)
    assert rows[0][:5] == ("Number", "Title", "Year", "Status", "Progress (%)")
    assert [(r[0], r[1], r[5], r[6], r[11], r[12], r[13]) for r in rows[1:]] == [
        ("XM-2026-001", "East Lane street lights", "Transport Bureau", "West", "Deputy 21 ★, Deputy 22", 2, 1),
        ("XM-2026-002", "Market drainage", "Water Bureau", "East", None, 0, 0)]  # empty cells read as None
    assert [r[0] for r in (await sheet(project_export.projects_xlsx, EAST_CLERK))[1:]] == ["XM-2026-002"]
    assert len(await sheet(project_export.projects_xlsx, None)) == 3  # the CLI operator: everything

    visits = await sheet(project_export.site_visits_xlsx, WEST_CLERK)
    assert [(r[0], r[3], r[5], r[7]) for r in visits[1:]] == [
        ("XM-2026-001", "Deputy 21", "problem found", "Please cover the cable."),
        ("XM-2026-001", "Deputy 22", "on track", None)]
    assert len(await sheet(project_export.site_visits_xlsx, EAST_CLERK)) == 1  # headers only

    filings = await sheet(project_export.filings_xlsx, OFFICE)
    assert [(r[0], r[2], r[3], r[4], r[9]) for r in filings[1:]] == [
        ("XM-2026-001", "implementation plan", "waiting for the congress office", "2026-08-06", "Li Ming")]

    with pytest.raises(PermissionDenied):
        async with db.session() as s:
            await project_export.projects_xlsx(s, await _actor(s, ROADS), locale="en", tz=SH)


async def _rated(db, world: dict[str, int]) -> int:  # noqa: ANN001
    """Deputies rate the lights satisfied, basically satisfied, dissatisfied; the drainage satisfied twice."""
    async with db.session() as s:
        found = await evaluation.open_evaluation(s, await _actor(s, OFFICE), 2026, date(2026, 12, 20), False,
                                                 NOW, SH)
        for uid, lights, drains in ((LEADER, "satisfied", "satisfied"), (MEMBER, "basic", "satisfied"),
                                    (OUTSIDER, "dissatisfied", None)):
            actor = await _actor(s, uid)
            await evaluation.rate(s, actor, found.id, world["lights"], lights, NOW)
            if drains:
                await evaluation.rate(s, actor, found.id, world["drains"], drains, NOW)
        await evaluation.comment(s, await _actor(s, OUTSIDER), found.id, world["lights"], "Too few lights.", NOW)
        return found.id


async def test_the_evaluation_report_counts_as_a_hand_count_does(db):
    world = await _world(db)
    evaluation_id = await _rated(db, world)
    async with db.session() as s:
        with pytest.raises(DomainError):  # still open: no report yet
            await evaluation_report.report(s, await _actor(s, OFFICE), 2026)
        await evaluation.close_now(s, await _actor(s, OFFICE), evaluation_id, NOW + timedelta(days=1))
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await evaluation_report.report(s, await _actor(s, LEADER), 2026)
        found = await evaluation_report.report(s, await _actor(s, EAST_CLERK), 2026)
        with use_locale("en"):
            book = load_workbook(io.BytesIO(evaluation_report.xlsx(found, SH)))
            pdf = evaluation_report.pdf(found, SH)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    table = {r[0]: r for r in rows if r[0] and str(r[0]).startswith("XM-")}
    # (1 satisfied + 1 basically satisfied) / 3 ratings = 66.7 %; the drainage 2 / 2.
    assert table["XM-2026-001"][3:12] == (66.7, 3, 1, 1, 1, 66.7, 1, 1, 1)
    assert table["XM-2026-001"][12] is None  # no resident rated
    assert table["XM-2026-002"][3:8] == (100, 2, 2, 0, 0)
    assert "All projects: 80.0% of 5 ratings" in [r[0] for r in rows]
    assert list(book.worksheets[1].iter_rows(values_only=True))[1] == ("XM-2026-001", "East Lane street lights",
                                                                       "Too few lights.")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "66.7%" in text and "Too few lights." in text and "Market drainage" in text


async def test_charts_are_phone_sized_pngs_of_progress_and_satisfaction(db):
    world = await _world(db)
    async with db.session() as s:
        office = await _actor(s, OFFICE)
        assert await dashboard.satisfaction_chart(s, office) is None  # nothing published yet
        chart = await dashboard.progress_chart(s, office, await dashboard.latest_year(s, office))
        assert chart.categories == ["001 East Lane stree…", "002 Market drainage"]
        east = await dashboard.progress_chart(s, await _actor(s, EAST_CLERK), 2026)
        assert east.categories == ["002 Market drainage"]
    evaluation_id = await _rated(db, world)
    async with db.session() as s:
        await evaluation.close_now(s, await _actor(s, OFFICE), evaluation_id, NOW + timedelta(days=1))
        with use_locale("en"):
            satisfaction = await dashboard.satisfaction_chart(s, await _actor(s, OFFICE))
    assert satisfaction.series == {"Deputies": [66.7, 100.0]}  # no resident rated: no residents' bars
    for found in (chart, satisfaction):
        image = Image.open(io.BytesIO(found.png()))
        assert (image.format, image.size) == ("PNG", dashboard.CHART_SIZE)


async def test_the_command_line_writes_the_exports_and_the_report(db, tmp_path):
    from tests.test_cli import run_cli

    world = await _world(db)
    await _problem_found(db, world, NOW + timedelta(days=1))
    env = {"DATABASE_URL": db.url}
    too_early = run_cli("export", "evaluation-report", "2026", "--lang", "en", env=env, cwd=tmp_path)
    assert too_early.returncode == 2 and "no evaluation of 2026" in too_early.stderr.lower()
    assert "Traceback" not in too_early.stderr
    async with db.session() as s:
        await evaluation.close_now(s, await _actor(s, OFFICE), await _rated(db, world), NOW + timedelta(days=1))
    result = run_cli("export", "site-visits", "--lang", "en", "--out", str(tmp_path / "v.xlsx"), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(load_workbook(tmp_path / "v.xlsx").active.iter_rows(values_only=True))
    assert [(r[0], r[5], r[7]) for r in rows[1:]] == [("XM-2026-001", "problem found", "Please cover the cable.")]
    result = run_cli("export", "evaluation-report", "2026", "--lang", "en", "--out", str(tmp_path / "e.pdf"),
                     env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "e.pdf").pages)
    assert "Year-end evaluation of 2026's livelihood projects" in text and "66.7%" in text
