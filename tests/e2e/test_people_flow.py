"""Staff bring people in and keep the directory, end to end through the fake Telegram.

Screens change by editing the message whose button was pressed, so the tests wait for
the text a screen must show (`shows`) rather than for a new message.
"""
from __future__ import annotations

import re
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import func, select

from handlers.people import DeputyCb, InviteCb, RoleCb, StationCb
from bot.menu import MenuCb
from models import AuditEvent, Deputy, Invite, Role, RoleGrant, Station, User
from services import directory, people
from tests.support.waiting import eventually

ADMIN, STAFF, RESIDENT, SECOND = 501, 502, 503, 504


async def shows(user, text: str, timeout: float = 5.0):
    """The newest bot message (sent or edited) containing `text`."""
    return await user.wait_for(lambda m: text in (m.text or ""), timeout=timeout)


async def tap(user, button: str, then: str):
    await user.press(button)
    return await shows(user, then)


async def open_people(user, label: str = "People and stations", hub: str = "Invite deputies, departments") -> None:
    """Open the area from a fresh main menu; the menu message itself turns into the hub."""
    user.drain()
    await user.send("/menu")
    menu = await user.next_message()
    if not menu.buttons:  # a first contact: the welcome and privacy notice come before the menu
        menu = await user.next_message()
    await user.press(label, menu)
    await user.wait_for(lambda m: m is menu and hub in m.text)


async def make_staff(app, uid: int = STAFF, name: str = "Zhou") -> None:
    async with app.ctx.db.session() as s:
        await people.ensure_user(s, people.Contact(uid, name, None, "en"))
        await people.grant_role(s, uid, Role.staff, by=None)


async def refused(user, data: str) -> None:
    """Press forged `data` and check the bot refuses it with an alert."""
    await user.press_data(data)
    answer = await user.next_callback_answer()
    while answer.data != data:
        answer = await user.next_callback_answer()
    assert answer.show_alert and "not allowed" in answer.text, (data, answer.text)


def payload_of(message) -> str:
    return re.search(r"start=(inv_[\w-]+)", message.text).group(1)


async def scalar(app, query):
    async with app.ctx.db.session() as s:
        return await s.scalar(query)


async def test_deputy_invite_turns_a_resident_into_a_deputy_once(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    staff = tg.user(STAFF, "Zhou")
    await open_people(staff)
    await tap(staff, "Deputies", "Deputies (0)")
    await staff.press("Add a deputy")
    await staff.expect("full name of the new deputy")
    await staff.send("Wang Fang")
    await staff.expect("Joined the bot: not yet")

    await tap(staff, "Invite to the bot", "Invite: deputy · Wang Fang")
    link = await shows(staff, "The link works once, until 2026-03-09 09:00 (Asia/Shanghai)")
    payload = payload_of(link)
    assert f"https://t.me/minsheng_test_bot?start={payload}" in link.text

    await tap(staff, "« People and stations", "Invite deputies")
    listing = await tap(staff, "Open invites", "(unused and not expired)")
    assert "deputy · Wang Fang — until 2026-03-09 09:00" in listing.text

    resident = tg.user(RESIDENT, "Fang", language_code="en")
    await resident.send("/start")
    await resident.expect("Welcome")
    resident_menu = await resident.expect("Main menu")
    await resident.send(f"/start {payload}")
    await resident.expect("You now hold the role: deputy.")
    deputy_menu = await resident.expect("Main menu")
    assert set(resident_menu.button_texts) < set(deputy_menu.button_texts)  # the deputy's entries appear
    assert "People and stations" not in deputy_menu.button_texts
    notice = await staff.expect("Fang accepted your invite. Their role: deputy.")
    assert notice.chat_id == STAFF

    second = tg.user(SECOND, "Impostor", language_code="en")
    await second.send(f"/start {payload}")
    await second.expect("Welcome to Minsheng bot")  # its first contact
    await second.expect("already been used")

    async with app.ctx.db.session() as s:
        wang = await s.scalar(select(Deputy).where(Deputy.name == "Wang Fang"))
        assert wang.user_id == RESIDENT
        holders = set(await s.scalars(select(RoleGrant.user_id).where(RoleGrant.role == Role.deputy)))
        assert holders == {RESIDENT}
        assert {"invite.create", "invite.accept", "role.grant", "deputy.add"} <= set(await s.scalars(select(AuditEvent.action)))

    # The record has an account now: it is no longer offered for invites.
    await open_people(staff)
    await tap(staff, "Invite", "Whom do you want to invite?")
    offered = await tap(staff, "A deputy", "Deputies who have not joined yet")
    assert "Wang Fang" not in offered.button_texts and "New deputy record" in offered.button_texts


async def test_staff_cannot_invite_staff_but_an_admin_can(tg, start_bot):
    app = await start_bot(admin_ids=[ADMIN])
    await make_staff(app)
    staff = tg.user(STAFF, "Zhou")
    await open_people(staff)
    roles = await tap(staff, "Invite", "Whom do you want to invite?")
    assert "Congress staff" not in roles.button_texts

    await refused(staff, InviteCb(step="make", role="staff").pack())
    assert await scalar(app, select(func.count()).select_from(Invite)) == 0

    admin = tg.user(ADMIN, "Admin", language_code="en")
    await open_people(admin)
    await tap(admin, "Invite", "Whom do you want to invite?")
    link = await tap(admin, "Congress staff", "Invite: congress staff")
    newcomer = tg.user(RESIDENT, "Chen", language_code="en")
    await newcomer.send(f"/start {payload_of(link)}")
    await newcomer.expect("Welcome to Minsheng bot")  # its first contact
    await newcomer.expect("You now hold the role: congress staff.")
    menu = await newcomer.expect("Main menu")
    assert "People and stations" in menu.button_texts


async def test_withdrawn_invite_link_answers_withdrawn(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    staff = tg.user(STAFF, "Zhou")
    await open_people(staff)
    await tap(staff, "Invite", "Whom do you want to invite?")
    await tap(staff, "An implementing department", "Which implementing department")
    await staff.press("New department…")
    await staff.expect("name of the implementing department")
    await staff.send("County Transport Bureau")
    link = await staff.expect("Invite: implementing department · County Transport Bureau")

    await open_people(staff)
    await tap(staff, "Open invites", "implementing department · County Transport Bureau —")
    await tap(staff, "Withdraw 1", "Invite withdrawn: implementing department · County Transport Bureau")
    await staff.press("Open invites")
    await shows(staff, "No invites are open.")

    person = tg.user(SECOND, "Liu", language_code="en")
    await person.send(f"/start {payload_of(link)}")
    await person.expect("Welcome to Minsheng bot")  # its first contact
    await person.expect("This invite was withdrawn")
    assert await scalar(app, select(func.count()).select_from(RoleGrant).where(RoleGrant.user_id == SECOND)) == 0

    # The withdraw button under the link, pressed again later, is harmless.
    await staff.press("Withdraw this invite", link)
    await shows(staff, "Invite withdrawn: implementing department")


async def test_staff_adds_a_station_and_edits_a_deputy(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    async with app.ctx.db.session() as s:
        await directory.add_deputy(s, None, directory.DeputyFields("Li Ming"))
    staff = tg.user(STAFF, "Zhou")
    await open_people(staff)
    await tap(staff, "Stations", "No stations yet.")
    await staff.press("Add a station")
    await staff.expect("name of the new station")
    await staff.send("East Street <Liaison> Station")
    await staff.expect("Which area does it serve")
    await staff.send_sticker()
    await staff.expect("Please answer with text")
    await staff.send("East Street")
    card = await staff.expect("East Street <Liaison> Station")
    assert "Area: East Street" in card.text and "Active deputies: 0" in card.text

    # A second station with the same name is refused and the form stays open.
    await staff.press("« Stations")
    await shows(staff, "Stations (1)")
    await staff.press("Add a station")
    await staff.expect("name of the new station")
    await staff.send("East Street <Liaison> Station")
    await staff.expect("already exists")
    await staff.send("West Village Deputy Home")
    await staff.expect("Which area does it serve")
    await staff.press("Skip")
    await staff.expect("West Village Deputy Home")

    await open_people(staff)
    await tap(staff, "Deputies", "Deputies (1)")
    await tap(staff, "Li Ming", "Level: township")
    await tap(staff, "Level", "Level of Li Ming")
    await tap(staff, "county", "Level: county")
    await tap(staff, "Station", "Station of Li Ming")
    await tap(staff, "East Street <Liaison> Station", "Station: East Street <Liaison> Station")
    await staff.press("Phone")
    await staff.expect("phone number of Li Ming")
    await staff.send("not a phone")
    await staff.expect("does not look right")
    await staff.send("+86 138 0000 0000")
    await staff.expect("Phone: +86 138 0000 0000")

    # A restart in the middle of a form loses nothing.
    await staff.press("Reception hours")
    await staff.expect("reception hours of Li Ming")
    await app.stop()
    app = await start_bot()
    await staff.send("First Tuesday, 9:00-11:30")
    await staff.expect("Reception hours: First Tuesday, 9:00-11:30")
    await tap(staff, "Deactivate", "Deactivated")

    east = await scalar(app, select(Station.id).where(Station.name == "East Street <Liaison> Station"))
    li = await eventually(lambda: scalar(app, select(Deputy).where(Deputy.name == "Li Ming", Deputy.active.is_(False))))
    assert (li.level, li.station_id, li.phone, li.reception_hours) == (
        "county", east, "+86 138 0000 0000", "First Tuesday, 9:00-11:30")
    assert await scalar(app, select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "deputy.edit")) == 5

    # The station list filter shows the station's deputies only.
    await staff.press("« Deputies")
    await shows(staff, "Deputies (1)")
    await tap(staff, "Filter by station", "Show the deputies of which station?")
    await tap(staff, "West Village Deputy Home", "Deputies of West Village Deputy Home (0)")


async def test_import_csv_and_xlsx_report_bad_rows(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    staff = tg.user(STAFF, "Zhou")
    await open_people(staff)
    await staff.press("Import deputies")
    await staff.expect("Send the list of deputies as an .xlsx or .csv file")
    await staff.send_photo()
    await staff.expect("That is a photo")
    await staff.send("here it is")
    await staff.expect("Send the list of deputies")
    await staff.send_document(b"%PDF-1.4", "deputies.pdf", "application/pdf")
    await staff.expect("This is not an .xlsx or .csv file.")
    await staff.send_document(b"Name\n" + b"x" * (2 * 1024 * 1024), "big.csv", "text/csv")
    await staff.expect("larger than 2 MB")
    await staff.send_voice()
    await staff.expect("Send the list of deputies")
    await staff.send_document(b"Who,What\nLi,1\n", "wrong.csv", "text/csv")
    await staff.expect("The first row must name the columns")
    await staff.send("/cancel")
    await staff.expect("Cancelled")
    await staff.send_document(b"Name\nLi\n", "deputies.csv", "text/csv")
    await staff.expect("I cannot use this kind of message here")  # the form was left

    await open_people(staff)
    await staff.press("Import deputies")
    await staff.expect("Send the list of deputies as an .xlsx or .csv file")

    csv_rows = ("Name,Level,Station,Phone\n"
                "Li Ming,township,East Street Station,13800000000\n"
                "Zhang Wei,county,East Street Station,\n"
                ",township,West Village,\n"
                "Zhao Liu,planet,West Village,\n"
                "Qian Qi,city,,not-a-phone!\n")
    await staff.send_document(csv_rows.encode(), "deputies.csv", "text/csv")
    report = await staff.expect("Import finished.")
    assert "Added: 2. Updated: 0. New stations: 1." in report.text
    assert "Rows left out (3):" in report.text
    assert "Row 4: A name is 1 to 64 characters." in report.text
    assert "Row 5: unknown level planet" in report.text
    assert "Row 6: That phone number does not look right." in report.text

    # The state was left after the import: a document now is not taken as another import.
    await staff.send_document(csv_rows.encode(), "deputies.csv", "text/csv")
    await staff.expect("I cannot use this kind of message here")

    # XLSX, Chinese headers and levels, read by a Chinese-speaking staff member.
    async with app.ctx.db.session() as s:
        await people.set_locale(s, await s.get(User, STAFF), "zh_CN")
    book = Workbook()
    for row in (["姓名", "层级", "站点", "电话"], ["李明", "乡镇", "东街联络站", ""], ["王芳", "省级", "东街联络站", ""],
                ["赵六", "火星", "", ""], ["Li Ming", "county", "East Street Station", "13900000000"]):
        book.active.append(row)
    data = BytesIO()
    book.save(data)
    await open_people(staff, "人员与站点", "维护代表联络站")
    await staff.press("导入代表")
    await staff.expect(".xlsx")
    await staff.send_document(data.getvalue(), "代表名单.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    report = await staff.expect("导入完成")
    assert "第 4 行" in report.text and "火星" in report.text
    assert "新增 2" in report.text and "更新 1" in report.text and "新建站点 1" in report.text

    await eventually(lambda: scalar(app, select(Deputy.id).where(Deputy.name == "Li Ming", Deputy.level == "county",
                                                               Deputy.phone == "13900000000")))
    async with app.ctx.db.session() as s:
        assert set(await s.scalars(select(Station.name))) == {"East Street Station", "东街联络站"}
        assert set(await s.scalars(select(Deputy.name))) == {"Li Ming", "Zhang Wei", "李明", "王芳"}


async def test_resident_pressing_forged_staff_buttons_is_refused(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    async with app.ctx.db.session() as s:
        station = await directory.add_station(s, None, "East Street Station")
        deputy = await directory.add_deputy(s, None, directory.DeputyFields("Li Ming", station_id=station.id,
                                                                             phone="13800000000"))
    resident = tg.user(RESIDENT, "Nosy", language_code="en")
    await resident.send("/start")
    await resident.expect("Welcome")
    menu = await resident.expect("Main menu")
    assert "People and stations" not in menu.button_texts

    forged = [
        MenuCb(key="people"),
        DeputyCb(act="open", id=deputy.id),
        DeputyCb(act="active", id=deputy.id, value="0"),
        DeputyCb(act="setlevel", id=deputy.id, value="national"),
        DeputyCb(act="clear", id=deputy.id, value="phone"),
        StationCb(act="rename", id=station.id),
        InviteCb(step="make", role="deputy", id=deputy.id),
        RoleCb(act="revoke", user=STAFF, role="staff"),
        DeputyCb(act="import"),
    ]
    for data in forged:
        await refused(resident, data.pack())
    await resident.no_message()
    await resident.send("Renamed by a resident")
    await resident.expect("I did not understand")

    async with app.ctx.db.session() as s:
        li = await s.get(Deputy, deputy.id)
        assert (li.active, li.level, li.phone) == (True, "township", "13800000000")
        assert (await s.get(Station, station.id)).name == "East Street Station"
        assert await s.scalar(select(func.count()).select_from(Invite)) == 0
        assert await s.scalar(select(RoleGrant.id).where(RoleGrant.user_id == STAFF)) is not None


async def test_withdrawing_roles(tg, start_bot):
    app = await start_bot(admin_ids=[ADMIN])
    await make_staff(app)
    async with app.ctx.db.session() as s:
        await directory.add_deputy(s, None, directory.DeputyFields("Wang Fang"))
    staff = tg.user(STAFF, "Zhou")
    await open_people(staff)
    await tap(staff, "Invite", "Whom do you want to invite?")
    await tap(staff, "A deputy", "Deputies who have not joined yet")
    link = await tap(staff, "Wang Fang", "Invite: deputy · Wang Fang")
    deputy = tg.user(RESIDENT, "Fang", language_code="zh-hans")
    await deputy.send(f"/start {payload_of(link)}")
    await deputy.expect("代表")
    await staff.expect("accepted your invite")

    await open_people(staff)
    holders = await tap(staff, "Roles", "People holding a role (2)")
    assert "Wang Fang · deputy" in holders.button_texts and "Zhou · congress staff" in holders.button_texts
    own = await tap(staff, "Zhou · congress staff", "Roles: congress staff")
    assert not any("Withdraw" in text for text in own.button_texts)  # staff is the admins' to withdraw
    await staff.press("« People holding a role")
    await shows(staff, "Open one to withdraw a role")
    await tap(staff, "Wang Fang · deputy", "Deputy record: Wang Fang")
    await tap(staff, "Withdraw: deputy", "Withdraw the role deputy from")
    await tap(staff, "Yes, withdraw", "Role withdrawn.")
    await deputy.wait_for(lambda m: "人大办已撤销您的角色：人大代表。" in (m.text or ""))

    async with app.ctx.db.session() as s:
        assert await s.scalar(select(RoleGrant.id).where(RoleGrant.user_id == RESIDENT)) is None
        assert (await s.scalar(select(Deputy).where(Deputy.name == "Wang Fang"))).user_id is None
        assert await s.scalar(select(AuditEvent.id).where(AuditEvent.action == "role.revoke")) is not None

    admin = tg.user(ADMIN, "Admin", language_code="en")
    await open_people(admin)
    await tap(admin, "Roles", "People holding a role (1)")
    await tap(admin, "Zhou · congress staff", "Roles: congress staff")
    await tap(admin, "Withdraw: congress staff", "Withdraw the role congress staff")
    await tap(admin, "Yes, withdraw", "Role withdrawn.")
    await staff.wait_for(lambda m: "withdrew your role: congress staff" in (m.text or ""))
    staff.drain()
    await staff.send("/menu")
    assert "People and stations" not in (await staff.expect("Main menu")).button_texts
