"""A liaison clerk tied to the East station acts for East only.

The takeover the review found: an East clerk renamed West, moved a West deputy into East,
deactivated West deputies and then issued a new QR code for the moved deputy. Each step is
refused now, and so are the other ways in (invites, withdrawing roles, suggestions from
West's area, West's proposals). Staff serving every station still do all of it.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Deputy, Invite, Role, Station
from models.suggestions import Suggestion
from services import candidates, deputy_codes, directory, invites, people, proposals, suggestion_export, suggestions
from services.calendar import HolidayCalendar
from services.errors import PermissionDenied
from tests.support.clock import SHANGHAI
from tests.test_contact import MONDAY, World, actor, build_world

EAST_CLERK, OFFICE = 900, 901
SUGGEST = suggestions.Rules(categories=("roads",), per_day=5, tz=SHANGHAI)
PROPOSE = proposals.Rules(months={"ordinary": 3, "complex": 6}, tz=SHANGHAI, calendar=HolidayCalendar())


async def _suggestion(db, station_id: int | None) -> int:  # noqa: ANN001
    async with db.session() as s:
        made = await suggestions.submit(s, await actor(s, World.RESIDENT), SUGGEST, suggestions.Draft(
            category="roads", description="The bridge railing is broken.", place_text="Bridge",
            station_id=station_id), MONDAY)
    return made.id


async def test_an_east_clerk_cannot_take_over_a_west_deputy(db):
    world = await build_world(db)
    async with db.session() as s:
        clerk = await actor(s, EAST_CLERK)
        with pytest.raises(PermissionDenied):
            await directory.rename_station(s, clerk, world.other_station, "East annex")
        with pytest.raises(PermissionDenied):
            await directory.edit_deputy(s, clerk, world.far_deputy, station_id=world.station)
        with pytest.raises(PermissionDenied):
            await directory.edit_deputy(s, clerk, world.far_deputy, active=False)
        with pytest.raises(PermissionDenied):  # moving their own deputy out to West is a takeover the other way
            await directory.edit_deputy(s, clerk, world.deputy, station_id=world.other_station)
        with pytest.raises(PermissionDenied):
            await deputy_codes.regenerate(s, clerk, MONDAY, deputy_id=world.far_deputy)
        with pytest.raises(PermissionDenied):
            await invites.create(s, clerk, Role.deputy, ttl_days=7, deputy_id=world.far_deputy)
        with pytest.raises(PermissionDenied):
            await invites.create(s, clerk, Role.department, ttl_days=7)
        with pytest.raises(PermissionDenied):
            await people.revoke_role(s, clerk, 102, Role.deputy)  # West's deputy account
        with pytest.raises(PermissionDenied):
            await directory.add_station(s, clerk, "North")
        assert [d.id for d in (await directory.deputy_page(s, clerk, 0)).items if d.station_id != world.station] == []
    async with db.session() as s:
        west = await s.get(Station, world.other_station)
        far = await s.get(Deputy, world.far_deputy)
        assert west.name == "西村代表之家" and far.station_id == world.other_station and far.active
        assert list(await s.scalars(select(Invite))) == []


async def test_an_east_clerk_still_manages_east(db):
    world = await build_world(db)
    async with db.session() as s:
        clerk = await actor(s, EAST_CLERK)
        await directory.rename_station(s, clerk, world.station, "东街联络站（新）")
        await directory.edit_deputy(s, clerk, world.colleague, reception_hours="周三上午")
        added = await directory.add_deputy(s, clerk, directory.DeputyFields("孙丽"))
        assert added.station_id == world.station  # a station's clerk adds to their station
        await deputy_codes.regenerate(s, clerk, MONDAY, deputy_id=world.deputy)
        await invites.create(s, clerk, Role.deputy, ttl_days=7, deputy_id=added.id)
        report = await directory.import_deputies(s, clerk, [["Name", "Station"], ["周一", "东街联络站（新）"],
                                                            ["吴二", "西村代表之家"], ["郑三", "北山新站"]])
        assert (report.added, report.stations_created, [row for row, *_ in report.bad_rows]) == (1, 0, [3, 4])


async def test_the_whole_office_still_does_everything(db):
    world = await build_world(db)
    async with db.session() as s:
        office = await actor(s, OFFICE)
        await directory.rename_station(s, office, world.other_station, "西村代表之家（新）")
        await directory.edit_deputy(s, office, world.far_deputy, station_id=world.station)
        await deputy_codes.regenerate(s, office, MONDAY, deputy_id=world.far_deputy)
        await invites.create(s, office, Role.department, ttl_days=7)


async def test_suggestions_from_west_are_not_an_east_clerks(db):
    world = await build_world(db)
    east, west, nowhere = (await _suggestion(db, world.station), await _suggestion(db, world.other_station),
                           await _suggestion(db, None))
    async with db.session() as s:
        clerk = await actor(s, EAST_CLERK)
        queue = await suggestions.queue(s, clerk, suggestions.QueueFilter(status=suggestions.ALL_STATUSES))
        assert [item.id for item in queue.items] == [east]
        for suggestion_id in (west, nowhere):
            with pytest.raises(PermissionDenied):
                await suggestions.open_for_review(s, clerk, suggestion_id, MONDAY)
            with pytest.raises(PermissionDenied):
                await suggestions.add_note(s, clerk, suggestion_id, "note", MONDAY)
            with pytest.raises(PermissionDenied):
                await candidates.accept_into_pool(s, clerk, suggestion_id, candidates.CandidateFields(
                    "Bridge railing", "Repair the railing."), MONDAY)
        await suggestions.open_for_review(s, clerk, east, MONDAY)
    async with db.session() as s:
        assert {row.id: row.status for row in await s.scalars(select(Suggestion))} == {
            east: "under_review", west: "received", nowhere: "received"}
        sheet = await suggestion_export.suggestions_xlsx(s, await actor(s, EAST_CLERK), locale="en", tz=SHANGHAI)
    from io import BytesIO

    from openpyxl import load_workbook
    assert len(list(load_workbook(BytesIO(sheet)).active.iter_rows())) == 2  # the header and East's one


async def test_a_west_deputys_proposal_is_not_an_east_clerks(db):
    await build_world(db)
    async with db.session() as s:
        west_deputy = await actor(s, 102)
        filed = await proposals.file(s, west_deputy, proposals.Draft("Bus stop", "Build a shelter.", "ordinary"),
                                     MONDAY, PROPOSE)
        department = await directory.ensure_department(s, None, "Transport Bureau")
    async with db.session() as s:
        clerk = await actor(s, EAST_CLERK)
        with pytest.raises(PermissionDenied):
            await proposals.assign(s, clerk, filed.id, department.id, MONDAY, PROPOSE)
        with pytest.raises(PermissionDenied):
            await proposals.card(s, clerk, filed.id)
        assert (await proposals.office_counts(s, clerk, MONDAY.date()))["unassigned"] == 0
        office = await actor(s, OFFICE)
        assert (await proposals.office_counts(s, office, MONDAY.date()))["unassigned"] == 1
        await proposals.assign(s, office, filed.id, department.id, MONDAY, PROPOSE)
