"""Services for people: invites, roles, the audit trail, directory import."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Deputy, Role, RoleGrant, Station, utcnow
from services import directory, invites, people
from services.auth import load_actor
from services.errors import DomainError, PermissionDenied


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
