"""XLSX exports of the suggestions and of the candidate pool, for staff in the bot and the CLI.

Headers and labels are in the language asked for; dates in the configured time zone.
Author names appear only where the resident allowed it.
"""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Department, Role, Station, User
from models.suggestions import Candidate, SuggestionPhoto
from services import audit, candidates, suggestions
from services.auth import Actor, require
from services.i18n import N_, _, use_locale
from services.xlsx import Table, workbook

SUGGESTION_COLUMNS = (
    (N_("Number"), 16), (N_("Received"), 17), (N_("Status"), 22), (N_("Category"), 20), (N_("Description"), 60),
    (N_("Station area"), 20), (N_("Place"), 30), (N_("Latitude"), 11), (N_("Longitude"), 11), (N_("Source"), 28),
    (N_("Residents who raised it"), 12), (N_("Supporters"), 11), (N_("Photos"), 8), (N_("Author (if shown)"), 16),
    (N_("Candidate project"), 30), (N_("Reason not adopted"), 40),
)
POOL_COLUMNS = (
    (N_("Candidate no."), 10), (N_("Title"), 30), (N_("Summary"), 60), (N_("Estimated cost (yuan)"), 16),
    (N_("Implementing unit"), 24), (N_("Status"), 22), (N_("Suggestions"), 12), (N_("Supporters"), 11),
    (N_("Residents who raised it"), 12), (N_("Suggestion numbers"), 40), (N_("Created"), 17),
)


async def suggestions_xlsx(session: AsyncSession, actor: Actor | None, *, locale: str, tz: tzinfo,
                           flt: suggestions.QueueFilter | None = None) -> bytes:
    """Every suggestion the filter matches (all by default). `actor=None` is the CLI operator."""
    if actor is not None:
        require(actor, Role.staff)
    rows = await suggestions.matching(session, flt or suggestions.QueueFilter(status=suggestions.ALL_STATUSES), actor)
    ids = [s.id for s in rows]
    supporters = await suggestions.support_counts(session, ids)
    rejected = await suggestions.rejections(session, ids)
    photo_counts = dict((await session.execute(
        select(SuggestionPhoto.suggestion_id, func.count()).where(SuggestionPhoto.suggestion_id.in_(ids))
        .group_by(SuggestionPhoto.suggestion_id)
    )).all()) if ids else {}
    stations = await suggestions.names_by_id(session, Station.name, {s.station_id for s in rows})
    titles = await suggestions.names_by_id(session, Candidate.title, {s.candidate_id for s in rows})
    authors = await suggestions.names_by_id(session, User.first_name, {s.author_id for s in rows if s.show_name})
    with use_locale(locale):
        data = [
            (
                s.number, s.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), suggestions.status_label(s.status),
                suggestions.category_label(s.category), s.description, stations.get(s.station_id, ""), s.place_text,
                s.latitude, s.longitude, suggestions.source_label(s.source), s.raised_by, supporters.get(s.id, 0),
                photo_counts.get(s.id, 0), authors.get(s.author_id, "") if s.show_name else "",
                titles.get(s.candidate_id, ""), suggestions.event_text(rejected[s.id]) if s.id in rejected else "",
            )
            for s in rows
        ]
        content = workbook(Table(_("Suggestions"), SUGGESTION_COLUMNS, data))
    audit.record(session, actor.id if actor else None, "suggestion.export", "suggestion", "", rows=len(rows))
    return content


async def pool_xlsx(session: AsyncSession, actor: Actor | None, *, locale: str, tz: tzinfo) -> bytes:
    """The candidate pool with the suggestions and support behind each candidate."""
    if actor is not None:
        require(actor, Role.staff)
    pool = await candidates.everything(session)
    backing = await candidates.backing(session, [c.id for c in pool])
    units = await suggestions.names_by_id(session, Department.name, {c.department_id for c in pool})
    numbers: dict[int, list[str]] = {}
    for candidate in pool:
        numbers[candidate.id] = [s.number or "" for s in await candidates.behind(session, candidate.id)]
    with use_locale(locale):
        data = []
        for c in pool:
            behind = backing.get(c.id, candidates.Backing())
            data.append((
                c.id, c.title, c.summary, c.estimated_cost, units.get(c.department_id, ""),
                candidates.status_label(c.status), behind.suggestions, behind.supporters, behind.residents,
                ", ".join(numbers[c.id]), c.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            ))
        content = workbook(Table(_("Candidate pool"), POOL_COLUMNS, data))
    audit.record(session, actor.id if actor else None, "candidate.export", "candidate", "", rows=len(pool))
    return content
