"""A congress to vote in: staff, deputies with accounts, residents' suggestions in the candidate pool."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from models import Role
from models.db import Database
from services import candidates, directory, people, projects, suggestions, votes
from services.auth import Actor, load_actor
from services.calendar import HolidayCalendar

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SH).astimezone(timezone.utc)
STAFF = 700
DEPUTY_BASE = 710  # deputies' Telegram ids: 711, 712, …
RESIDENT_BASE = 760
RULES = votes.Rules(quorum_percent=50, code_seconds=180, code_attempts=5, announce_chat_id=None,
                    default_locale="zh_CN",
                    projects=projects.Rules(plan_months=1, remind_days=7, tz=SH, calendar=HolidayCalendar()))
SUGGEST = suggestions.Rules(categories=("roads",), per_day=5, tz=SH)
TITLES = ("East Lane street lights", "Village bridge railings", "Clinic ramp", "Market drainage")


@dataclass
class Congress:
    staff: int
    deputies: list[int]  # Telegram ids, in deputy id order
    deputy_ids: list[int]
    candidates: list[int]
    residents: list[int]


async def actor(session, uid: int) -> Actor:  # noqa: ANN001
    user, _ = await people.ensure_user(session, people.Contact(uid, f"User{uid}", None, "en"))
    return await load_actor(session, user)


async def congress(db: Database, deputies: int = 9, titles: tuple[str, ...] = TITLES,
                   languages: tuple[str, ...] = ("zh-hans", "zh-hant", "en")) -> Congress:
    """Staff, `deputies` deputies who joined the bot, one candidate per title with a resident behind each."""
    async with db.session() as s:
        await people.ensure_user(s, people.Contact(STAFF, "Staff", None, "en"))
        await people.grant_role(s, STAFF, Role.staff, by=None)
        staff = await actor(s, STAFF)
        tg_ids, deputy_ids = [], []
        for n in range(1, deputies + 1):
            uid = DEPUTY_BASE + n
            await people.ensure_user(s, people.Contact(uid, f"Deputy{n}", None, "en"))
            deputy = await directory.add_deputy(s, None, directory.DeputyFields(name=f"Deputy {n:02d}"))
            deputy.user_id = uid
            await people.grant_role(s, uid, Role.deputy, by=None)
            tg_ids.append(uid)
            deputy_ids.append(deputy.id)
        made, residents = [], []
        for n, title in enumerate(titles):
            uid = RESIDENT_BASE + n
            user, _ = await people.ensure_user(s, people.Contact(uid, f"Resident{n}", None,
                                                                 languages[n % len(languages)]))
            suggestion = await suggestions.submit(s, await load_actor(s, user), SUGGEST, suggestions.Draft(
                category="roads", description=f"Please: {title}.", place_text="Shuikou"), NOW)
            candidate = await candidates.accept_into_pool(s, staff, suggestion.id, candidates.CandidateFields(
                title, f"Summary of {title}.", 100_000 * (n + 1)), NOW)
            made.append(candidate.id)
            residents.append(uid)
    return Congress(STAFF, tg_ids, deputy_ids, made, residents)


async def prepared_session(db: Database, c: Congress, slots: int | None = None) -> int:
    async with db.session() as s:
        staff = await actor(s, c.staff)
        vote = await votes.create(s, staff, "Shuikou 18th congress, 3rd session", date(2026, 3, 2), "Town hall", NOW)
        for candidate_id in c.candidates:
            await votes.add_item(s, staff, vote.id, candidate_id, NOW)
        await votes.add_eligible(s, staff, vote.id, NOW, everyone=True)
        if slots is not None:
            await votes.edit(s, staff, vote.id, "slots", str(slots), NOW)
        return vote.id


async def open_with(db: Database, c: Congress, session_id: int, present: list[int], paper: tuple[int, ...] = ()) -> None:
    """Check-in, `present` (Telegram ids) checked in by their code, `paper` marked, voting opened."""
    async with db.session() as s:
        staff = await actor(s, c.staff)
        await votes.open_checkin(s, staff, session_id, NOW, lambda sid: f"dv:checkin:{sid}")
        code, _ = await votes.current_code(s, staff, session_id, NOW, RULES)
    for uid in present:
        async with db.session() as s:
            outcome, _ = await votes.check_in(s, await actor(s, uid), session_id, code, NOW, RULES)
            assert outcome == votes.CheckIn.done
    async with db.session() as s:
        staff = await actor(s, c.staff)
        for uid in paper:
            deputy_id = c.deputy_ids[c.deputies.index(uid)]
            await votes.staff_check_in(s, staff, session_id, deputy_id, NOW, paper=True)
        await votes.open_voting(s, staff, session_id, NOW, RULES, lambda sid, r: f"bt:o:{sid}:{r}::0:")


