"""Deputies' written proposals (daibiao jianyi): filing, handover to a department, answer, rating.

The clock (seed 004): the department answers within 3 months (ordinary) or 6 months
(complex) of the handover (jiaoban). A department the deputy names at filing is handed
the proposal at once, so its clock starts at filing; a proposal filed without one
waits for the congress office and its clock starts when staff assign it. Reassigning
to another department keeps the running clock: the deputy does not wait longer for
the office's correction. The periods are calendar months (Civil Code Art. 201) even
when inquiries count working days; a last day on a rest day moves to the next working day.

A deputy who rates an answer "dissatisfied" sends the proposal back to the department
for a second answer (re-handling after dissatisfaction, seed 002), due REANSWER_MONTHS after the rating.
The rating of the second answer is final; a second "dissatisfied" goes to the congress
office (staff are told), which follows it up outside the bot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent, Deadline, Department, Deputy, Role, RoleGrant
from models.proposals import Proposal, ProposalClass, ProposalReply, ProposalStatus, Rating, Sitting
from services import audit, deadlines, directory, numbering, outbox
from services.auth import Actor, require, require_station
from services.calendar import HolidayCalendar, get_calendar, local_day_start, period_end
from services.calendar import days_left as calendar_days_left
from services.deadlines import Stage
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.text import fit, one_line, tidy

KIND = "proposal"  # the first answer
REANSWER_KIND = "proposal_reanswer"  # the second answer after a "dissatisfied"
REANSWER_MONTHS = 1
TITLE_MAX = 100
TEXT_MAX = 3000
PAGE_SIZE = 10
ANSWER_EXCERPT = 2500  # escaped characters of an answer quoted in a notification (Telegram: 4096)

CLASS_LABELS = {ProposalClass.ordinary: N_("ordinary"), ProposalClass.complex: N_("complex")}
SITTING_LABELS = {Sitting.session: N_("at a congress session"), Sitting.recess: N_("between sessions")}
STATUS_LABELS = {
    ProposalStatus.filed: N_("waiting for the congress office to hand it over"),
    ProposalStatus.assigned: N_("with the department"),
    ProposalStatus.answered: N_("answered, waiting for the deputy's rating"),
    ProposalStatus.rated: N_("rated"),
    ProposalStatus.withdrawn: N_("withdrawn by the deputy"),
}
RATING_LABELS = {
    Rating.satisfied: N_("satisfied"),
    Rating.basically_satisfied: N_("basically satisfied"),
    Rating.dissatisfied: N_("dissatisfied"),
}
NOT_WAITING = N_("This proposal is not waiting for an answer.")
CANNOT_HAND_OVER = N_("This proposal can no longer be handed to a department.")
# What staff can list, by the question they ask.
OFFICE_LISTS = {
    "unassigned": N_("Waiting for handover"),
    "open": N_("With departments"),
    "overdue": N_("Overdue proposals"),
    "answered": N_("Waiting for rating"),
    "late": N_("Answered late"),
    "rated": N_("Rated"),
}


@dataclass(frozen=True)
class Rules:
    """The settings the proposal clock needs (services do not read bot settings themselves)."""

    months: Mapping[str, int]
    tz: ZoneInfo
    calendar: HolidayCalendar
    # A department consults, drafts and signs off, so it is reminded well ahead (a setting).
    remind_days: int = 14

    @classmethod
    def from_settings(cls, settings: Any) -> Rules:
        return cls(
            months={ProposalClass.ordinary: settings.proposal_reply_months_short,
                    ProposalClass.complex: settings.proposal_reply_months_long},
            tz=settings.tz,
            calendar=get_calendar(settings.holidays_file),
            remind_days=settings.proposal_reminder_days_before,
        )

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()


@dataclass(frozen=True)
class Draft:
    title: str
    text: str
    proposal_class: str
    sitting: str = Sitting.recess
    department_id: int | None = None


@dataclass
class Card:
    """A proposal with what its views show: the deputy, department names and every reply."""

    proposal: Proposal
    deputy: Deputy
    departments: dict[int, str]
    replies: list[ProposalReply] = field(default_factory=list)
    calendar_note: str = ""

    @property
    def department(self) -> str:
        return self.departments.get(self.proposal.department_id or 0, "")


@dataclass(frozen=True)
class Label:
    """A message id given as a notification parameter, translated into each recipient's language."""

    msgid: str


def _h(value: str) -> str:
    """Escape user-provided text for Telegram's HTML, as bot.text.h does for handlers."""
    return escape(value, quote=False)


def excerpt(value: str, limit: int) -> str:
    """`value` escaped for HTML and cut to at most `limit` characters, marked "…" when cut."""
    escaped = _h(value)
    if len(escaped) <= limit:
        return escaped
    kept, size = [], 0
    for char in value:
        piece = _h(char)
        if size + len(piece) > limit - 1:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + "…"


def open_data(proposal_id: int) -> str:
    """Callback data of the "open this proposal" button in notifications.

    Notifications are written here, also by the deadline sweep where no handler is
    loaded, so the format is spelled out once here; handlers.proposals.ProposalCb
    (prefix "pro", fields act and pid) parses it, and a test holds the two together.
    """
    return f"pro:open:{proposal_id}"


def clean_title(value: str) -> str:
    return _within(one_line(value), TITLE_MAX, N_("The title cannot be empty."),
                   N_("The title is at most {max} characters; yours has {n}."))


def clean_text(value: str) -> str:
    text = tidy(value)
    if not text:
        raise InvalidInput(N_("The text cannot be empty."))
    return fit(text, TEXT_MAX)


def _within(value: str, limit: int, empty: str, too_long: str) -> str:
    if not value:
        raise InvalidInput(empty)
    if len(value) > limit:
        raise InvalidInput(too_long, max=limit, n=len(value))
    return value


def days_left(proposal: Proposal, now: datetime, tz: ZoneInfo) -> int | None:
    """Whole local days to the last day of the running clock: 0 on it, negative when overdue, None
    before the handover (the clock has not started)."""
    if proposal.due_on is None:
        return None
    return calendar_days_left(now, local_day_start(proposal.due_on + timedelta(days=1), tz), tz)


def class_label(value: str) -> str:
    return _(CLASS_LABELS[ProposalClass(value)])


# --- filing and handover --------------------------------------------------------------------


async def file(session: AsyncSession, actor: Actor, draft: Draft, now: datetime, rules: Rules) -> Proposal:
    """A deputy files their own written proposal."""
    if actor.deputy_id is None:
        raise PermissionDenied(N_("Only deputies can file proposals."))
    return await _create(session, actor, actor.deputy_id, draft, now, rules, oral=False)


async def record_oral(session: AsyncSession, actor: Actor, deputy_id: int, draft: Draft, now: datetime,
                      rules: Rules) -> Proposal:
    """Staff write down a deputy's oral suggestion between sessions as a written proposal (seed 004)."""
    require(actor, Role.staff)
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None or not deputy.active:
        raise NotFound()
    require_station(actor, deputy.station_id)
    proposal = await _create(session, actor, deputy_id, draft, now, rules, oral=True)
    await _tell(session, [deputy.user_id] if deputy.user_id else [], proposal, "recorded",
                N_("The congress office recorded your oral suggestion as written proposal {number} «{title}»."))
    return proposal


async def _create(session: AsyncSession, actor: Actor, deputy_id: int, draft: Draft, now: datetime,
                  rules: Rules, *, oral: bool) -> Proposal:
    if draft.proposal_class not in CLASS_LABELS or draft.sitting not in SITTING_LABELS:
        raise InvalidInput()
    department = await _department(session, draft.department_id) if draft.department_id else None
    year = rules.today(now).year
    seq = await numbering.next_in_year(session, Proposal, year)
    proposal = Proposal(
        year=year, seq=seq, deputy_id=deputy_id, title=clean_title(draft.title), text=clean_text(draft.text),
        proposal_class=draft.proposal_class, sitting=Sitting.recess if oral else draft.sitting, oral=oral,
        recorded_by=actor.id if oral else None, filed_at=now,
    )
    session.add(proposal)
    await session.flush()
    filed = audit.record(session, actor.id, "proposal.file", "proposal", proposal.id, number=proposal.number,
                         oral=oral)
    if department is not None:
        await _hand_over(session, proposal, department, now, rules, filed)
    else:
        await _tell(session, await _staff_ids(session, but=actor.id), proposal, "filed",
                    N_("New proposal {number} «{title}» is waiting to be handed to a department."))
    return proposal


async def assign(session: AsyncSession, actor: Actor, proposal_id: int, department_id: int, now: datetime,
                 rules: Rules) -> Proposal:
    """Staff hand a proposal to a department, or move it to another one (the clock keeps running)."""
    require(actor, Role.staff)
    proposal = await _proposal(session, proposal_id)
    require_station(actor, await _deputy_station(session, proposal))
    if proposal.status not in (ProposalStatus.filed, ProposalStatus.assigned):
        raise DomainError(CANNOT_HAND_OVER)
    if proposal.department_id == department_id:
        raise InvalidInput(N_("The proposal is already with this department."))
    department = await _department(session, department_id)
    assigned = audit.record(session, actor.id, "proposal.assign", "proposal", proposal.id,
                            department_id=department_id, previous=proposal.department_id)
    if proposal.status == ProposalStatus.filed:
        await _hand_over(session, proposal, department, now, rules, assigned)
        return proposal
    previous = proposal.department_id
    proposal.department_id = department.id
    handover = await _event_id(session, assigned)
    await _tell(session, await directory.department_user_ids(session, previous), proposal, f"moved-{handover}",
                N_("Proposal {number} «{title}» was moved to {department}; you no longer need to answer it."),
                department=_h(department.name))
    await _tell_handed_over(session, proposal, department, handover)
    return proposal


async def _hand_over(session: AsyncSession, proposal: Proposal, department: Department, now: datetime,
                     rules: Rules, event: AuditEvent) -> None:
    await _transition(session, proposal, (ProposalStatus.filed,), ProposalStatus.assigned, CANNOT_HAND_OVER)
    proposal.department_id = department.id
    proposal.handed_over_at = now
    await _start_clock(session, proposal, KIND, rules.months[proposal.proposal_class], now, rules)
    await _tell_handed_over(session, proposal, department, await _event_id(session, event))


async def _event_id(session: AsyncSession, event: AuditEvent) -> int:
    """The id of the audit event of a handover: it keys the notices, so A→B→A tells A again."""
    await session.flush()
    return event.id


async def _tell_handed_over(session: AsyncSession, proposal: Proposal, department: Department,
                            handover: int) -> None:
    deputy = await session.get(Deputy, proposal.deputy_id)
    event = f"handover-{handover}"
    clerks = await directory.department_user_ids(session, department.id)
    await _tell(session, clerks, proposal, event,
                N_("New proposal to answer: {number} «{title}» from deputy {deputy}. The answer is due by {due}."),
                deputy=_h(deputy.name if deputy else ""))
    if not clerks:  # nobody there could read it: the office must bring the department in
        await _tell(session, await _staff_ids(session), proposal, event,
                    N_("Nobody of {department} has joined the bot yet, so proposal {number} «{title}» "
                       "reaches nobody there. Invite a user of that department."), department=_h(department.name))


async def _start_clock(session: AsyncSession, proposal: Proposal, kind: str, months: int, now: datetime,
                       rules: Rules) -> None:
    period = period_end(now, months=months, tz=rules.tz, calendar=rules.calendar)
    await deadlines.open_period(session, kind=kind, subject_id=proposal.id, period=period,
                                remind_days=rules.remind_days, tz=rules.tz, calendar=rules.calendar)
    proposal.due_on = period.last_day


# --- answer, rating, withdrawal ---------------------------------------------------------------


async def begin_answer(session: AsyncSession, actor: Actor, proposal_id: int) -> Proposal:
    """The proposal, if the actor's department holds it and owes an answer now."""
    proposal = await _proposal(session, proposal_id)
    if proposal.department_id is None or proposal.department_id not in actor.department_ids \
            or not actor.has(Role.department):
        raise PermissionDenied()
    if proposal.status != ProposalStatus.assigned:
        raise DomainError(NOT_WAITING)
    return proposal


async def answer(session: AsyncSession, actor: Actor, proposal_id: int, reply_text: str, now: datetime, *,
                 file_id: str | None = None, file_name: str | None = None) -> ProposalReply:
    """A user of the department holding the proposal answers it; the clock stops, in time or late."""
    proposal = await begin_answer(session, actor, proposal_id)
    kind = KIND if proposal.round == 1 else REANSWER_KIND
    closed = await deadlines.close_deadline(session, kind, proposal.id, now)
    reply = ProposalReply(
        proposal_id=proposal.id, round=proposal.round, department_id=proposal.department_id,
        text=clean_text(reply_text), file_id=file_id, file_name=(file_name or "")[:255] or None,
        answered_by=actor.id, answered_at=now, in_time=closed.closed_in_time if closed else True,
    )
    await _transition(session, proposal, (ProposalStatus.assigned,), ProposalStatus.answered, NOT_WAITING)
    session.add(reply)
    await session.flush()
    audit.record(session, actor.id, "proposal.answer", "proposal", proposal.id, round=reply.round,
                 in_time=reply.in_time)
    department = await session.get(Department, proposal.department_id)
    message = N_("{department} answered your proposal {number} «{title}»:\n\n{answer}\n\nPlease rate the answer.")
    if not reply.in_time:
        message = N_("{department} answered your proposal {number} «{title}», after the due date {due}:"
                     "\n\n{answer}\n\nPlease rate the answer.")
    await _tell(session, await _deputy_user_ids(session, proposal), proposal, f"answer-{reply.round}", message,
                department=_h(department.name if department else ""), answer=excerpt(reply.text, ANSWER_EXCERPT))
    return reply


async def rate(session: AsyncSession, actor: Actor, proposal_id: int, rating: str, now: datetime,
               rules: Rules) -> Proposal:
    """The deputy rates the last answer (staff on their behalf only for a deputy who is not in the bot);
    "dissatisfied" once means a second answer."""
    proposal = await _proposal(session, proposal_id)
    if not may_rate(actor, proposal, await session.get(Deputy, proposal.deputy_id)):
        raise PermissionDenied()
    if rating not in RATING_LABELS:
        raise InvalidInput()
    final = rating != Rating.dissatisfied or proposal.round > 1
    await _transition(session, proposal, (ProposalStatus.answered,),
                      ProposalStatus.rated if final else ProposalStatus.assigned, N_("There is no answer to rate now."))
    reply = await session.scalar(select(ProposalReply).where(
        ProposalReply.proposal_id == proposal.id, ProposalReply.round == proposal.round))
    reply.rating, reply.rated_at = rating, now
    audit.record(session, actor.id, "proposal.rate", "proposal", proposal.id, round=reply.round, rating=rating)
    department_users = await directory.department_user_ids(session, reply.department_id)
    if not final:
        proposal.round = 2
        await _start_clock(session, proposal, REANSWER_KIND, REANSWER_MONTHS, now, rules)
        await _tell(session, department_users, proposal, "reanswer",
                    N_("The deputy is dissatisfied with your answer to proposal {number} «{title}». "
                       "Please handle it again and answer by {due}."))
        await _tell(session, await _staff_ids(session, but=actor.id), proposal, "reanswer",
                    N_("Deputy dissatisfied: proposal {number} «{title}» goes back to {department} "
                       "for a second answer, due by {due}."), department=await _department_name(session, proposal))
        return proposal
    await _tell(session, department_users, proposal, f"rated-{reply.round}",
                N_("The deputy rated your answer to proposal {number} «{title}»: {rating}."),
                rating=Label(RATING_LABELS[Rating(rating)]))
    if rating == Rating.dissatisfied:
        await _tell(session, await _staff_ids(session, but=actor.id), proposal, "dissatisfied-final",
                    N_("Deputy still dissatisfied after the second answer to proposal {number} «{title}» "
                       "by {department}. The congress office should follow it up."),
                    department=await _department_name(session, proposal))
    return proposal


async def withdraw(session: AsyncSession, actor: Actor, proposal_id: int, now: datetime) -> Proposal:
    """The deputy withdraws a proposal nobody has answered yet; its open clock is removed, not counted.
    Only the deputy: staff cannot withdraw a proposal on a deputy's behalf."""
    proposal = await _proposal(session, proposal_id)
    if not may_withdraw(actor, proposal):
        raise PermissionDenied()
    await _transition(session, proposal, (ProposalStatus.filed, ProposalStatus.assigned), ProposalStatus.withdrawn,
                      N_("Only a proposal waiting for an answer can be withdrawn."))
    await session.execute(delete(Deadline).where(
        Deadline.kind.in_((KIND, REANSWER_KIND)), Deadline.subject_id == proposal.id, Deadline.closed_at.is_(None)))
    proposal.withdrawn_at = now
    audit.record(session, actor.id, "proposal.withdraw", "proposal", proposal.id)
    await _tell(session, await directory.department_user_ids(session, proposal.department_id), proposal, "withdrawn",
                N_("Proposal {number} «{title}» was withdrawn by the deputy; no answer is needed."))
    return proposal


# --- reading --------------------------------------------------------------------------------


async def card(session: AsyncSession, actor: Actor, proposal_id: int) -> Card:
    """Everything about one proposal, for its deputy, its department and staff only."""
    proposal = await _proposal(session, proposal_id)
    is_department = proposal.department_id is not None and proposal.department_id in actor.department_ids
    if not (actor.deputy_id == proposal.deputy_id or is_department
            or actor.serves(await _deputy_station(session, proposal))):
        raise PermissionDenied()
    replies = list(await session.scalars(
        select(ProposalReply).where(ProposalReply.proposal_id == proposal.id).order_by(ProposalReply.round)))
    ids = {proposal.department_id, *(r.department_id for r in replies)} - {None}
    names = dict((await session.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))).all())
    note = None
    if actor.has(Role.staff):  # how the calendar was counted is the office's business, not the deputy's or clerk's
        note = await session.scalar(select(Deadline.calendar_note).where(
            Deadline.kind.in_((KIND, REANSWER_KIND)), Deadline.subject_id == proposal.id, Deadline.closed_at.is_(None)))
    return Card(proposal, await session.get(Deputy, proposal.deputy_id), names, replies, note or "")


async def mine(session: AsyncSession, actor: Actor, page: int = 0) -> tuple[list[Proposal], bool]:
    """One page of the deputy's own proposals, newest first; (proposals, whether a next page exists)."""
    if actor.deputy_id is None:
        raise PermissionDenied(N_("Only deputies can file proposals."))
    return await _page(session, select(Proposal).where(Proposal.deputy_id == actor.deputy_id)
                       .order_by(Proposal.id.desc()), page)


async def to_answer(session: AsyncSession, actor: Actor, page: int = 0) -> tuple[list[Proposal], bool]:
    """One page of the proposals the actor's department must answer, the most urgent first."""
    require(actor, Role.department)
    if not actor.department_ids:
        return [], False
    return await _page(session, select(Proposal)
                       .where(Proposal.department_id.in_(actor.department_ids),
                              Proposal.status == ProposalStatus.assigned)
                       .order_by(Proposal.due_on, Proposal.id), page)


async def _page(session: AsyncSession, query, page: int) -> tuple[list[Proposal], bool]:  # noqa: ANN001
    rows = list(await session.scalars(query.offset(max(page, 0) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _office_filter(name: str, today: date):  # noqa: ANN202
    answered_late = select(ProposalReply.proposal_id).where(ProposalReply.in_time.is_(False))
    return {
        "unassigned": Proposal.status == ProposalStatus.filed,
        "open": Proposal.status == ProposalStatus.assigned,
        "overdue": (Proposal.status == ProposalStatus.assigned) & (Proposal.due_on < today),
        "answered": Proposal.status == ProposalStatus.answered,
        "late": Proposal.id.in_(answered_late),
        "rated": Proposal.status == ProposalStatus.rated,
    }[name]


def _served(actor: Actor):  # noqa: ANN202
    """Proposals of the deputies of the stations a station's clerk serves (the whole office: all)."""
    if actor.stations is None:
        return Proposal.id.is_not(None)
    return Proposal.deputy_id.in_(select(Deputy.id).where(Deputy.station_id.in_(actor.stations)))


async def office_counts(session: AsyncSession, actor: Actor, today: date) -> dict[str, int]:
    require(actor, Role.staff)
    return {name: await session.scalar(select(func.count()).select_from(Proposal)
                                       .where(_office_filter(name, today), _served(actor))) or 0
            for name in OFFICE_LISTS}


async def office_list(session: AsyncSession, actor: Actor, name: str, today: date,
                      page: int = 0) -> tuple[list[Proposal], bool]:
    """One page of a staff list, oldest due first; returns (proposals, whether a next page exists)."""
    require(actor, Role.staff)
    if name not in OFFICE_LISTS:
        raise InvalidInput()
    return await _page(session, select(Proposal).where(_office_filter(name, today), _served(actor))
                       .order_by(Proposal.due_on.is_(None), Proposal.due_on, Proposal.id), page)


async def late_rounds(session: AsyncSession, proposal_ids: list[int]) -> set[int]:
    """Which of these proposals had an answer given after its due date."""
    if not proposal_ids:
        return set()
    return set(await session.scalars(select(ProposalReply.proposal_id).where(
        ProposalReply.proposal_id.in_(proposal_ids), ProposalReply.in_time.is_(False))))


async def department_names(session: AsyncSession, proposals: list[Proposal]) -> dict[int, str]:
    ids = {p.department_id for p in proposals} - {None}
    if not ids:
        return {}
    return dict((await session.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))).all())


async def find_deputies(session: AsyncSession, actor: Actor, name_part: str) -> list[Deputy]:
    """Staff look a deputy up by part of the name, to record an oral suggestion for them."""
    require(actor, Role.staff)
    needle = one_line(name_part)
    if not needle:
        raise InvalidInput(N_("Type at least one character of the deputy's name."))
    query = select(Deputy).where(Deputy.active.is_(True), Deputy.name.contains(needle, autoescape=True))
    if actor.stations is not None:
        query = query.where(Deputy.station_id.in_(actor.stations))
    return list(await session.scalars(query.order_by(Deputy.name).limit(PAGE_SIZE)))


# --- deadlines ----------------------------------------------------------------------------------


async def on_stage(session: AsyncSession, due: list[Row], stage: Stage, now: datetime) -> None:
    """Remind the department before and on the last day; when overdue, tell it, all staff and the deputy.
    Proposals are few (hundreds a year), so each is handled on its own."""
    for deadline in due:
        await _fire_stage(session, deadline, stage)


async def _fire_stage(session: AsyncSession, deadline: Row, stage: Stage) -> None:
    proposal = await session.get(Proposal, deadline.subject_id)
    if proposal is None or proposal.department_id is None:
        return
    department_users = await directory.department_user_ids(session, proposal.department_id)
    key = f"deadline-{deadline.id}-{stage}"
    if stage == Stage.remind:
        await _tell(session, department_users, proposal, key,
                    N_("Reminder: proposal {number} «{title}» must be answered by {due}."))
    elif stage == Stage.due_day:
        await _tell(session, department_users, proposal, key,
                    N_("Today is the last day to answer proposal {number} «{title}»."))
    else:
        department = await _department_name(session, proposal)
        await _tell(session, department_users, proposal, key,
                    N_("Proposal {number} «{title}» is overdue: the answer was due by {due}. Please answer it now."))
        await _tell(session, await _staff_ids(session), proposal, key,
                    N_("Overdue: {department} has not answered proposal {number} «{title}», due by {due}."),
                    department=department)
        await _tell(session, await _deputy_user_ids(session, proposal), proposal, key,
                    N_("Your proposal {number} «{title}» was not answered by {due}. "
                       "The congress office has been alerted."))


async def describe(session: AsyncSession, deadline: Deadline) -> str:
    """One HTML-safe line for staff lists: number, title, department."""
    proposal = await session.get(Proposal, deadline.subject_id)
    if proposal is None:
        return f"{deadline.kind} #{deadline.subject_id}"
    return _("Proposal {number} «{title}» · {department}", number=proposal.number, title=_h(proposal.title),
             department=await _department_name(session, proposal) or "-")


async def locate(session: AsyncSession, deadline: Deadline) -> deadlines.Place:
    """Owned by the department that answers it."""
    proposal = await session.get(Proposal, deadline.subject_id)
    if proposal is None:
        return deadlines.Place("")
    return deadlines.Place(await directory.department_name(session, proposal.department_id), open_data(proposal.id))


_OWNER = deadlines.Owner(select(Department.name).join(Proposal, Proposal.department_id == Department.id)
                         .where(Proposal.id == Deadline.subject_id).scalar_subquery())
deadlines.register_kind(KIND, on_stage, describe, locate=locate, owner=_OWNER)
deadlines.register_kind(REANSWER_KIND, on_stage, describe, locate=locate, owner=_OWNER)


# --- helpers ----------------------------------------------------------------------------------


async def _proposal(session: AsyncSession, proposal_id: int) -> Proposal:
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound()
    return proposal


async def _transition(session: AsyncSession, proposal: Proposal, allowed: tuple[str, ...], status: str,
                      refusal: str) -> None:
    """Move to `status` only from `allowed`, checked in the UPDATE itself: of two people pressing at
    the same moment (two clerks answering, a double tap), the second is refused instead of repeating."""
    moved = await session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status.in_(allowed)).values(status=status))
    if moved.rowcount != 1:
        raise DomainError(refusal)


async def _deputy_station(session: AsyncSession, proposal: Proposal) -> int | None:
    return await session.scalar(select(Deputy.station_id).where(Deputy.id == proposal.deputy_id))


async def _department(session: AsyncSession, department_id: int) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFound()
    return department


async def _department_name(session: AsyncSession, proposal: Proposal) -> str:
    department = await session.get(Department, proposal.department_id) if proposal.department_id else None
    return _h(department.name) if department else ""


def may_withdraw(actor: Actor, proposal: Proposal) -> bool:
    """Only the deputy who owns the proposal may withdraw it."""
    return actor.deputy_id is not None and actor.deputy_id == proposal.deputy_id


def may_rate(actor: Actor, proposal: Proposal, deputy: Deputy | None) -> bool:
    """The owning deputy rates; staff rate on their behalf only when the deputy has no Telegram account."""
    if actor.deputy_id is not None and actor.deputy_id == proposal.deputy_id:
        return True
    return deputy is not None and deputy.user_id is None and actor.serves(deputy.station_id)


async def _staff_ids(session: AsyncSession, but: int | None = None) -> list[int]:
    """Congress office staff and administrators, each once; `but` is the one acting, who knows already."""
    return list(await session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.role.in_((Role.staff, Role.admin)), RoleGrant.user_id != but).distinct().order_by(RoleGrant.user_id)))


async def _deputy_user_ids(session: AsyncSession, proposal: Proposal) -> list[int]:
    user_id = await session.scalar(select(Deputy.user_id).where(Deputy.id == proposal.deputy_id))
    return [user_id] if user_id else []


async def _tell(session: AsyncSession, user_ids: list[int], proposal: Proposal, event: str, message: str,
                **params: object) -> None:
    """Notify each user about `proposal` in their own language, with a button that opens it."""
    values = dict(number=proposal.number, title=_h(proposal.title),
                  due=proposal.due_on.isoformat() if proposal.due_on else "-", **params)

    def render() -> str:
        return _(message, **{name: _(v.msgid) if isinstance(v, Label) else v for name, v in values.items()})

    for user_id in user_ids:
        await outbox.tell(session, user_id, render, key=f"proposal-{proposal.id}-{event}-{user_id}",
                          buttons=[(N_("Open the proposal"), open_data(proposal.id))])
