"""Services of 点单: submitting, limits, statuses and their notices, support, authorisation, export."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import AuditEvent, Notification, Role, User
from models.suggestions import Candidate, Suggestion, SuggestionEvent, SuggestionPhoto, Support
from services import candidates, directory, people, privacy, suggestion_export, suggestions
from services.auth import load_actor
from services.errors import DomainError, NotFound, PermissionDenied
from services.i18n import translate
from services.suggestions import Draft, Rules

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = Rules(categories=("roads", "drinking_water", "other"), per_day=5, tz=SHANGHAI)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)


async def _actor(session, uid: int, lang: str = "zh-hans", role: Role | None = None):
    user, _ = await people.ensure_user(session, people.Contact(uid, f"Resident{uid}", None, lang))
    if role is not None:
        await people.grant_role(session, uid, role, by=None)
    return await load_actor(session, user)


def _draft(**changes) -> Draft:
    fields = dict(category="roads", description="The lane to the school has no street lights.",
                  place_text="East Street, Shuikou")
    fields.update(changes)
    return Draft(**fields)


async def _notices(session, chat_id: int) -> list[str]:
    rows = await session.scalars(select(Notification.text).where(Notification.chat_id == chat_id)
                                 .order_by(Notification.id))
    return list(rows)


async def test_submit_numbers_the_suggestion_and_keeps_photos_place_and_history(db):
    async with db.session() as s:
        resident = await _actor(s, 1)
        made = await suggestions.submit(s, resident, RULES, _draft(
            photos=[("file-a", "uniq-a"), ("file-b", "uniq-b")], latitude=21.9, longitude=110.9, place_text=""), NOW)
    assert made.number == f"MS-2026-{made.id:06d}"
    async with db.session() as s:
        stored = await s.get(Suggestion, made.id)
        assert (stored.latitude, stored.longitude, stored.status) == (21.9, 110.9, "received")
        assert [p.file_id for p in await suggestions.photos(s, made.id)] == ["file-a", "file-b"]
        assert [e.status for e in await suggestions.history(s, made.id)] == ["received"]
        action = await s.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == str(made.id)))
        assert action == "suggestion.create"
        assert len(stored.share_code) >= 16


@pytest.mark.parametrize("changes, words", [
    (dict(description="road"), "at least"),
    (dict(description="x" * 10_000), "10,000 characters"),
    (dict(category="casino"), "not offered"),
    (dict(place_text=""), "village and street"),
    (dict(photos=[("f", "u")] * 6), "at most 5 photos"),
])
async def test_submit_refuses_bad_drafts(db, changes, words):
    async with db.session() as s:
        resident = await _actor(s, 1)
        with pytest.raises(DomainError) as refused:
            await suggestions.submit(s, resident, RULES, _draft(**changes), NOW)
        assert words in translate("en", refused.value.message, **refused.value.params)


async def test_daily_limit_counts_the_local_day_and_says_when_to_come_back(db):
    late_evening = datetime(2026, 3, 2, 23, 30, tzinfo=SHANGHAI)
    async with db.session() as s:
        resident = await _actor(s, 1, "en")
        for _ in range(5):
            await suggestions.submit(s, resident, RULES, _draft(), late_evening)
        with pytest.raises(DomainError) as refused:
            await suggestions.submit(s, resident, RULES, _draft(), late_evening + timedelta(minutes=20))
        assert refused.value.params["when"] == "2026-03-03 00:00"
        # 00:10 in Shanghai is still 2 March in UTC: the local day decides.
        after_midnight = datetime(2026, 3, 3, 0, 10, tzinfo=SHANGHAI)
        assert (await suggestions.submit(s, resident, RULES, _draft(), after_midnight)).id
        # a deputy logging visits is not limited as a resident would be
        deputy_user = await _actor(s, 2, "en", Role.deputy)
        deputy = await directory.add_deputy(s, None, directory.DeputyFields("Li Ming"))
        deputy.user_id = deputy_user.id
        await s.flush()
        deputy_actor = await load_actor(s, deputy_user.user)
        for _ in range(6):
            await suggestions.submit(s, deputy_actor, RULES, _draft(source="visit", raised_by=12), late_evening)


async def test_only_deputies_log_visit_suggestions_and_their_count_is_kept(db):
    async with db.session() as s:
        resident = await _actor(s, 1)
        with pytest.raises(PermissionDenied):
            await suggestions.submit(s, resident, RULES, _draft(source="station", raised_by=30), NOW)
        user = await _actor(s, 2, role=Role.deputy)
        deputy = await directory.add_deputy(s, None, directory.DeputyFields("Wang Fang"))
        deputy.user_id = user.id
        await s.flush()
        made = await suggestions.submit(s, await load_actor(s, user.user), RULES,
                                        _draft(source="station", raised_by=30, show_name=True), NOW)
        assert (made.source, made.raised_by, made.deputy_id, made.show_name) == ("station", 30, deputy.id, False)


async def test_residents_cannot_use_staff_actions(db):
    async with db.session() as s:
        author = await _actor(s, 1)
        made = await suggestions.submit(s, author, RULES, _draft(), NOW)
        other = await _actor(s, 2)
        staff_only = [
            suggestions.queue(s, other, suggestions.QueueFilter()),
            suggestions.open_for_review(s, other, made.id, NOW),
            suggestions.not_adopt(s, other, made.id, NOW, reason="no"),
            suggestions.add_note(s, other, made.id, "note", NOW),
            suggestions.ask_for_information(s, other, made.id, "where?", NOW, "x"),
            suggestions.set_status(s, other, made.id, "accepted", now=NOW),
            suggestions.reason_templates(s, other),
            candidates.accept_into_pool(s, other, made.id, candidates.CandidateFields("Lights", "Street lights"), NOW),
            suggestion_export.suggestions_xlsx(s, other, locale="en", tz=SHANGHAI),
        ]
        for call in staff_only:
            with pytest.raises(PermissionDenied):
                await call
        # the author cannot either, and nobody else reads or answers for the author
        with pytest.raises(PermissionDenied):
            await suggestions.not_adopt(s, author, made.id, NOW, reason="no")
        with pytest.raises(NotFound):
            await suggestions.own(s, other, made.id)
        with pytest.raises(NotFound):
            await suggestions.answer_information(s, other, made.id, "here", NOW, "x")
        assert (await s.get(Suggestion, made.id)).status == "received"


async def test_review_accept_and_merge_notify_authors_and_supporters_in_their_language(db):
    async with db.session() as s:
        first = await _actor(s, 1, "zh-hans")
        second = await _actor(s, 2, "zh-hant")
        fan = await _actor(s, 3, "en")
        staff = await _actor(s, 9, "en", Role.staff)
        a = await suggestions.submit(s, first, RULES, _draft(), NOW)
        b = await suggestions.submit(s, second, RULES, _draft(category="other"), NOW)
        assert await suggestions.support(s, fan, b.share_code, NOW) == 1
        await suggestions.open_for_review(s, staff, a.id, NOW)
        candidate = await candidates.accept_into_pool(
            s, staff, a.id, candidates.CandidateFields("East Street lights", "Twelve lamps", 80_000), NOW)
        await candidates.merge_into(s, staff, b.id, candidate.id, NOW)
    async with db.session() as s:
        first_notices = await _notices(s, 1)
        assert len(first_notices) == 2  # under review, accepted
        assert first_notices[1] == translate("zh_CN", suggestions.AUTHOR_NOTICES["accepted"],
                                                             number=a.number, title="East Street lights")
        assert "East Street lights" in first_notices[1] and "candidate pool" not in first_notices[1]  # translated
        second_notices = await _notices(s, 2)
        assert second_notices == [translate("zh_TW", suggestions.AUTHOR_NOTICES["merged"],
                                                            number=b.number, title="East Street lights")]
        assert await _notices(s, 3) == [
            f"Update on suggestion {b.number}, which you support: merged into a candidate project."]
        backing = (await candidates.backing(s, [candidate.id]))[candidate.id]
        assert backing == candidates.Backing(suggestions=2, supporters=1, residents=2)
        assert [x.number for x in await candidates.behind(s, candidate.id)] == [a.number, b.number]
        # a stale second accept is refused and changes nothing
        with pytest.raises(DomainError):
            await candidates.accept_into_pool(s, staff, b.id, candidates.CandidateFields("Again", "Again!"), NOW)
        assert await s.scalar(select(func.count()).select_from(Candidate)) == 1


@pytest.mark.parametrize("second", ["accept", "merge", "not_adopt"])
async def test_two_clerks_triaging_at_once_give_one_outcome(db, second):
    async with db.session() as s:
        author = await _actor(s, 1)
        for uid in (9, 10):
            await _actor(s, uid, "en", Role.staff)
        other = await suggestions.submit(s, author, RULES, _draft(category="other"), NOW)
        target = await candidates.accept_into_pool(
            s, await _actor(s, 9, "en"), other.id, candidates.CandidateFields("Lane lights", "Ten lamps"), NOW)
        made = await suggestions.submit(s, author, RULES, _draft(), NOW)

    both_read = asyncio.Barrier(2)

    async def triage(uid: int, how: str) -> object:
        async with db.session() as s:
            staff = await load_actor(s, await s.get(User, uid))
            await s.get(Suggestion, made.id)  # both clerks see it open before either writes
            await both_read.wait()
            if how == "accept":
                return await candidates.accept_into_pool(
                    s, staff, made.id, candidates.CandidateFields(f"Lights {uid}", "Twelve lamps"), NOW)
            if how == "merge":
                return await candidates.merge_into(s, staff, made.id, target.id, NOW)
            return await suggestions.not_adopt(s, staff, made.id, NOW, reason="Already planned.")

    results = await asyncio.gather(triage(9, "accept"), triage(10, second), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], DomainError), results
    assert "no longer applies" in translate("en", refused[0].message, **refused[0].params)
    async with db.session() as s:
        stored = await s.get(Suggestion, made.id)
        assert await s.scalar(select(func.count()).select_from(Candidate)) == (2 if stored.status == "accepted" else 1)
        statuses = [e.status for e in await suggestions.history(s, made.id)]
        assert statuses == ["received", stored.status]
        assert len(await _notices(s, 1)) == 2  # the other suggestion's acceptance, then one outcome


async def test_not_adopting_with_a_template_translates_the_reason_for_the_resident(db):
    async with db.session() as s:
        resident = await _actor(s, 1, "zh-hant")
        staff = await _actor(s, 9, "en", Role.staff)
        made = await suggestions.submit(s, resident, RULES, _draft(), NOW)
        templates = await suggestions.reason_templates(s, staff)
        assert len(await suggestions.reason_templates(s, staff)) == len(templates) == len(suggestions.DEFAULT_REASONS)
        budget = next(t for t in templates if t.key == "budget")
        await suggestions.not_adopt(s, staff, made.id, NOW, template_id=budget.id)
        custom = await suggestions.add_reason_template(s, staff, "Handled by the county road bureau.")
        assert custom in await suggestions.reason_templates(s, staff)
    async with db.session() as s:
        [notice] = await _notices(s, 1)
        reason = translate("zh_TW", suggestions.DEFAULT_REASONS["budget"])
        assert reason != suggestions.DEFAULT_REASONS["budget"] and reason in notice
        history = await suggestions.history(s, made.id)
        assert [e.status for e in history] == ["received", "not_adopted"]
        with pytest.raises(DomainError):  # closed: no support, no second verdict
            await suggestions.support(s, await _actor(s, 2), made.share_code, NOW)
        with pytest.raises(DomainError):
            await suggestions.not_adopt(s, staff, made.id, NOW, reason="twice")


async def test_question_and_answer_are_relayed_without_identities(db):
    async with db.session() as s:
        resident = await _actor(s, 1, "en")
        staff = await _actor(s, 9, "zh-hans", Role.staff)
        made = await suggestions.submit(s, resident, RULES, _draft(), NOW)
        await suggestions.ask_for_information(s, staff, made.id, "Which end of the lane?", NOW, "ans:1")
        assert (await s.get(Suggestion, made.id)).status == "info_requested"
        await suggestions.answer_information(s, resident, made.id, "The <north> end", NOW, "open:1")
        assert (await s.get(Suggestion, made.id)).status == "under_review"
        with pytest.raises(DomainError):
            await suggestions.answer_information(s, resident, made.id, "again", NOW, "open:1")
    async with db.session() as s:
        question = await s.scalar(select(Notification).where(Notification.chat_id == 1))
        assert "Which end of the lane?" in question.text and "Resident" not in question.text
        assert question.payload["inline_keyboard"][0][0]["callback_data"] == "ans:1"
        relayed = await s.scalar(select(Notification).where(Notification.chat_id == 9))
        assert "The &lt;north&gt; end" in relayed.text and "Resident1" not in relayed.text
        assert relayed.text == translate("zh_CN", "Answer about suggestion {number}:\n\n<i>{question}</i>\n\n{answer}",
                                         number=made.number, question="Which end of the lane?",
                                         answer="The &lt;north&gt; end")


async def test_support_once_not_own_and_garbage_codes_refused(db):
    async with db.session() as s:
        author = await _actor(s, 1)
        made = await suggestions.submit(s, author, RULES, _draft(), NOW)
        fan = await _actor(s, 2)
        with pytest.raises(DomainError) as own:
            await suggestions.support(s, author, made.share_code, NOW)
        assert "your own" in own.value.message
        assert await suggestions.support(s, fan, made.share_code, NOW) == 1
        with pytest.raises(DomainError) as twice:
            await suggestions.support(s, fan, made.share_code, NOW)
        assert "already support" in twice.value.message
        for garbage in ("", "x", "'; drop table suggestion; --", made.share_code[:-1], "A" * 200):
            with pytest.raises(NotFound):
                await suggestions.support(s, fan, garbage, NOW)
        assert await suggestions.support_count(s, made.id) == 1


async def test_later_orders_move_the_candidate_and_every_suggestion_behind_it(db):
    async with db.session() as s:
        resident = await _actor(s, 1, "en")
        staff = await _actor(s, 9, "en", Role.staff)
        made = await suggestions.submit(s, resident, RULES, _draft(), NOW)
        candidate = await candidates.accept_into_pool(s, staff, made.id, candidates.CandidateFields("Lights", "Lamps"),
                                                      NOW)
        with pytest.raises(DomainError) as refused:
            await candidates.set_stage(s, staff, candidate.id, "completed", NOW)
        assert refused.value.params["title"] == "Lights"
        for stage in ("voted", "in_progress", "completed"):
            await candidates.set_stage(s, staff, candidate.id, stage, NOW)
        assert [e.status for e in await suggestions.history(s, made.id)] == [
            "received", "accepted", "voted", "in_progress", "completed"]
        # Error params are raw text: an alert is plain text, and a message escapes them when rendering.
        candidate.title = "Lights & poles"
        later = await suggestions.submit(s, resident, RULES, _draft(category="other"), NOW)
        with pytest.raises(DomainError) as refused:
            await candidates.merge_into(s, staff, later.id, candidate.id, NOW)
        assert refused.value.params["title"] == "Lights & poles"
        candidate.title = "Lights"
        notices = await _notices(s, 1)
        assert len(notices) == 4 and notices[-1] == translate(
            "en", suggestions.AUTHOR_NOTICES["completed"], number=made.number, title="Lights")


async def test_erasing_a_resident_keeps_pool_suggestions_without_the_author(db):
    async with db.session() as s:
        resident = await _actor(s, 1)
        staff = await _actor(s, 9, role=Role.staff)
        pending = await suggestions.submit(s, resident, RULES, _draft(photos=[("f", "u")]), NOW)
        pooled = await suggestions.submit(s, resident, RULES, _draft(show_name=True), NOW)
        await candidates.accept_into_pool(s, staff, pooled.id, candidates.CandidateFields("Lights", "Lamps"), NOW)
        other = await suggestions.submit(s, await _actor(s, 2), RULES, _draft(), NOW)
        await suggestions.support(s, resident, other.share_code, NOW)
        lines = await privacy.describe(s, resident.user)
        assert any(pending.number in line and pooled.number in line for line in lines)
    async with db.session() as s:
        await privacy.erase(s, await s.get(User, 1))
    async with db.session() as s:
        assert await s.get(Suggestion, pending.id) is None
        assert await s.scalar(select(func.count()).select_from(SuggestionPhoto)) == 0
        kept = await s.get(Suggestion, pooled.id)
        assert (kept.author_id, kept.show_name, kept.status) == (None, False, "accepted")
        assert await s.scalar(select(func.count()).select_from(SuggestionEvent)
                              .where(SuggestionEvent.actor_id == 1)) == 0
        assert await s.scalar(select(func.count()).select_from(Support)) == 0


async def test_exports_have_localized_headers_and_one_row_per_item(db):
    async with db.session() as s:
        resident = await _actor(s, 1)
        staff = await _actor(s, 9, role=Role.staff)
        station = await directory.add_station(s, None, "East Street Station")
        shown = await suggestions.submit(s, resident, RULES, _draft(show_name=True, station_id=station.id), NOW)
        await suggestions.submit(s, await _actor(s, 2), RULES, _draft(description="=HYPERLINK(\"http://x\")"), NOW)
        await candidates.accept_into_pool(s, staff, shown.id, candidates.CandidateFields("Lights", "Lamps", 1000), NOW)
        book = load_workbook(BytesIO(await suggestion_export.suggestions_xlsx(s, staff, locale="zh_CN", tz=SHANGHAI)))
        pool = load_workbook(BytesIO(await suggestion_export.pool_xlsx(s, None, locale="en", tz=SHANGHAI)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[0] == translate("zh_CN", "Number") != "Number"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [shown.number, f"MS-2026-{shown.id + 1:06d}"]
    assert rows[0][5] == "East Street Station" and rows[0][13] == "Resident1" and rows[1][13] in ("", None)
    assert rows[1][4] == "=HYPERLINK(\"http://x\")" and sheet.cell(3, 5).data_type == "s"
    pool_rows = list(pool.active.iter_rows(values_only=True))
    assert pool_rows[0][:4] == ("Candidate no.", "Title", "Summary", "Estimated cost (yuan)")
    assert pool_rows[1][1:4] == ("Lights", "Lamps", 1000) and pool_rows[1][9] == shown.number


async def test_cli_writes_both_spreadsheets(db, database_url, tmp_path):
    async with db.session() as s:
        staff = await _actor(s, 9, role=Role.staff)
        made = await suggestions.submit(s, await _actor(s, 1), RULES, _draft(), NOW)
        await candidates.accept_into_pool(s, staff, made.id, candidates.CandidateFields("Lights", "Lamps"), NOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "ADMIN_", "DEFAULT_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=database_url)
    for what, args, header in (("suggestions", ["--lang", "en"], "Number"), ("pool", [], translate("zh_CN", "Title"))):
        out = tmp_path / f"{what}.xlsx"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "export", what, "--out", str(out), *args, cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        assert f"wrote {out}" in stdout.decode()
        rows = list(load_workbook(out).active.iter_rows(values_only=True))
        assert header in rows[0] and len(rows) == 2


@pytest.mark.parametrize("typed, cost", [("40,000", 40000), ("120000", 120000), ("1 250.4", 1250),
                                         ("15万", 150_000), ("15.5万元", 155_000), ("￥3,000元", 3000),
                                         ("1.2亿", 120_000_000), ("十五万", 150_000), ("三百二十万元", 3_200_000),
                                         ("两千五", 2500), ("１５万", 150_000), ("万", None), ("十五万多", None),
                                         ("forty thousand", None), ("inf", None), ("-5", None), ("1e9", None),
                                         ("2万亿", None)])
def test_estimated_cost_is_read_as_typed_or_refused(typed, cost):
    if cost is None:
        with pytest.raises(DomainError):
            candidates.parse_cost(typed)
    else:
        assert candidates.parse_cost(typed) == cost
