"""Services for people: invites, roles, the audit trail, directory import."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Deputy, Notification, Role, RoleGrant, Station, utcnow
from services import directory, invites, people
from services.auth import load_actor
from services.errors import DomainError, NotFound, PermissionDenied
from services.i18n import translate


async def _user(session, uid: int, lang: str = "zh-hans"):
    user, _ = await people.ensure_user(session, people.Contact(uid, f"u{uid}", None, lang))
    return user


async def _staff(session, uid: int = 900):
    user = await _user(session, uid)
    await people.grant_role(session, uid, Role.staff, by=None)
    return await load_actor(session, user)


async def test_invite_is_single_use_and_audited(db):
    async with db.session() as s:
        staff = await _staff(s)
        deputy = await directory.add_deputy(s, staff, directory.DeputyFields("王芳", "county"))
        new = await invites.create(s, staff, Role.deputy, ttl_days=7, deputy_id=deputy.id)
    async with db.session() as s:
        first = await _user(s, 1)
        await invites.accept(s, first, new.token)
    async with db.session() as s:
        second = await _user(s, 2)
        with pytest.raises(DomainError) as refused:
            await invites.accept(s, second, new.token)
        assert "already been used" in refused.value.message
        actor = await load_actor(s, first)
        assert Role.deputy in actor.roles and actor.deputy_id == deputy.id
        actions = set(await s.scalars(select(AuditEvent.action)))
        assert {"invite.create", "invite.accept", "role.grant", "deputy.add"} <= actions
        # only the hash is stored
        stored = (await s.scalars(select(invites.Invite.token_hash))).all()
        assert new.token not in stored and invites.hash_token(new.token) in stored


async def test_expired_revoked_and_garbage_invites_are_refused(db):
    async with db.session() as s:
        staff = await _staff(s)
        old = await invites.create(s, staff, Role.department, ttl_days=1, now=utcnow() - timedelta(days=2))
        withdrawn = await invites.create(s, staff, Role.department, ttl_days=7)
        await invites.revoke(s, staff, withdrawn.invite.id)
    async with db.session() as s:
        user = await _user(s, 3)
        for token, words in ((old.token, "expired"), (withdrawn.token, "withdrawn"), ("garbage", "not valid")):
            with pytest.raises(DomainError) as refused:
                await invites.accept(s, user, token)
            assert words in refused.value.message
        assert (await s.scalars(select(RoleGrant).where(RoleGrant.user_id == 3))).all() == []


async def test_residents_cannot_invite_and_only_admins_invite_staff(db):
    async with db.session() as s:
        resident = await load_actor(s, await _user(s, 4))
        with pytest.raises(PermissionDenied):
            await invites.create(s, resident, Role.deputy, ttl_days=7)
        staff = await _staff(s)
        with pytest.raises(PermissionDenied):
            await invites.create(s, staff, Role.staff, ttl_days=7)
        await people.bootstrap_admins(s, [5])
        from models import User

        admin = await load_actor(s, await s.get(User, 5))
        assert (await invites.create(s, admin, Role.staff, ttl_days=7)).payload.startswith("inv_")


async def test_language_from_telegram_on_first_contact(db):
    async with db.session() as s:
        cases = {"zh-hans": "zh_CN", "zh-CN": "zh_CN", "zh-hant": "zh_TW", "zh-TW": "zh_TW", "zh-hk": "zh_TW",
                 "en": "en", "ru": "en", None: "zh_CN"}
        for uid, (code, expected) in enumerate(cases.items(), start=10):
            user = await _user(s, uid, code)
            assert user.locale == expected, code


async def test_import_reports_bad_rows_and_keeps_good_ones(db):
    rows = [
        ["姓名", "层级", "站点", "电话"],
        ["李明", "乡镇", "东街联络站", "13800000000"],
        ["Zhang Wei", "county", "东街联络站", ""],
        ["", "乡镇", "西村代表之家", ""],
        ["赵六", "星球", "西村代表之家", ""],
        ["钱七", "city", "", "not-a-phone!"],
    ]
    async with db.session() as s:
        staff = await _staff(s)
        report = await directory.import_deputies(s, staff, rows)
        assert (report.added, report.stations_created) == (2, 1)
        assert [number for number, _m, _p in report.bad_rows] == [4, 5, 6]
        names = set(await s.scalars(select(Deputy.name)))
        assert names == {"李明", "Zhang Wei"}
        assert set(await s.scalars(select(Station.name))) == {"东街联络站"}
    async with db.session() as s:
        again = await directory.import_deputies(s, staff, rows[:3])
        assert (again.added, again.updated) == (0, 2)


def test_csv_and_xlsx_are_read_alike():
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Name", "Level", "Station"])
    book.active.append(["李明", "township", "东街"])
    buffer = BytesIO()
    book.save(buffer)
    csv_rows = directory.read_rows("Name,Level,Station\n李明,township,东街\n".encode("utf-8-sig"), "d.csv")
    assert directory.read_rows(buffer.getvalue(), "d.xlsx") == csv_rows
    with pytest.raises(DomainError):
        directory.read_rows(b"%PDF", "d.pdf")


async def test_admin_from_configuration_gets_a_real_first_contact(db):
    async with db.session() as s:
        await people.bootstrap_admins(s, [77])
    async with db.session() as s:
        user, first = await people.ensure_user(s, people.Contact(77, "Admin", None, "en"))
        assert first and user.locale == "en"
        _again, first = await people.ensure_user(s, people.Contact(77, "Admin", None, "zh-hans"))
        assert not first and user.locale == "en"


async def test_station_names_are_unique_also_when_renaming(db):
    async with db.session() as s:
        staff = await _staff(s)
        east = await directory.add_station(s, staff, "  East   Street ", "Dongjie")
        west = await directory.add_station(s, staff, "West Village")
        assert east.name == "East Street"
        with pytest.raises(DomainError, match="already exists"):
            await directory.rename_station(s, staff, west.id, "East Street")
        await directory.rename_station(s, staff, east.id, "East Street")  # its own name is fine
        with pytest.raises(DomainError):
            await directory.add_station(s, staff, "North", "x" * (directory.AREA_MAX + 1))
        resident = await load_actor(s, await _user(s, 6))
        with pytest.raises(PermissionDenied):
            await directory.rename_station(s, resident, west.id, "Mine now")
        with pytest.raises(PermissionDenied):
            await directory.station_page(s, resident, 0)


async def test_deputy_edits_are_checked(db):
    async with db.session() as s:
        staff = await _staff(s)
        deputy = await directory.add_deputy(s, staff, directory.DeputyFields("李明"))
        with pytest.raises(NotFound):
            await directory.edit_deputy(s, staff, deputy.id, station_id=9999)
        with pytest.raises(DomainError, match="Reception hours"):
            await directory.edit_deputy(s, staff, deputy.id, reception_hours="x" * 256)
        with pytest.raises(DomainError, match="Unknown level"):
            await directory.edit_deputy(s, staff, deputy.id, level="galactic")
        resident = await load_actor(s, await _user(s, 6))
        for forged in ({"active": False}, {"phone": "110"}):
            with pytest.raises(PermissionDenied):
                await directory.edit_deputy(s, resident, deputy.id, **forged)
        with pytest.raises(PermissionDenied):
            await directory.get_deputy(s, resident, deputy.id)
        edited = await directory.edit_deputy(s, staff, deputy.id, reception_hours="  周二   上午 ", level="county")
        assert (edited.reception_hours, edited.level, edited.active) == ("周二 上午", "county", True)


async def test_deputy_pages_and_the_invite_picker(db):
    async with db.session() as s:
        staff = await _staff(s)
        station = await directory.add_station(s, staff, "East")
        for n in range(directory.PAGE_SIZE + 2):
            await directory.add_deputy(s, staff, directory.DeputyFields(f"D{n:02}", station_id=station.id if n % 2 else None))
        linked = await directory.add_deputy(s, staff, directory.DeputyFields("A linked"))
        linked.user_id = (await _user(s, 8)).id
        gone = await directory.add_deputy(s, staff, directory.DeputyFields("A gone"))
        await directory.edit_deputy(s, staff, gone.id, active=False)
        first = await directory.deputy_page(s, staff, 0)
        assert (first.total, first.pages, first.has_previous, first.has_next) == (12, 2, False, True)
        assert first.items[0].name == "A linked" and "A gone" not in [d.name for d in first.items]
        last = await directory.deputy_page(s, staff, 99)  # clamped to the last page
        assert last.number == 1 and last.items[-1].name == "A gone"
        picker = await directory.deputy_page(s, staff, 0, without_account=True)
        assert picker.total == directory.PAGE_SIZE + 2
        assert (await directory.deputy_page(s, staff, 0, station_id=station.id)).total == 5


async def test_invites_for_joined_deputies_and_staff_invites_are_guarded(db):
    async with db.session() as s:
        staff = await _staff(s)
        deputy = await directory.add_deputy(s, staff, directory.DeputyFields("王芳"))
        department = await directory.ensure_department(s, staff, "县交通运输局")
        new = await invites.create(s, staff, Role.deputy, ttl_days=7, deputy_id=deputy.id)
        for_department = await invites.create(s, staff, Role.department, ttl_days=7, department_id=department.id)
        with pytest.raises(NotFound):
            await invites.create(s, staff, Role.department, ttl_days=7, department_id=9999)
        await people.bootstrap_admins(s, [5])
        from models import User

        admin = await load_actor(s, await s.get(User, 5))
        staff_invite = await invites.create(s, admin, Role.staff, ttl_days=7)
        assert [i.id for i in await invites.open_invites(s, staff)] == [for_department.invite.id, new.invite.id]
        assert len(await invites.open_invites(s, admin)) == 3
        with pytest.raises(PermissionDenied):
            await invites.revoke(s, staff, staff_invite.invite.id)
        assert await invites.subjects(s, [new.invite, for_department.invite, staff_invite.invite]) == {
            new.invite.id: "王芳", for_department.invite.id: "县交通运输局"}
        await invites.accept(s, await _user(s, 1), new.token)
        with pytest.raises(DomainError, match="already joined"):
            await invites.create(s, staff, Role.deputy, ttl_days=7, deputy_id=deputy.id)
        with pytest.raises(DomainError, match="already been used"):
            await invites.revoke(s, staff, new.invite.id)
        await invites.revoke(s, admin, staff_invite.invite.id)
        await invites.revoke(s, admin, staff_invite.invite.id)  # twice is harmless
        assert await s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invite.revoke")) == 1


async def test_accepting_tells_the_inviter_in_their_language(db):
    async with db.session() as s:
        staff = await _staff(s)  # zh-hans
        new = await invites.create(s, staff, Role.department, ttl_days=7)
        await invites.accept(s, await _user(s, 3, "en"), new.token)
        notice = await s.scalar(select(Notification).where(Notification.chat_id == staff.id))
        assert notice.text == "u3 已接受您的邀请，身份为：承办单位。"


async def test_withdrawing_a_deputy_role_unlinks_the_record_and_tells_them(db):
    async with db.session() as s:
        staff = await _staff(s)
        deputy = await directory.add_deputy(s, staff, directory.DeputyFields("王芳"))
        new = await invites.create(s, staff, Role.deputy, ttl_days=7, deputy_id=deputy.id)
        member = await _user(s, 1, "en")
        await invites.accept(s, member, new.token)
        holders = await people.office_holders(s, staff, 0)
        assert [(h.user.id, h.roles, h.deputy_name) for h in holders.items] == [(1, ("deputy",), "王芳"), (900, ("staff",), None)]
        resident = await load_actor(s, await _user(s, 2))
        with pytest.raises(PermissionDenied):
            await people.revoke_role(s, resident, 1, Role.deputy)
        with pytest.raises(PermissionDenied):
            await people.office_holders(s, resident, 0)
        with pytest.raises(PermissionDenied):
            await people.revoke_role(s, staff, staff.id, Role.staff)  # staff is withdrawn by admins
        await people.revoke_role(s, staff, 1, Role.deputy)
        with pytest.raises(NotFound):
            await people.revoke_role(s, staff, 1, Role.deputy)
        assert (await s.get(Deputy, deputy.id)).user_id is None
        assert Role.deputy not in (await load_actor(s, member)).roles
        told = await s.scalar(select(Notification.text).where(Notification.chat_id == 1, Notification.text.contains("withdrew")))
        assert told == "The congress office withdrew your role: deputy."
        event = await s.scalar(select(AuditEvent).where(AuditEvent.action == "role.revoke"))
        assert (event.actor_id, event.subject_id, event.detail["unlinked_deputy"]) == (staff.id, "1", deputy.id)
        # The record can be invited again, for the deputy's next account.
        assert (await invites.create(s, staff, Role.deputy, ttl_days=7, deputy_id=deputy.id)).payload


def test_import_files_in_the_shapes_offices_send(monkeypatch):
    gbk = "姓名,层级,站点\n李明,县级,东街\n".encode("gbk")
    assert directory.read_rows(gbk, "名单.csv") == [["姓名", "层级", "站点"], ["李明", "县级", "东街"]]
    with pytest.raises(DomainError, match="CSV"):
        directory.read_rows(b"Name\n\"" + b"x" * 200_000, "d.csv")  # beyond csv's field limit
    with pytest.raises(DomainError, match="spreadsheet"):
        directory.read_rows(b"PK\x03\x04 not really a workbook", "d.xlsx")
    monkeypatch.setattr(directory, "IMPORT_MAX_ROWS", 3)
    assert len(directory.read_rows(b"Name\na\nb\nc\n", "d.csv")) == 4
    with pytest.raises(DomainError) as refused:
        directory.read_rows(b"Name\na\nb\nc\nd\n", "d.csv")
    assert "more than 3 rows" in translate("en", refused.value.message, **refused.value.params)


async def test_levels_written_the_usual_ways_are_understood(db):
    rows = [["姓名", "层级"], ["甲", "县级"], ["乙", "省级"], ["丙", "镇"], ["丁", "全国人大"], ["戊", "縣級"], ["己", "County"]]
    async with db.session() as s:
        report = await directory.import_deputies(s, None, rows)
        assert report.bad_rows == [] and report.added == 6
        levels = dict((await s.execute(select(Deputy.name, Deputy.level))).all())
        assert levels == {"甲": "county", "乙": "province", "丙": "township", "丁": "national", "戊": "county", "己": "county"}


async def test_an_invite_cannot_reactivate_a_deputy_staff_deactivated(db):
    async with db.session() as s:
        staff = await _staff(s)
        deputy = await directory.add_deputy(s, staff, directory.DeputyFields("孙八", "township"))
        new = await invites.create(s, staff, Role.deputy, ttl_days=7, deputy_id=deputy.id)
        await directory.edit_deputy(s, staff, deputy.id, active=False)
    async with db.session() as s:
        with pytest.raises(DomainError) as refused:
            await invites.accept(s, await _user(s, 31), new.token)
        assert "no longer active" in refused.value.message
    async with db.session() as s:
        assert (await s.get(Deputy, deputy.id)).user_id is None
