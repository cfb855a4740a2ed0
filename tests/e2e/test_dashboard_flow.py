"""The staff dashboard end to end: the office opens it on a quiet day, then three weeks after two
plans fell due and a site visit found a problem — overdue counts by owner and station, the
problem listed first, a button to the project's card; West's clerk sees West only; a chart
arrives as a phone-sized PNG, an export as a spreadsheet holding the projects, and after the
year-end evaluation closes, its report with the rate a hand count gives."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook
from PIL import Image

from services import dashboard, evaluation
from tests.support.chat import open_menu
from tests.test_dashboard import EAST_CLERK, NOW, OFFICE, SH, WEST_CLERK, _actor, _problem_found, _rated, _world


async def _dashboard(user):  # noqa: ANN001, ANN202
    """Open the dashboard from the menu: the menu's new message becomes the dashboard."""
    seen = len(user._messages)
    await open_menu(user, "Dashboard")
    return await user.wait_for(lambda m: m in user._messages[seen:] and (m.text or "").startswith("Dashboard"))


async def test_staff_follow_overdue_duties_charts_and_exports_on_the_dashboard(tg, db, start_bot, clock):
    clock.set(NOW.astimezone(SH))
    world = await _world(db)
    await start_bot(send_rate_per_chat=100)
    office = tg.user(OFFICE, "User11", language_code="en")
    west = tg.user(WEST_CLERK, "User12", language_code="en")
    east = tg.user(EAST_CLERK, "User13", language_code="en")

    quiet = await _dashboard(office)
    assert "Overdue: 0 · due within 3 days: 0" in quiet.text

    # Three weeks after both plans fell due (6 and 20 August); a problem found on site on 3 August
    # whose answer was due on 10 August.
    await _problem_found(db, world, datetime(2026, 8, 3, 10, tzinfo=SH))
    clock.set(datetime(2026, 8, 21, 12, tzinfo=SH))
    board = await _dashboard(office)
    assert "Overdue: 3 · due within 3 days: 0" in board.text
    assert "⚠️ Site-visit reports that found a problem, still to be answered: 1" in board.text
    assert "Transport Bureau: 2 overdue, 0 due soon" in board.text
    assert "Water Bureau: 1 overdue, 0 due soon" in board.text
    assert "West: 2 overdue, 0 due soon" in board.text and "East: 1 overdue, 0 due soon" in board.text

    await office.press("Overdue (3)", board)
    listing = await office.wait_for(lambda m: (m.text or "").startswith("Overdue (3)"))
    lines = listing.text.splitlines()[1:]
    assert lines[0].startswith("1. ⚠️ Project XM-2026-001 «East Lane street lights» · answer to a site-visit report")
    assert lines[1].startswith("2. Project XM-2026-001 «East Lane street lights» · implementation plan")
    assert "15 days overdue · Transport Bureau" in lines[1]
    assert lines[2].startswith("3. Project XM-2026-002 «Market drainage»") and "Water Bureau" in lines[2]
    office.drain()
    await office.press("Open 2", listing)
    card = await office.wait_for(lambda m: "XM-2026-001" in (m.text or "") and "Department: Transport Bureau"
                                 in m.text)
    assert "Status: plan due" in card.text

    # West's clerk: West's two duties only, whatever the button claims.
    mine = await _dashboard(west)
    assert "Overdue: 2 · due within 3 days: 0" in mine.text
    assert "West: 2 overdue" in mine.text and "East" not in mine.text and "Water Bureau" not in mine.text
    await west.press("Overdue (2)", mine)
    listed = await west.wait_for(lambda m: (m.text or "").startswith("Overdue (2)"))
    assert "Market drainage" not in listed.text

    # The progress chart: one photo a phone shows whole.
    office.drain()
    board = await _dashboard(office)
    await office.press("Chart: progress", board)
    photo = await office.wait_for(lambda m: m.photo_bytes is not None)
    assert photo.text == "Projects of 2026: progress"
    assert Image.open(io.BytesIO(photo.photo_bytes)).size == dashboard.CHART_SIZE

    # The projects' spreadsheet, as East's clerk downloads it: East's project only.
    await east.press("XLSX: Projects", await _dashboard(east))
    document = await east.wait_for(lambda m: m.document_bytes is not None)
    rows = list(load_workbook(io.BytesIO(document.document_bytes)).active.iter_rows(values_only=True))
    assert [(r[0], r[1], r[3], r[5], r[6]) for r in rows[1:]] == [
        ("XM-2026-002", "Market drainage", "plan due", "Water Bureau", "East")]

    # The year-end evaluation closes: its report is offered on the dashboard.
    evaluation_id = await _rated(db, world)
    async with db.session() as s:
        await evaluation.close_now(s, await _actor(s, OFFICE), evaluation_id, NOW + timedelta(days=60))
    office.drain()
    await office.press("Evaluation report (XLSX)", await _dashboard(office))
    report = await office.wait_for(lambda m: (m.document_name or "") == "evaluation-2026.xlsx")
    rows = list(load_workbook(io.BytesIO(report.document_bytes)).worksheets[0].iter_rows(values_only=True))
    lights = next(r for r in rows if r[0] == "XM-2026-001")
    assert lights[3:8] == (66.7, 3, 1, 1, 1)  # (1 satisfied + 1 basically satisfied) / 3 ratings
