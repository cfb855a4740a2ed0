"""The authorisation matrix: every button of the bot, pressed by everyone who must not press it.

The callback-data classes are found in the code, and each button's possible actions in
the handlers' source (the literal values its fields are built or filtered with). Every
number points at a row of someone else: a world is planted where the victims' rows come
first, so id 1 of every table is theirs (a West deputy, a West resident, a department).
Four attackers press everything: a resident, a deputy of the East station, a clerk of the
East station, and a clerk of another department.

For every press: the database (every table but the attacker's own conversation state and
last-seen time) is unchanged, nothing the victims wrote reaches the attacker, and nothing
crashes. Where the attacker has no business with a button at all, the press is refused
(an alert). A class without a rule below fails the test: a new button must say who may
press it.
"""
from __future__ import annotations

import ast
import functools
import itertools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select
from sqlmodel import SQLModel

import handlers
from bot import menu
from models import Notification, NotificationStatus, Role, User
from services import (candidates, delivery, deputy_codes, directory, inquiries, invites, meetings, people, projects,
                      proposals, suggestions, verify, votes)
from services.auth import load_actor
from services.calendar import HolidayCalendar
from tests.support.clock import SHANGHAI
from tests.support.waiting import eventually

VISIT_RULES = verify.Rules(2000, 7, 2, SHANGHAI, HolidayCalendar())
ROOT = Path(__file__).resolve().parents[2]
SECRET = "SECRET-7f3a"  # in everything the victims wrote; must never reach an attacker
# Victims (their rows are created first: id 1 everywhere) and attackers.
V_RESIDENT, V_DEPUTY, V_STAFF, V_CLERK = 500, 501, 502, 503
RESIDENT, DEPUTY, STAFF, CLERK = 600, 601, 602, 603
ATTACKERS = {"resident": RESIDENT, "deputy": DEPUTY, "staff": STAFF, "department": CLERK}
VOTE_RULES = votes.Rules(quorum_percent=50, code_seconds=180, code_attempts=5, announce_chat_id=None,
                         default_locale="en", projects=projects.Rules(1, 7, SHANGHAI, HolidayCalendar()))


# --- the buttons, found in the code --------------------------------------------------------------


def _classes() -> dict[str, type[CallbackData]]:
    handlers.routers()
    found, todo = {}, list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        found[cls.__prefix__] = cls
        todo.extend(cls.__subclasses__())
    return found


@functools.cache
def _code() -> list[ast.Call]:
    """Every call in the code that builds or filters buttons, parsed once."""
    paths = [*ROOT.joinpath("handlers").rglob("*.py"), ROOT / "bot" / "menu.py", *ROOT.joinpath("services").glob("*.py")]
    return [node for path in paths for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call)]


def _literals(cls: type[CallbackData]) -> dict[str, set[str]]:
    """Each str field's values in the code: `Cls(field="x")` calls and `Cls.filter(F.field == "x")`."""
    values: dict[str, set[str]] = {}
    for node in _code():
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == cls.__name__:
            for keyword in node.keywords:
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    values.setdefault(keyword.arg, set()).add(keyword.value.value)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "filter"
                and getattr(node.func.value, "id", None) == cls.__name__):
            for compare in (n for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Compare)):
                field = getattr(compare.left, "attr", None)
                for right in compare.comparators:
                    if isinstance(right, ast.Constant) and isinstance(right.value, str):
                        values.setdefault(field, set()).add(right.value)
            for call in (n for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Call)):
                if isinstance(call.func, ast.Attribute) and call.func.attr == "in_":
                    field = getattr(call.func.value, "attr", None)
                    for arg in call.args:
                        for item in getattr(arg, "elts", []):
                            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                                values.setdefault(field, set()).add(item.value)
    if cls is menu.MenuCb:
        values.setdefault("key", set()).update(menu._entries)
    return values


@functools.cache
def _probes(cls: type[CallbackData]) -> list[dict[str, Any]]:
    """Every combination of the literal actions, with every number pointing at id 1 (a victim's row)."""
    literals = _literals(cls)
    options: dict[str, list[Any]] = {}
    for name, field in cls.model_fields.items():
        members = getattr(field.annotation, "__members__", None)
        if field.annotation is int:
            options[name] = [1]
        elif members:
            options[name] = [member.value for member in members.values()]
        else:
            # No value in the code: garbage, and a number as text (an id or a choice) that passes parsing
            # and so reaches the service's permission check.
            options[name] = sorted(literals.get(name) or {"x", "1"})
    if RULES.get(cls.__prefix__) is FORM_STEP:  # refused outside its form whatever it carries: one per action
        first = next(iter(options))
        options = {name: values if name == first else values[:1] for name, values in options.items()}
    combos = [dict(zip(options, values)) for values in itertools.product(*options.values())]
    return combos[:80]


# --- who must be refused --------------------------------------------------------------------------

Rule = Callable[[str, dict[str, Any]], bool]  # (attacker role, fields) -> must the press be refused?
EVERYONE: Rule = lambda role, f: True  # noqa: E731  nobody here owns what id 1 points at
NOBODY: Rule = lambda role, f: False  # noqa: E731  open to all, or acting on the presser's own things


def only(*roles: str) -> Rule:
    """A screen of these roles: anyone else is refused."""
    return lambda role, f: role not in roles


def _menu(role: str, fields: dict[str, Any]) -> bool:
    entry = menu._entries.get(fields["key"])
    if fields["key"] == "proposal_new" and role == "staff":
        return False  # staff write down a deputy's oral suggestion
    return entry is not None and role not in entry.roles and "resident" not in entry.roles


def _reception(role: str, fields: dict[str, Any]) -> bool:
    return role != "deputy" or fields["action"] == "remove"  # slot 1 is the victim deputy's


def _invite(role: str, fields: dict[str, Any]) -> bool:
    return role != "staff" or fields["step"] in ("make", "revoke", "newdept")  # invite 1 is for a West deputy


def _station(role: str, fields: dict[str, Any]) -> bool:
    return role != "staff" or fields["act"] in ("rename", "add", "skiparea")  # station 1 is West


def _deputy(role: str, fields: dict[str, Any]) -> bool:
    return role != "staff" or fields["act"] not in ("list", "filter", "add", "import")  # deputy 1 is West's


def _roles(role: str, fields: dict[str, Any]) -> bool:
    return role != "staff" or fields["act"] in ("ask", "revoke")  # user 1 holds no role anyone may touch


def _pool(role: str, fields: dict[str, Any]) -> bool:
    return role != "staff" or fields["act"] in ("edit", "unit")  # candidate 1 comes from West


def _own_lists(role: str, fields: dict[str, Any]) -> bool:
    return {"mine": "deputy", "todo": "department"}.get(fields["name"]) != role


def _proposal(role: str, fields: dict[str, Any]) -> bool:
    return role != "staff" or fields["act"] != "oral"


STAFF_ONLY = only("staff")
FORM_STEP = EVERYONE  # outside its form a step button is stale
RULES: dict[str, Rule] = {
    "menu": _menu,
    "lang": NOBODY, "erase": NOBODY, "fc": NOBODY, "lt": NOBODY,  # the presser's own form
    "dc": NOBODY, "dcs": NOBODY, "dcp": NOBODY,  # the public directory of deputies
    "dcf": FORM_STEP, "dcd": FORM_STEP, "sf": FORM_STEP, "vs": FORM_STEP, "prs": FORM_STEP, "prc": FORM_STEP, "prp": FORM_STEP,
    "prw": FORM_STEP,
    "thr": EVERYONE, "dcr": EVERYONE, "ibx": EVERYONE, "ibr": EVERYONE, "ibs": _reception,
    "ovs": STAFF_ONLY, "ovi": lambda role, f: role != "staff" or f["action"] != "find", "ovr": EVERYONE,
    "ovrp": EVERYONE, "ovqp": STAFF_ONLY, "ovq": EVERYONE,
    "pi": _invite, "ps": _station, "pd": _deputy, "pr": _roles,
    "sq": STAFF_ONLY, "si": EVERYONE, "pl": _pool, "sa": EVERYONE,
    "sm": lambda role, f: f["id"] != 0, "sp": EVERYONE,  # sp: no share code is "x"
    "pro": _proposal, "prr": EVERYONE, "pra": EVERYONE, "pro_p": _own_lists, "pro_l": STAFF_ONLY,
    "vo": EVERYONE,  # vote sessions are run by staff serving every station
    "bt": EVERYONE, "vq": EVERYONE,  # nobody attacking is eligible for session 1
    "dv": lambda role, f: role != "deputy" or f["act"] != "list",  # a deputy's own seats
    "dp": lambda role, f: f["act"] in ("plan", "report"),  # projects are public; filing is the victim department's
    "df": EVERYONE,  # filing 1 is a West project's, reviewed by the office or West's clerks
    "dq": lambda role, f: role != "deputy" or f["act"] == "answer",  # any deputy comments; its department answers
    "dr": EVERYONE,  # the record of a West project is kept by the office or West's clerks
    "dl": NOBODY, "dw": FORM_STEP,
    "vg": lambda role, f: role != "staff" or f["act"] != "list",  # project 1 is West's
    # Any deputy reports on any project; the reports are the group's, the department's and West's staff's.
    "vp": lambda role, f: f["act"] == "reports" or (f["act"] != "open" and role != "deputy"),
    "vv": EVERYONE, "vw": FORM_STEP,
    "ve": EVERYONE,  # no evaluation 1 exists; opening one is the whole office's
    "sd": STAFF_ONLY,  # the dashboard: an East clerk sees East's duties and exports only
    "er": EVERYONE,  # no evaluation of year 1; the report is staff's
}
# Buttons that act only on the presser's own account; pressing them is tested where they live.
SKIPPED = {("erase", "confirm"), ("dp", "follow")}


# --- the world --------------------------------------------------------------------------------------


async def _user(session, uid: int, role: Role | None = None, **grant: object):  # noqa: ANN001, ANN202
    user, _ = await people.ensure_user(session, people.Contact(uid, f"User{uid}", None, "en"))
    if role is not None:
        await people.grant_role(session, uid, role, by=None, **grant)
    return await load_actor(session, user)


async def plant(db, now) -> None:  # noqa: ANN001
    """The victims' rows first (id 1 of each table), then the attackers' own."""
    async with db.session() as s:
        west = await directory.add_station(s, None, "West")
        east = await directory.add_station(s, None, "East")
        victim_department = await directory.ensure_department(s, None, "Victim Bureau")
        other_department = await directory.ensure_department(s, None, "Other Bureau")
        victim_deputy = await directory.add_deputy(s, None, directory.DeputyFields("Victim Deputy", "county", west.id,
                                                                                  "13800000000"))
        own_deputy = await directory.add_deputy(s, None, directory.DeputyFields("Attacker Deputy", "county", east.id))
        resident = await _user(s, V_RESIDENT)
        await _user(s, V_DEPUTY, Role.deputy)
        victim_deputy.user_id = V_DEPUTY
        await _user(s, V_STAFF, Role.staff, station_id=west.id)
        await _user(s, V_CLERK, Role.department, department_id=victim_department.id)
        await _user(s, RESIDENT)
        await _user(s, DEPUTY, Role.deputy)
        own_deputy.user_id = DEPUTY
        await _user(s, STAFF, Role.staff, station_id=east.id)
        await _user(s, CLERK, Role.department, department_id=other_department.id)
        await s.flush()
        office = await _user(s, 700, Role.staff)
        rules = suggestions.Rules(("roads",), 5, SHANGHAI)
        made = await suggestions.submit(s, resident, rules, suggestions.Draft(
            "roads", f"{SECRET} suggestion text", place_text=f"{SECRET} place", station_id=west.id), now)
        # The candidate's title and summary are the office's words for the pool, not the resident's.
        await candidates.accept_into_pool(s, office, made.id, candidates.CandidateFields(
            "West lane lights", "Lights along the West lane."), now)
        other = await suggestions.submit(s, resident, rules, suggestions.Draft(
            "roads", f"{SECRET} second suggestion", place_text="West lane", station_id=west.id), now)
        await suggestions.ask_for_information(s, office, other.id, f"{SECRET} question", now, "sa:1")
        victim = await load_actor(s, await s.get(User, V_DEPUTY))
        await meetings.add_slot(s, victim, (now + timedelta(days=3)).astimezone(SHANGHAI).strftime(
            "%Y-%m-%d 10:00") + f" {SECRET} slot", now, inquiries.Rules())
        await inquiries.submit_opinion(s, resident, victim_deputy.id, inquiries.Draft(f"{SECRET} letter"), now,
                                       inquiries.Rules())
        prules = proposals.Rules({"ordinary": 3, "complex": 6}, SHANGHAI, HolidayCalendar())
        await proposals.file(s, victim, proposals.Draft(f"{SECRET} title", f"{SECRET} proposal", "ordinary",
                                                        department_id=victim_department.id), now, prules)
        newcomer = await directory.add_deputy(s, None, directory.DeputyFields("West Newcomer", "county", west.id))
        await invites.create(s, office, Role.deputy, ttl_days=7, deputy_id=newcomer.id)
        await deputy_codes.code_for(s, None, now, deputy_id=victim_deputy.id)
        await deputy_codes.code_for(s, None, now, station_id=west.id)
        # A vote in the hall: the victim deputy alone is eligible, checked in, with a question asked.
        vote = await votes.create(s, office, "West congress", now.date(), "West hall", now)
        item = await votes.add_item(s, office, vote.id, 1, now)
        await votes.add_eligible(s, office, vote.id, now, deputy_id=victim_deputy.id)
        await votes.ask(s, victim, item.id, f"{SECRET} question to the unit", now, lambda q: f"vq:answer:{q}")
        await votes.open_checkin(s, office, vote.id, now, lambda sid: f"dv:checkin:{sid}")
        await votes.staff_check_in(s, office, vote.id, victim_deputy.id, now)
        await votes.open_voting(s, office, vote.id, now, VOTE_RULES, lambda sid, r: f"bt:o:{sid}:{r}::0:")
        # A West project of the victim department, its plan filed and waiting for the office.
        lane = await suggestions.submit(s, resident, rules, suggestions.Draft(
            "roads", "Lights on the West bridge", place_text="West bridge", station_id=west.id), now)
        bridge = await candidates.accept_into_pool(s, office, lane.id, candidates.CandidateFields(
            "West bridge lights", "Lights along the West bridge.", department_id=victim_department.id), now)
        project = await projects.create_from_candidate(s, office, bridge.id, now, VOTE_RULES.projects)
        clerk = await load_actor(s, await s.get(User, V_CLERK))
        plan = await delivery.submit_plan(s, clerk, project.id, delivery.PlanDraft(
            "The bridge plan", "Victim Chief", [("Done", now.astimezone(SHANGHAI).date())]), now, VOTE_RULES.projects)
        # Accepted (so public), with the victim deputy's public question waiting for the victim department.
        await delivery.review(s, office, plan.id, True, now, VOTE_RULES.projects)
        await delivery.comment(s, victim, plan.id, "When are the lights on?", now)
        # The victim deputy supervises it and reported from the site, raising an issue.
        await verify.add_member(s, office, project.id, victim_deputy.id, now)
        await verify.submit_visit(s, victim, project.id, verify.VisitDraft(
            [("photo-1", f"{SECRET} caption")], f"{SECRET} findings", "problem", f"{SECRET} issue", 39.9, 116.4), now,
            VISIT_RULES)


async def dump(db) -> dict[str, list[tuple]]:  # noqa: ANN001
    """Every table, as rows; the attackers' own conversation state and last-seen times left out."""
    tables: dict[str, list[tuple]] = {}
    async with db.engine.connect() as conn:
        for name, table in SQLModel.metadata.tables.items():
            if name == "fsmrecord":
                continue
            columns = [c for c in table.columns if not (name == "user" and c.name == "last_seen_at")]
            rows = (await conn.execute(select(*columns))).all()
            tables[name] = sorted(map(tuple, rows), key=repr)
    return tables


@dataclass
class Press:
    data: str
    alert: bool
    text: str


async def test_no_button_lets_anyone_act_on_or_read_what_is_not_theirs(tg, db, start_bot, clock):
    classes = _classes()
    missing = sorted(prefix for prefix in classes if prefix not in RULES)
    assert not missing, f"buttons without an authorisation rule in this test: {missing}"
    for uid in (V_RESIDENT, V_DEPUTY, V_STAFF, V_CLERK, 700, *ATTACKERS.values()):
        tg.user(uid, language_code="en")
    await plant(db, clock())
    app = await start_bot()
    await eventually(lambda: _outbox_idle(db), timeout=30)  # what planting queued has gone out
    before = await dump(db)
    problems: list[str] = []
    for role, uid in ATTACKERS.items():
        attacker = tg.user(uid, language_code="en")
        await attacker.send("/menu")
        await attacker.expect("Main menu")
        attacker.drain()
        key = StorageKey(bot_id=app.bot.id, chat_id=uid, user_id=uid)
        for prefix, cls in sorted(classes.items()):
            for fields in _probes(cls):
                if (prefix, next(iter(fields.values()), None)) in SKIPPED:
                    continue
                data = cls(**fields).pack()
                await attacker.press_data(data)
                answer = await attacker.next_callback_answer(timeout=10)
                await app.dp.storage.set_state(key, None)  # whatever form it opened, leave it
                await app.dp.storage.set_data(key, {})
                if RULES[prefix](role, fields) and not answer.show_alert:
                    problems.append(f"{role} pressed {data}: not refused ({answer.text!r})")
                if "Something went wrong" in (answer.text or ""):
                    problems.append(f"{role} pressed {data}: crashed")
        await _settle(tg)
        leaked = [m.describe() for m in attacker.inbox if SECRET in (m.text or "")]
        problems += [f"{role} was shown a victim's words: {text[:160]}" for text in leaked]
        after = await dump(db)
        # Reading is allowed where the attacker's office allows it, and exports are audited reads.
        after["auditevent"] = [row for row in after["auditevent"]
                               if not (row[2] == uid and row[3].endswith(".export") and row not in before["auditevent"])]
        changed = {name for name in before if before[name] != after[name] and name != "user"}
        changed |= {"user"} if _users_changed(before["user"], after["user"]) else set()
        problems += [f"{role}'s presses changed table {name}: {[r for r in after[name] if r not in before[name]][:3]}"
                     for name in sorted(changed)]
        before = await dump(db)
    assert not problems, "\n".join(problems)


async def _outbox_idle(db) -> bool:  # noqa: ANN001
    async with db.session() as s:
        return not (await s.scalars(select(Notification.id).where(
            Notification.status.in_((NotificationStatus.pending, NotificationStatus.sending))))).first()


def _users_changed(before: list[tuple], after: list[tuple]) -> bool:
    """Users may change their own language (the language button); nothing else may change."""
    def strip(rows: list[tuple]) -> list[tuple]:
        return [row[:1] + row[3:] for row in rows]  # id, then all but locale and locale_chosen
    return strip(before) != strip(after)


async def _settle(tg) -> None:  # noqa: ANN001
    import asyncio

    await asyncio.sleep(0.3)  # the last answers' follow-up messages


def test_the_rules_name_no_button_that_does_not_exist():
    assert set(RULES) <= set(_classes()), sorted(set(RULES) - set(_classes()))


@pytest.mark.parametrize("prefix", sorted(_classes()))
def test_every_button_has_probes(prefix):
    assert _probes(_classes()[prefix])
