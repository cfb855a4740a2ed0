"""The year-end evaluation report, once the evaluation is closed and published: per project the
satisfaction rate = (satisfied + basically satisfied) / ratings, the counts per answer, deputies
and residents apart, and the comments; as XLSX and as an A4 PDF (Chinese embedded, offline).

Staff of any station may read it (its results were published to every deputy); `actor=None`
is the CLI operator. Drawn from services.evaluation.results in the current language.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Department, Role
from models.evaluations import Answer, Evaluation
from services import audit
from services.auth import Actor, require
from services.errors import DomainError, NotFound
from services.evaluation import ProjectResult, Tally, percent, results
from services.i18n import N_, _
from services.render.table_pdf import table_pdf
from services.suggestions import names_by_id
from services.xlsx import Table, workbook

XLSX_COLUMNS = (
    (N_("Project"), 13), (N_("Title"), 28), (N_("Implementing unit"), 20), (N_("Satisfaction rate (%)"), 12),
    (N_("Ratings"), 9), (N_("Satisfied"), 9), (N_("Basically satisfied"), 10), (N_("Dissatisfied"), 10),
    (N_("Deputies: rate (%)"), 11), (N_("Deputies: satisfied"), 10), (N_("Deputies: basically satisfied"), 10),
    (N_("Deputies: dissatisfied"), 10), (N_("Residents: rate (%)"), 11), (N_("Residents: satisfied"), 10),
    (N_("Residents: basically satisfied"), 10), (N_("Residents: dissatisfied"), 10),
)
COMMENT_COLUMNS = ((N_("Project"), 13), (N_("Title"), 28), (N_("Comment"), 80))
# A4 portrait holds fewer columns: each group's counts in one cell.
PDF_COLUMNS = ((N_("Project"), 11), (N_("Title"), 24), (N_("Satisfaction rate"), 10), (N_("All ratings"), 16),
               (N_("Deputies"), 16), (N_("Residents"), 16))


@dataclass(frozen=True)
class Report:
    evaluation: Evaluation
    results: list[ProjectResult]
    units: dict[int, str]

    def overall(self) -> Tally:
        total = Tally()
        for result in self.results:
            for answer, n in result.overall.counts.items():
                total.counts[answer] += n
        return total


async def report(session: AsyncSession, actor: Actor | None, year: int) -> Report:
    if actor is not None:
        require(actor, Role.staff)
    found = await session.scalar(select(Evaluation).where(Evaluation.year == year))
    if found is None:
        raise NotFound(N_("There is no evaluation of {year}."), year=year)
    if found.closed_at is None:
        raise DomainError(N_("The evaluation of {year} is still open: its report comes when it closes."), year=year)
    rows = await results(session, found)
    units = await names_by_id(session, Department.name, {r.project.department_id for r in rows})
    audit.record(session, actor.id if actor else None, "evaluation.report", "evaluation", found.id)
    return Report(found, rows, units)


def _rate(tally: Tally) -> float | None:
    return None if tally.rate is None else round(tally.rate, 1)


def _counts(tally: Tally) -> list[int]:
    return [tally.counts[a] for a in (Answer.satisfied, Answer.basic, Answer.dissatisfied)]


def _head(found: Report, tz: tzinfo) -> list[str]:
    evaluation = found.evaluation
    return [_("Year-end evaluation of {year}'s livelihood projects", year=evaluation.year),
            _("Opened {opened} · closed {closed}", opened=evaluation.opened_at.astimezone(tz).date().isoformat(),
              closed=evaluation.closed_at.astimezone(tz).date().isoformat()),
            _("Satisfaction rate = (satisfied + basically satisfied) / ratings."),
            _("All projects: {rate} of {n} ratings", rate=percent(found.overall().rate), n=found.overall().total)]


def xlsx(found: Report, tz: tzinfo) -> bytes:
    rows = [[r.project.number, r.project.title, found.units.get(r.project.department_id, ""),
             _rate(r.overall), r.overall.total, *_counts(r.overall), _rate(r.deputies), *_counts(r.deputies),
             _rate(r.residents), *_counts(r.residents)] for r in found.results]
    comments = [[r.project.number, r.project.title, text] for r in found.results for text in r.comments]
    return workbook(Table(_("Evaluation {year}", year=found.evaluation.year), XLSX_COLUMNS, rows,
                          head=_head(found, tz)),
                    Table(_("Comments"), COMMENT_COLUMNS, comments))


def _cell(tally: Tally) -> str:
    satisfied, basic, dissatisfied = _counts(tally)
    return _("{rate}: {n} ratings ({satisfied} / {basic} / {dissatisfied})", rate=percent(tally.rate),
             n=tally.total, satisfied=satisfied, basic=basic, dissatisfied=dissatisfied)


def pdf(found: Report, tz: tzinfo) -> bytes:
    rows = [[r.project.number, r.project.title, percent(r.overall.rate), _cell(r.overall), _cell(r.deputies),
             _cell(r.residents)] for r in found.results]
    tail = [_("Counts: satisfied / basically satisfied / dissatisfied.")]
    for r in found.results:
        if r.comments:
            tail.append(_("Comments on {number} «{title}»:", number=r.project.number, title=r.project.title))
            tail += [f"“{text}”" for text in r.comments]
    return table_pdf(_head(found, tz), PDF_COLUMNS, rows, title=_head(found, tz)[0], tail=tail)


def filename(found: Report, kind: str) -> str:
    return f"evaluation-{found.evaluation.year}.{kind}"
