"""The vote at the congress through services.votes: refusals, the count, concurrency and secrecy.

The secrecy test reads what a database reader would read after a closed session: every
table, and PostgreSQL's `xmin`/`ctid` (SQLite: the raw file and its write-ahead log).
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from models import Notification
from models.projects import Project
from models.suggestions import Candidate
from models.votes import VoteBallot, VoteCount, VoteRegister, VoteSession
from services import votes
from services.errors import DomainError, PermissionDenied
from tests.support.backends import uses_postgres
from tests.support.voting import NOW, RESIDENT_BASE, RULES, actor, congress, open_with, prepared_session

BALLOT_BUTTON = lambda sid, r: f"bt:o:{sid}:{r}::0:"  # noqa: E731


async def cast(db, uid: int, session_id: int, marks: str, round_: int = 1) -> None:  # noqa: ANN001
    async with db.session() as s:
        await votes.submit(s, await actor(s, uid), session_id, round_, marks)


async def close_and_confirm(db, c, session_id: int, paper: str | None = None) -> VoteSession:  # noqa: ANN001
    async with db.session() as s:
        await votes.close_voting(s, await actor(s, c.staff), session_id, NOW)
    await votes.scrub(db.engine)
    async with db.session() as s:
        staff = await actor(s, c.staff)
        if paper is not None:
            await votes.enter_paper(s, staff, session_id, paper, NOW)
        return await votes.confirm(s, staff, session_id, NOW, RULES)


async def test_a_majority_session_counts_against_those_present_and_makes_projects(db):
    c = await congress(db, deputies=9)
    sid = await prepared_session(db, c)
    present = c.deputies[:7]
    await open_with(db, c, sid, present, paper=(present[-1],))
    # 6 in the bot + 1 on paper. Candidate 1: 4 yes of 7 present passes; candidate 2: 3 yes + 1 paper yes
    # passes; candidate 3: 3 yes and 3 blank does not (abstentions count against); candidate 4: all no.
    for uid, marks in zip(present, ["yyyn", "yyyn", "yyyn", "ynan", "n--n", "----"]):
        await cast(db, uid, sid, marks)
    async with db.session() as s:  # nothing is shown before staff confirm
        with pytest.raises(DomainError):
            await votes.sheet(s, await actor(s, c.staff), sid)
    vote = await close_and_confirm(db, c, sid, paper="1 0 0\n0 0\n1 0\n0 0\n0 1")
    assert vote.status == "closed"
    async with db.session() as s:
        result = await votes.sheet(s, await actor(s, c.staff), sid)
        assert (result.present, result.threshold) == (7, 4)
        assert [(line.tally.yes, line.tally.no, line.tally.abstain) for line in result.lines] == [
            (4, 1, 2), (4, 1, 2), (3, 0, 4), (0, 6, 1)]
        assert [line.adopted for line in result.lines] == [True, True, False, False]
        projects = list(await s.scalars(select(Project).order_by(Project.id)))
        assert [p.candidate_id for p in projects] == c.candidates[:2]
        assert all(p.vote_session_id == sid for p in projects)
        assert (await s.get(Candidate, c.candidates[2])).status == "pool"  # back in the pool, result recorded
        # announced to the 9 eligible deputies and the residents behind all four candidates
        told = set(await s.scalars(select(Notification.chat_id).where(
            Notification.idempotency_key.like(f"vote-result-{sid}-%"))))
        assert told == set(c.deputies) | set(c.residents)


async def test_ballots_are_refused_to_whoever_has_no_right_to_one(db):
    c = await congress(db, deputies=9)
    sid = await prepared_session(db, c, slots=2)
    present = c.deputies[:6]
    await open_with(db, c, sid, present, paper=(present[0],))
    refusals = [
        (present[0], "yy--", 1),  # votes on paper
        (c.deputies[8], "yy--", 1),  # did not check in
        (RESIDENT_BASE, "yy--", 1),  # a resident forging the button
        (present[1], "yyy-", 1),  # more yes votes than slots
        (present[1], "yy", 1),  # does not match the candidates
        (present[1], "yy--", 2),  # a round that is not open
    ]
    for uid, marks, round_ in refusals:
        with pytest.raises(DomainError):
            await cast(db, uid, sid, marks, round_)
    await cast(db, present[1], sid, "yy--")
    with pytest.raises(DomainError, match="already been counted"):
        await cast(db, present[1], sid, "nn--")
    async with db.session() as s:
        await votes.close_voting(s, await actor(s, c.staff), sid, NOW)
    with pytest.raises(DomainError, match="no longer open"):
        await cast(db, present[2], sid, "yy--")
    async with db.session() as s:
        assert await s.scalar(select(VoteBallot.marks)) == "yy--"
        assert len(list(await s.scalars(select(VoteBallot)))) == 1


async def test_staff_of_one_station_and_deputies_cannot_run_a_session(db):
    from models import Role, Station
    from services import people

    c = await congress(db, deputies=2)
    sid = await prepared_session(db, c)
    async with db.session() as s:
        station = Station(name="East")
        s.add(station)
        await s.flush()
        await people.ensure_user(s, people.Contact(790, "Local", None, "en"))
        await people.grant_role(s, 790, Role.staff, by=None, station_id=station.id)
    for uid in (790, c.deputies[0], RESIDENT_BASE):
        async with db.session() as s:
            with pytest.raises(PermissionDenied):
                await votes.open_checkin(s, await actor(s, uid), sid, NOW, str)


async def test_quorum_and_check_in_codes(db):
    c = await congress(db, deputies=4)
    sid = await prepared_session(db, c)
    async with db.session() as s:
        staff = await actor(s, c.staff)
        await votes.open_checkin(s, staff, sid, NOW, str)
        code, _ = await votes.current_code(s, staff, sid, NOW, RULES)
    wrong = str((int(code) + 1) % 10 ** votes.CODE_DIGITS).zfill(votes.CODE_DIGITS)
    for expected_left in (4, 3, 2, 1):
        async with db.session() as s:
            assert await votes.check_in(s, await actor(s, c.deputies[0]), sid, wrong, NOW, RULES) == (
                votes.CheckIn.wrong, expected_left)
    async with db.session() as s:  # the fifth wrong code locks; after that even the right one is refused
        assert (await votes.check_in(s, await actor(s, c.deputies[0]), sid, wrong, NOW, RULES))[0] == "locked"
    async with db.session() as s:
        assert (await votes.check_in(s, await actor(s, c.deputies[0]), sid, code, NOW, RULES))[0] == "locked"
    later = NOW.replace(minute=NOW.minute + 4)  # the code rotated once: the previous one still works
    async with db.session() as s:
        assert (await votes.check_in(s, await actor(s, c.deputies[1]), sid, code, later, RULES))[0] == "done"
    async with db.session() as s:
        staff = await actor(s, c.staff)
        with pytest.raises(DomainError) as refused:
            await votes.open_voting(s, staff, sid, NOW, RULES, BALLOT_BUTTON)
        assert refused.value.params == dict(present=1, eligible=4, needed=3)  # more than half of 4 is 3
    async with db.session() as s:
        staff = await actor(s, c.staff)
        await votes.staff_check_in(s, staff, sid, c.deputy_ids[0], NOW)  # the locked-out deputy, by staff
        await votes.staff_check_in(s, staff, sid, c.deputy_ids[2], NOW)
        vote = await votes.open_voting(s, staff, sid, NOW, RULES, BALLOT_BUTTON)
        assert (vote.present, vote.quorum) == (3, 3)


@pytest.mark.parametrize("attempt", range(3))
async def test_two_submissions_racing_count_once(db, attempt):
    c = await congress(db, deputies=3)
    sid = await prepared_session(db, c)
    await open_with(db, c, sid, c.deputies)
    outcomes = await asyncio.gather(cast(db, c.deputies[0], sid, "yyyy"), cast(db, c.deputies[0], sid, "nnnn"),
                                    return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["DomainError", "NoneType"]
    async with db.session() as s:
        assert len(list(await s.scalars(select(VoteBallot)))) == 1
        assert (await s.scalar(select(VoteRegister.voted_round).where(
            VoteRegister.deputy_id == c.deputy_ids[0]))) == 1


async def _everything(db) -> dict[str, list[dict]]:  # noqa: ANN001
    """Every row of every table, as a reader of the database sees it (with xmin and ctid on PostgreSQL)."""
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        seen = {}
        for table in tables:
            extra = ", xmin::text AS xmin, ctid::text AS ctid" if uses_postgres() else ""
            rows = await conn.execute(text(f'SELECT *{extra} FROM "{table}"'))
            seen[table] = [dict(row._mapping) for row in rows]
    return seen


async def test_after_close_nothing_links_a_ballot_to_a_deputy(db, caplog):
    caplog.set_level(logging.INFO)
    c = await congress(db, deputies=7, titles=("A road", "A bridge", "A clinic"))
    sid = await prepared_session(db, c)
    await open_with(db, c, sid, c.deputies)
    choices = ["yyy", "yyn", "yny", "nyy", "ynn", "nyn", "nny"]  # seven distinct ballots, one per deputy
    during = []
    for uid, marks in zip(c.deputies, choices):
        await cast(db, uid, sid, marks)
    # an attacker reading during the vote sees the keys (and, on PostgreSQL, the xmin) of each ballot
    async with db.session() as s:
        during = list(await s.scalars(select(VoteBallot.id)))
    if uses_postgres():
        async with db.engine.connect() as conn:
            filenode_before = await conn.scalar(text("SELECT pg_relation_filenode('voteballot')"))
    await close_and_confirm(db, c, sid)
    seen = await _everything(db)

    ballots = seen["voteballot"]
    assert sorted(b["marks"] for b in ballots) == sorted(choices)
    assert set(ballots[0]) - {"xmin", "ctid"} == {"id", "session_id", "round", "marks"}  # no voter, no time
    assert not {b["id"] for b in ballots} & set(during)  # new keys: nothing seen during the vote leads back
    # every ballot looks the same apart from its marks and random key, so no assignment of ballots to
    # voters is preferred by what the rows carry ...
    assert len({(b["session_id"], b["round"], b.get("xmin")) for b in ballots}) == 1
    # ... no deputy's choice is written anywhere else: not in an audit event, a notification or a log line
    for table, rows in seen.items():
        if table != "voteballot":
            values = [v for row in rows for v in row.values()]
            values += [v for value in values if isinstance(value, dict) for v in value.values()]
            assert not any(str(value) in choices for value in values), table
    # at the level the bot logs (INFO; a database driver's DEBUG log would print statement parameters)
    assert not any(m in record.getMessage() for record in caplog.records for m in choices)
    if uses_postgres():
        # the register rows were written in the voting transactions; no ballot shares their xmin now
        assert not {r["xmin"] for r in seen["voteregister"]} & {b["xmin"] for b in ballots}
        async with db.engine.connect() as conn:  # TRUNCATE gave the table a new file: no dead tuples in it
            assert await conn.scalar(text("SELECT pg_relation_filenode('voteballot')")) != filenode_before
    else:
        path = Path(db.url.split(":///", 1)[1])
        wal = path.with_name(path.name + "-wal")
        raw = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        # the deleted cells were overwritten and the log of the writes in submission order folded away
        assert not any(key.encode() in raw for key in during)


async def test_the_closing_shuffle_puts_each_ballot_anywhere(db):
    """The order the rows lie in after close is a fresh random permutation, independent of submission."""
    c = await congress(db, deputies=7, titles=("A road",))
    sid = await prepared_session(db, c)
    await open_with(db, c, sid, c.deputies)
    for uid, marks in zip(c.deputies, ["y", "n", "a", "-", "n", "a", "-"]):
        await cast(db, uid, sid, marks)
    order = "ctid" if uses_postgres() else "id"  # the heap order; SQLite's table is kept in key order
    first_places = set()
    for _ in range(40):
        async with db.session() as s:
            await votes._shuffle_ballots(s)
        async with db.session() as s:
            ordered = list(await s.scalars(select(VoteBallot.marks).order_by(text(order))))
        first_places.add(ordered.index("y"))  # where the first deputy's ballot ended up
    assert len(first_places) >= 5  # 40 shuffles of 7: each place is reached with near certainty


async def test_a_tie_at_the_last_slot_is_settled_by_a_runoff(db):
    c = await congress(db, deputies=9)
    sid = await prepared_session(db, c, slots=3)
    present = c.deputies[:7]
    await open_with(db, c, sid, present)
    # candidates 1 and 2 clear with 6 yes; 3 and 4 pass with 4 each (of 7 present) and tie for the last slot
    for uid, marks in zip(present, ["yyy-", "yyy-", "yy-y", "yy-y", "yyy-", "yy-y", "--yy"]):
        await cast(db, uid, sid, marks)
    vote = await close_and_confirm(db, c, sid)
    assert vote.status == "tied"
    async with db.session() as s:
        vote = await votes.runoff(s, await actor(s, c.staff), sid, NOW, BALLOT_BUTTON)
        assert vote.round == 2
    for uid, marks in zip(present, ["y-", "y-", "-y", "y-", "-y", "y-", "--"]):
        await cast(db, uid, sid, marks, round_=2)
    vote = await close_and_confirm(db, c, sid)
    assert vote.status == "closed"
    async with db.session() as s:
        result = await votes.sheet(s, await actor(s, c.staff), sid)
        assert [line.adopted for line in result.lines] == [True, True, True, False]
        assert [line.runoff.yes if line.runoff else None for line in result.lines] == [None, None, 4, 2]
        rows = list(await s.scalars(select(VoteCount).where(VoteCount.round == 2)))
        assert len(rows) == 2


def test_check_in_codes_rotate_and_are_short() -> None:
    key = "ab" * 32
    codes = {votes.code_at(key, window) for window in range(200)}
    assert all(len(code) == votes.CODE_DIGITS and code.isdigit() for code in codes)
    assert len(codes) > 190
    assert votes.code_at(key, 5) == votes.code_at(key, 5) != votes.code_at("cd" * 32, 5)


async def test_a_submission_costs_the_same_few_statements_however_large_the_congress(db):
    """The benchmark's 2,000 deputies submit within minutes: a ballot is a constant handful of statements."""
    from sqlalchemy import event

    c = await congress(db, deputies=40, titles=("A road", "A bridge"))
    sid = await prepared_session(db, c)
    await open_with(db, c, sid, c.deputies)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        statements.append(statement)

    async def counted(uid: int, work) -> int:  # noqa: ANN001
        async with db.session() as s:
            who = await actor(s, uid)
            statements.clear()
            event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
            try:
                await work(s, who)
                await s.flush()
            finally:
                event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        return len(statements)

    async def submit(s, who) -> None:  # noqa: ANN001
        await votes.submit(s, who, sid, 1, "yn")

    async def present(s, who) -> None:  # noqa: ANN001
        assert (await votes.presence(s, sid)).present == 40

    first, last = await counted(c.deputies[0], submit), await counted(c.deputies[-1], submit)
    # claim the register row, read the session and the round, insert the ballot and the audit event
    assert first == last <= 5, (first, last)
    assert await counted(c.staff, present) == 1  # the live "present N of M" is one query


async def test_the_result_sheet_from_the_command_line_renders_chinese_offline(db, tmp_path):
    from io import BytesIO

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from tests.test_cli import run_cli

    c = await congress(db, deputies=3, titles=("East Lane street lights", "Village bridge railings"))
    sid = await prepared_session(db, c)
    await open_with(db, c, sid, c.deputies)
    for uid, marks in zip(c.deputies, ["yn", "yn", "ny"]):
        await cast(db, uid, sid, marks)
    await close_and_confirm(db, c, sid)
    env = {"DATABASE_URL": db.url}
    result = run_cli("export", "vote", str(sid), "--lang", "zh_CN", "--out", str(tmp_path / "r.pdf"),
                     env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pdf = PdfReader(BytesIO((tmp_path / "r.pdf").read_bytes()))
    content = "".join(page.extract_text() for page in pdf.pages)
    from services.i18n import translate
    assert translate("zh_CN", "Result of the vote on livelihood projects") in content
    assert "East Lane street lights" in content and translate("zh_CN", "adopted") in content
    result = run_cli("export", "vote", str(sid), "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"),
                     env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))
    assert ("East Lane street lights", 2, 1, 0) in [(r[1], r[3], r[4], r[5]) for r in rows]
    missing = run_cli("export", "vote", "999", env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


async def test_questions_reach_the_unit_and_answers_every_deputy_and_mydata_lists_them(db):
    from models import Department, Role, User
    from services import people, privacy
    from services.i18n import use_locale

    c = await congress(db, deputies=3, titles=("A road",))
    sid = await prepared_session(db, c)
    async with db.session() as s:
        unit = Department(name="Transport bureau")
        s.add(unit)
        await s.flush()
        await people.ensure_user(s, people.Contact(795, "Clerk", None, "en"))
        await people.grant_role(s, 795, Role.department, by=None, department_id=unit.id)
        staff = await actor(s, c.staff)
        (item, _c), = await votes.items(s, sid)
        await votes.edit_item(s, staff, item.id, "unit", NOW, department_id=unit.id)
    async with db.session() as s:
        with pytest.raises(DomainError):  # invisible-only text is no question
            await votes.ask(s, await actor(s, c.deputies[0]), item.id, "\u200b\u2800 ", NOW, str)
    async with db.session() as s:
        asked = await votes.ask(s, await actor(s, c.deputies[0]), item.id, "Who maintains it?", NOW, str)
    async with db.session() as s:
        assert await s.scalar(select(Notification.chat_id).where(
            Notification.idempotency_key.like(f"vote-question-{asked.id}-%"))) == 795
        with pytest.raises(PermissionDenied):  # a deputy cannot answer for the unit
            await votes.answer(s, await actor(s, c.deputies[1]), asked.id, "Nobody", NOW)
    async with db.session() as s:
        await votes.answer(s, await actor(s, 795), asked.id, "The village committee.", NOW)
    async with db.session() as s:
        told = set(await s.scalars(select(Notification.chat_id).where(
            Notification.idempotency_key.like(f"vote-answer-{asked.id}-%"))))
        assert told == set(c.deputies)
        with use_locale("en"):
            lines = await privacy.describe(s, await s.get(User, c.deputies[0]))
        assert any("Questions you asked on candidates before a vote: 1" in line for line in lines)


def test_the_announcement_fits_one_message_with_a_full_ballot_of_long_titles() -> None:
    from datetime import date

    from services.i18n import use_locale

    vote = VoteSession(id=1, meeting="M" * votes.MEETING_MAX, held_on=date(2026, 3, 2), place="Hall", slots=3,
                       code_key="00")
    lines = [votes.Line(n, "T" * 120, "", votes.counting.Tally(1000, 500, 499), True, n, n <= 3, False,
                        votes.counting.Tally(999, 0, 0)) for n in range(1, votes.ITEMS_MAX + 1)]
    for locale in ("en", "zh_CN", "zh_TW"):
        with use_locale(locale):
            text_ = votes.summary(votes.Sheet(vote, 1999, 1000, lines, []))
        assert len(text_) <= 4096 and text_.count("\n") >= votes.ITEMS_MAX


async def test_preparation_is_audited_chooses_deputies_by_station_or_level_and_freezes_at_check_in(db):
    from models import AuditEvent, Deputy
    from services import directory

    c = await congress(db, deputies=4)
    async with db.session() as s:
        staff = await actor(s, c.staff)
        east = await directory.add_station(s, staff, "East")
        for deputy_id in c.deputy_ids[:2]:
            (await s.get(Deputy, deputy_id)).station_id = east.id
        (await s.get(Deputy, c.deputy_ids[3])).level = "county"
        vote = await votes.create(s, staff, "Shuikou 18th congress, 3rd session", NOW.date(), "Town hall", NOW)
        assert await votes.add_eligible(s, staff, vote.id, NOW, station_id=east.id) == 2
        assert await votes.add_eligible(s, staff, vote.id, NOW, level="county") == 1
        assert await votes.add_eligible(s, staff, vote.id, NOW, everyone=True) == 1  # only the one left
        item = await votes.add_item(s, staff, vote.id, c.candidates[0], NOW)
        unit = await directory.ensure_department(s, staff, "Town roads office")
        await votes.edit_item(s, staff, item.id, "unit", NOW, department_id=unit.id)
        await votes.edit_item(s, staff, item.id, "cost", NOW, value="15万")
        await votes.edit(s, staff, vote.id, "place", "Town hall, room 2", NOW)
        sid, item_id = vote.id, item.id
    async with db.session() as s:
        actions = list(await s.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "vote_session",
                                                                AuditEvent.subject_id == str(sid))
                                       .order_by(AuditEvent.id)))
        assert actions == ["vote.create", "vote.eligible_add", "vote.eligible_add", "vote.eligible_add",
                           "vote.item_add", "vote.item_edit", "vote.item_edit", "vote.edit"]
        staff = await actor(s, c.staff)
        await votes.open_checkin(s, staff, sid, NOW, lambda session_id: f"dv:checkin:{session_id}")
    frozen = [
        lambda s, staff: votes.edit(s, staff, sid, "place", "Elsewhere", NOW),
        lambda s, staff: votes.add_item(s, staff, sid, c.candidates[1], NOW),
        lambda s, staff: votes.edit_item(s, staff, item_id, "cost", NOW, value="1"),
        lambda s, staff: votes.remove_item(s, staff, item_id, NOW),
        lambda s, staff: votes.add_eligible(s, staff, sid, NOW, everyone=True),
        lambda s, staff: votes.remove_eligible(s, staff, sid, c.deputy_ids[0], NOW),
    ]
    for change in frozen:
        async with db.session() as s:
            with pytest.raises(DomainError):
                await change(s, await actor(s, c.staff))
    async with db.session() as s:
        item = await s.get(votes.VoteItem, item_id)
        assert (item.cost, (await s.get(VoteSession, sid)).place) == (150_000, "Town hall, room 2")


async def test_the_project_takes_the_unit_and_cost_the_deputies_voted_on(db):
    from services import directory

    c = await congress(db, deputies=3)
    sid = await prepared_session(db, c)
    async with db.session() as s:
        staff = await actor(s, c.staff)
        first, _candidate = (await votes.items(s, sid))[0]
        unit = await directory.ensure_department(s, staff, "Town lighting office")
        await votes.edit_item(s, staff, first.id, "unit", NOW, department_id=unit.id)
        await votes.edit_item(s, staff, first.id, "cost", NOW, value="12.5万元")
        unit_id = unit.id
    await open_with(db, c, sid, c.deputies)
    for uid in c.deputies:
        await cast(db, uid, sid, "ynnn")
    await close_and_confirm(db, c, sid)
    async with db.session() as s:
        project = await s.scalar(select(Project).where(Project.candidate_id == c.candidates[0]))
        assert (project.department_id, project.budget) == (unit_id, 125_000)
        assert (await s.get(Candidate, c.candidates[0])).estimated_cost == 100_000  # the pool's draft unchanged


async def test_a_paper_tally_that_makes_more_ballots_than_deputies_present_is_refused(db):
    c = await congress(db, deputies=9)
    sid = await prepared_session(db, c)
    present = c.deputies[:7]
    await open_with(db, c, sid, present, paper=(present[-1],))
    for uid in present[:-1]:
        await cast(db, uid, sid, "yyyy")
    async with db.session() as s:
        await votes.close_voting(s, await actor(s, c.staff), sid, NOW)
    async with db.session() as s:  # 6 in the bot + 2 on paper > 7 present
        staff = await actor(s, c.staff)
        await votes.enter_paper(s, staff, sid, "2 0 0\n2 0\n2 0\n2 0\n2 0", NOW)
        with pytest.raises(DomainError, match="do not add up"):
            await votes.confirm(s, staff, sid, NOW, RULES)
    async with db.session() as s:
        assert (await s.get(VoteSession, sid)).status == "counting"
        assert await s.scalar(select(Project.id)) is None
