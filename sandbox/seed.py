"""Plants the township through the services, so its data is what the bot itself would have made.

`plant` runs one function per part of the cycle, in order; each reads its part of
township.json and acts as the people of the township would have: staff invite deputies,
staff and clerks (who accept), residents suggest and write at the time the data says,
staff triage, deputies answer. Notifications these acts queue are delivered to the
personas' chats like any other.

Verify plants supervising groups and a site-visit report; the year-end evaluation is left for
staff to open from the page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from models import Role, User
from models.db import Database
from models.suggestions import SuggestionSource
from services import verify as verification
from services import (candidates, delivery, directory, inquiries, invites, meetings, people, projects, proposals,
                      suggestions, votes)
from services.auth import Actor, load_actor
from sandbox.township import Township

PhotoStore = Callable[[], tuple[str, str]]


@dataclass
class Planting:
    """What every seed function shares: the database, the settings, the moment the sandbox starts,
    the township, where photos go (the fake Telegram's files), and the rows made so far by key."""

    db: Database
    settings: Settings
    now: datetime
    township: Township
    photo: PhotoStore  # stores a new sample photo, returns (file_id, file_unique_id)
    ids: dict[tuple[str, str], int] = field(default_factory=dict)  # ("station", "east") → row id

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def user_id(self, role: str, key: str) -> int:
        return self.township.persona(role, key).id

    async def actor(self, session: AsyncSession, role: str, key: str) -> Actor:
        return await load_actor(session, await session.get(User, self.user_id(role, key)))

    async def triage(self, session: AsyncSession) -> Actor:
        """The congress office member who triages suggestions: the first staff member."""
        return await self.actor(session, "staff", self.township.data["staff"][0]["key"])


async def people_and_places(ctx: Planting) -> None:
    """Stations, departments and deputies; every persona joins (office roles through invites)."""
    data, settings = ctx.township.data, ctx.settings
    joined = ctx.ago(90)
    async with ctx.db.session() as session:
        for station in data["stations"]:
            row = await directory.add_station(session, None, station["name"], area=station["area"])
            row.address = station["address"]
            ctx.ids["station", station["key"]] = row.id
        for department in data["departments"]:
            ctx.ids["department", department["key"]] = (
                await directory.ensure_department(session, None, department["name"])).id
        for deputy in data["deputies"]:
            fields = directory.DeputyFields(deputy["name"], deputy["level"], ctx.ids["station", deputy["station"]],
                                            deputy["phone"])
            ctx.ids["deputy", deputy["key"]] = (await directory.add_deputy(session, None, fields)).id
        for persona in ctx.township.personas:
            await people.ensure_user(session, people.Contact(persona.id, persona.name, None, persona.language))

    async def join(role: Role, key: str, **scope: Any) -> None:
        async with ctx.db.session() as session:
            made = await invites.create(session, None, role, ttl_days=settings.invite_ttl_days, now=joined, **scope)
            await invites.accept(session, await session.get(User, ctx.user_id(role.value, key)), made.token, joined)

    for staff in data["staff"]:
        await join(Role.staff, staff["key"], station_id=ctx.ids.get(("station", staff["station"])))
    for clerk in data["clerks"]:
        await join(Role.department, clerk["key"], department_id=ctx.ids["department", clerk["department"]])
    rules = inquiries.Rules.of(settings)
    for deputy in data["deputies"]:
        deputy_id = ctx.ids["deputy", deputy["key"]]
        if not deputy["persona"]:  # has not joined the bot: staff keep the record
            async with ctx.db.session() as session:
                await directory.edit_deputy(session, await ctx.triage(session), deputy_id,
                                            reception_hours=deputy["hours"])
            continue
        await join(Role.deputy, deputy["key"], deputy_id=deputy_id, station_id=ctx.ids["station", deputy["station"]])
        async with ctx.db.session() as session:
            actor = await ctx.actor(session, "deputy", deputy["key"])
            await meetings.set_hours(session, actor, deputy["hours"])
            for slot in deputy["slots"]:
                day = (ctx.now + timedelta(days=slot["in_days"])).astimezone(settings.tz).date()
                await meetings.add_slot(session, actor, f"{day.isoformat()} {slot['at']} {slot['place']}",
                                        ctx.ago(7), rules)


async def suggest(ctx: Planting) -> None:
    """Suggest: suggestions in every state of triage, the candidate pool, support; residents'
    messages to deputies (waiting, answered, referred, overdue) and a booked meeting."""
    from handlers.pool import AnswerCb  # the button the resident answers staff's question with

    data, settings = ctx.township.data, ctx.settings
    rules = suggestions.Rules(tuple(settings.suggestion_categories), settings.suggestions_per_day, settings.tz)
    for item in data["suggestions"]:
        at = ctx.ago(item["days_ago"])
        async with ctx.db.session() as session:
            author = (await ctx.actor(session, "deputy", item["deputy"]) if "deputy" in item
                      else await ctx.actor(session, "resident", item["author"]))
            made = await suggestions.submit(session, author, rules, _draft(ctx, item), at)
            for supporter in item.get("supporters", []):
                await suggestions.support(session, await ctx.actor(session, "resident", supporter), made.share_code,
                                          at + timedelta(hours=5))
        status = item["status"]
        if status == "received":
            continue
        async with ctx.db.session() as session:
            staff = await ctx.triage(session)
            await suggestions.open_for_review(session, staff, made.id, at + timedelta(days=1))
            decided = at + timedelta(days=2)
            if status == "info_requested":
                await suggestions.ask_for_information(session, staff, made.id, item["question"], decided,
                                                      AnswerCb(id=made.id).pack())
            elif status == "accepted":
                wanted = item["candidate"]
                fields = candidates.CandidateFields(
                    wanted["title"], item["description"][:candidates.SUMMARY_MAX], wanted["cost"],
                    ctx.ids["department", wanted["department"]])
                candidate = await candidates.accept_into_pool(session, staff, made.id, fields, decided)
                ctx.ids["candidate", item["key"]] = candidate.id
            elif status == "merged":
                await candidates.merge_into(session, staff, made.id, ctx.ids["candidate", item["into"]], decided)
            elif status == "not_adopted":
                templates = await suggestions.reason_templates(session, staff)
                template = next(t for t in templates if t.key == item["reason"])
                await suggestions.not_adopt(session, staff, made.id, decided, template_id=template.id)
    await _inquiries(ctx)


def _draft(ctx: Planting, item: dict[str, Any]) -> suggestions.Draft:
    place = ctx.township.places[item["place"]] if "place" in item else None
    return suggestions.Draft(
        category=item["category"], description=item["description"],
        photos=[ctx.photo() for _ in range(item["photos"])], station_id=ctx.ids["station", item["station"]],
        place_text=place.name if place else item["place_text"],
        latitude=place.latitude if place else None, longitude=place.longitude if place else None,
        show_name=item.get("show_name", False), source=item.get("source", SuggestionSource.resident),
        raised_by=item.get("raised_by", 1),
    )


async def _inquiries(ctx: Planting) -> None:
    rules = inquiries.Rules.of(ctx.settings)
    for item in ctx.township.data["inquiries"]:
        at = ctx.ago(item["days_ago"])
        deputy_id = ctx.ids["deputy", item["deputy"]]
        async with ctx.db.session() as session:
            resident = await ctx.actor(session, "resident", item["resident"])
            if "meeting" in item:
                slot = (await meetings.free_slots(session, deputy_id, at))[item["meeting"]]
                receipt = await meetings.request(session, resident, deputy_id, at, rules, slot_id=slot.id,
                                                 topic=item["text"])
            else:
                receipt = await inquiries.submit_opinion(session, resident, deputy_id,
                                                         inquiries.Draft(item["text"]), at, rules)
        if "answer" not in item and "refer" not in item:
            continue
        async with ctx.db.session() as session:
            deputy = await ctx.actor(session, "deputy", item["deputy"])
            if "answer" in item:
                await inquiries.answer(session, deputy, receipt.inquiry.id, item["answer"], at + timedelta(days=1))
            else:
                referral = item["refer"]
                await inquiries.refer(session, deputy, receipt.inquiry.id, referral["platform"], referral["note"],
                                      at + timedelta(days=2))


async def written_proposals(ctx: Planting) -> None:
    """Deputies' written proposals: one waiting for handover, one with its department, one answered."""
    rules = proposals.Rules.from_settings(ctx.settings)
    clerks = {clerk["department"]: clerk["key"] for clerk in ctx.township.data["clerks"]}
    for item in ctx.township.data["proposals"]:
        department = item.get("department")
        draft = proposals.Draft(item["title"], item["text"], item["class"],
                                department_id=ctx.ids["department", department] if department else None)
        async with ctx.db.session() as session:
            deputy = await ctx.actor(session, "deputy", item["deputy"])
            filed = await proposals.file(session, deputy, draft, ctx.ago(item["days_ago"]), rules)
        if "answer" in item:
            async with ctx.db.session() as session:
                clerk = await ctx.actor(session, "department", clerks[department])
                await proposals.answer(session, clerk, filed.id, item["answer"]["text"],
                                       ctx.ago(item["answer"]["days_ago"]))


async def decide(ctx: Planting) -> None:
    """Decide: the congress's vote session a few days ahead, ready for staff to open check-in — candidates
    of the pool on the ballot with their explanations, every deputy eligible, the briefing sent."""
    from handlers.views.votes import ask_button  # the button a briefed deputy asks a question with

    data = ctx.township.data["vote"]
    held_on = (ctx.now + timedelta(days=data["days_ahead"])).astimezone(ctx.settings.tz).date()
    async with ctx.db.session() as session:
        staff = await ctx.triage(session)
        vote = await votes.create(session, staff, data["meeting"], held_on, data["place"], ctx.now)
        for wanted in data["items"]:
            item = await votes.add_item(session, staff, vote.id, ctx.ids["candidate", wanted["candidate"]], ctx.now)
            for part in ("plan", "deadline", "safeguards"):
                await votes.edit_item(session, staff, item.id, part, ctx.now, value=wanted[part])
        await votes.add_eligible(session, staff, vote.id, ctx.now, everyone=True)
        await votes.edit(session, staff, vote.id, "slots", str(data["slots"]), ctx.now)
        if data["briefed"]:
            await votes.send_briefing(session, staff, vote.id, ctx.now, ask_button)


async def deliver(ctx: Planting) -> None:
    """Deliver: pool candidates voted on paper become projects; one has its plan accepted and a
    quarterly report accepted, with photos; the other still owes its plan."""
    rules = projects.Rules.from_settings(ctx.settings)
    for item in ctx.township.data["deliver"]:
        voted = ctx.ago(item["voted_days_ago"])
        async with ctx.db.session() as session:
            staff = await ctx.triage(session)
            project = await projects.create_from_candidate(session, staff, ctx.ids["candidate", item["candidate"]],
                                                           voted, rules)
            ctx.ids["project", item["candidate"]] = project.id
        for kind in ("plan", "report"):
            filing = item.get(kind)
            if filing is None:
                break
            at = ctx.ago(filing["days_ago"])
            async with ctx.db.session() as session:
                clerk = await ctx.actor(session, "department", item["clerk"])
                if kind == "plan":
                    day = at.astimezone(ctx.settings.tz).date()
                    draft = delivery.PlanDraft(filing["text"], filing["person"], [
                        (title, day + timedelta(days=days)) for title, days in filing["milestones"]])
                    made = await delivery.submit_plan(session, clerk, project.id, draft, at, rules)
                else:
                    photos = [{"kind": "photo", "file_id": ctx.photo()[0], "name": ""} for _ in range(filing["photos"])]
                    made = await delivery.submit_report(session, clerk, project.id, delivery.ReportDraft(
                        filing["percent"], filing["text"], filing["problems"], photos=photos), at, rules)
            async with ctx.db.session() as session:
                reviewer = await ctx.actor(session, "staff", item["reviewer"])
                await delivery.review(session, reviewer, made.id, True, at + timedelta(hours=3), rules)


async def verify(ctx: Planting) -> None:
    """Verify: each voted project has its supervising group (the first member leads), and one deputy
    filed a site-visit report with photos and an issue the department has still to answer."""
    data = ctx.township.data["verify"]
    rules = verification.Rules.from_settings(ctx.settings)
    async with ctx.db.session() as session:
        staff = await ctx.triage(session)
        for group in data["groups"]:
            for member in group["members"]:
                await verification.add_member(session, staff, ctx.ids["project", group["project"]],
                                              ctx.ids["deputy", member], ctx.now)
    for visit in data["visits"]:
        async with ctx.db.session() as session:
            deputy = await ctx.actor(session, "deputy", visit["deputy"])
            photos = [(ctx.photo()[0], caption) for caption in visit["captions"][:visit["photos"]]]
            await verification.submit_visit(session, deputy, ctx.ids["project", visit["project"]],
                                            verification.VisitDraft(photos, visit["findings"], visit["assessment"],
                                                                    visit["issues"]), ctx.ago(visit["days_ago"]),
                                            rules)


# Deliver's projects were voted on paper last season; the vote ahead has the rest of the pool.
SEEDS: tuple[Callable[[Planting], Awaitable[None]], ...] = (people_and_places, suggest, written_proposals, deliver,
                                                             verify, decide)


async def plant(ctx: Planting) -> None:
    for step in SEEDS:
        await step(ctx)
