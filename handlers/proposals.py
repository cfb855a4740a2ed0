"""Written proposals in the bot: deputies file and rate, departments answer, staff hand over.

Thin: every rule and every permission check is in services.proposals; this module
asks, validates through the service, and renders.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, ask, split_text
from bot.keyboards import Id, Row, button, markup, pager_row, pairs
from bot.menu import MenuCb, home_row
from bot.text import MESSAGE_LIMIT, h
from models import Department, Role
from models.proposals import Proposal, ProposalClass, ProposalStatus, Rating, Sitting
from services import directory, proposals
from services.auth import Actor, require
from services.errors import NotFound, PermissionDenied
from services.i18n import N_, _, ngettext

router = Router(name="proposals")
# Commands (/cancel, /menu, ...) pass through the forms to the core handlers.
router.message.filter(NOT_COMMAND)
DEPARTMENTS_PER_PAGE = 12
TURNS = ("«", "»")  # this area's page buttons


class ProposalCb(CallbackData, prefix="pro"):
    """An action on one proposal. `open` is also packed by services.proposals.open_data."""

    act: str  # open | answer | withdraw | withdraw_ok | oral
    pid: Id


class RateCb(CallbackData, prefix="prr"):
    pid: Id
    rating: Rating


class AssignCb(CallbackData, prefix="pra"):
    pid: Id
    dep: Id = 0  # 0: show the departments (page `page`)
    page: Id = 0


class ListCb(CallbackData, prefix="pro_p"):
    """A page of a deputy's or a department's own list."""

    name: str  # mine | todo
    page: Id = 0


class OfficeCb(CallbackData, prefix="pro_l"):
    name: str
    page: Id = 0


# Form buttons carry typed values: a forged or garbled one fails to parse and lands in the fallback.
class SittingCb(CallbackData, prefix="prs"):
    sitting: Sitting


class ClassCb(CallbackData, prefix="prc"):
    proposal_class: ProposalClass


class PickCb(CallbackData, prefix="prp"):
    what: str  # deputy | dept (id 0: the congress office decides) | dpage (id: the page)
    id: Id


class StepCb(CallbackData, prefix="prw"):
    step: str  # send | no_file | cancel


class Filing(StatesGroup):
    deputy = State()  # staff only: whose oral suggestion is being written down
    sitting = State()
    title = State()
    text = State()
    proposal_class = State()
    department = State()
    confirm = State()


class Answering(StatesGroup):
    text = State()
    attachment = State()
    confirm = State()


def _rules(ctx: AppContext) -> proposals.Rules:
    return proposals.Rules.from_settings(ctx.settings)


def _label(proposal: Proposal) -> str:
    return _("{number} «{title}»", number=proposal.number, title=h(proposal.title))


def _due_text(proposal: Proposal, now: datetime, ctx: AppContext) -> str:
    days = proposals.days_left(proposal, now, ctx.settings.tz)
    if days is None:
        return _("not yet (the clock starts at the handover)")
    if days > 0:
        left = ngettext("{n} day left", "{n} days left", days)
    elif days == 0:
        left = _("last day today")
    else:
        left = ngettext("overdue by {n} day", "overdue by {n} days", -days)
    return _("{date} ({left})", date=proposal.due_on.isoformat(), left=left)


def _department_rows(departments: list[Department], page: int, pick: Callable[[Department], CallbackData],
                     turn: Callable[[int], CallbackData]) -> list[Row]:
    """Departments two to a row, a page at a time, with « » to turn pages."""
    last_page = max(0, (len(departments) - 1) // DEPARTMENTS_PER_PAGE)
    page = min(max(page, 0), last_page)
    shown = departments[page * DEPARTMENTS_PER_PAGE:(page + 1) * DEPARTMENTS_PER_PAGE]
    return [*pairs([button(d.name, pick(d)) for d in shown]), pager_row(page, page < last_page, turn, TURNS)]


# --- filing --------------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "proposal_new"))
async def start_filing(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    """A deputy files their own; staff who are not deputies write down a deputy's oral suggestion."""
    if actor.deputy_id is None and not actor.is_staff:
        raise PermissionDenied(N_("Only deputies can file proposals."))
    await state.clear()
    await query.answer()
    await (_ask_sitting if actor.deputy_id is not None else _ask_deputy)(query.message, state)


@router.callback_query(ProposalCb.filter(F.act == "oral"))
async def start_oral(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require(actor, Role.staff)
    await state.clear()
    await query.answer()
    await _ask_deputy(query.message, state)


async def _ask_deputy(message: Message, state: FSMContext) -> None:
    await state.set_state(Filing.deputy)
    await message.answer(_("You are writing down a deputy's oral suggestion between sessions as a written "
                           "proposal. Type the deputy's name, or part of it."))


async def _ask_sitting(message: Message, state: FSMContext) -> None:
    await state.set_state(Filing.sitting)
    await message.answer(_("New written proposal. When are you raising it?"), reply_markup=markup(
        [button(_("At a congress session"), SittingCb(sitting=Sitting.session))],
        [button(_("Between sessions"), SittingCb(sitting=Sitting.recess))],
        [button(_("Cancel"), StepCb(step="cancel"))],
    ))


@router.message(Filing.deputy, F.text)
async def got_deputy_name(message: Message, state: FSMContext, session: AsyncSession, actor: Actor) -> None:
    if await split_text(message, state, directory.NAME_MAX):
        return
    found = await proposals.find_deputies(session, actor, message.text)
    if not found:
        await message.answer(_("No deputy found by that name. Type the name again."))
        return
    await message.answer(_("Whose suggestion is it?"), reply_markup=markup(
        *([button(d.name, PickCb(what="deputy", id=d.id))] for d in found),
        [button(_("Cancel"), StepCb(step="cancel"))],
    ))


@router.callback_query(Filing.deputy, PickCb.filter(F.what == "deputy"))
async def chose_deputy(query: CallbackQuery, callback_data: PickCb, state: FSMContext) -> None:
    # The service checks the deputy again when the proposal is recorded.
    await state.update_data(deputy_id=callback_data.id, sitting=Sitting.recess)
    await query.answer()
    await _ask_title(query.message, state)


@router.callback_query(Filing.sitting, SittingCb.filter())
async def chose_sitting(query: CallbackQuery, callback_data: SittingCb, state: FSMContext) -> None:
    await state.update_data(sitting=callback_data.sitting)
    await query.answer()
    await _ask_title(query.message, state)


async def _ask_title(message: Message, state: FSMContext) -> None:
    await state.set_state(Filing.title)
    await message.answer(_("Send the title of the proposal (at most {max} characters).", max=proposals.TITLE_MAX))


@router.message(Filing.title, F.text)
async def got_title(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, proposals.TITLE_MAX):
        return
    await state.update_data(title=proposals.clean_title(message.text))
    await state.set_state(Filing.text)
    await message.answer(_("Now send the text: the problem, what you propose and why (at most {max} characters).",
                           max=proposals.TEXT_MAX))


@router.message(Filing.text, F.text)
async def got_text(message: Message, state: FSMContext, ctx: AppContext) -> None:
    if await split_text(message, state, proposals.TEXT_MAX):
        return
    await state.update_data(text=proposals.clean_text(message.text))
    await state.set_state(Filing.proposal_class)
    months = _rules(ctx).months
    await message.answer(_("Which class is it? The department answers within the time shown."), reply_markup=markup(
        [button(_("Ordinary: answer within {months} months", months=months[ProposalClass.ordinary]),
                 ClassCb(proposal_class=ProposalClass.ordinary))],
        [button(_("Complex, wide-ranging: within {months} months", months=months[ProposalClass.complex]),
                 ClassCb(proposal_class=ProposalClass.complex))],
    ))


@router.callback_query(Filing.proposal_class, ClassCb.filter())
async def chose_class(query: CallbackQuery, callback_data: ClassCb, state: FSMContext, session: AsyncSession) -> None:
    await state.update_data(proposal_class=callback_data.proposal_class)
    await state.set_state(Filing.department)
    await query.answer()
    await query.message.answer(_("Which department should answer it?"),
                               reply_markup=await _department_choice(session, 0))


async def _department_choice(session: AsyncSession, page: int) -> InlineKeyboardMarkup:
    rows = _department_rows(await directory.departments(session), page,
                            lambda d: PickCb(what="dept", id=d.id),
                            lambda p: PickCb(what="dpage", id=p))
    return markup(*rows, [button(_("Let the congress office decide"), PickCb(what="dept", id=0))])


@router.callback_query(Filing.department, PickCb.filter(F.what == "dpage"))
async def turn_department_page(query: CallbackQuery, callback_data: PickCb, session: AsyncSession) -> None:
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=await _department_choice(session, callback_data.id))


@router.callback_query(Filing.department, PickCb.filter(F.what == "dept"))
async def chose_department(query: CallbackQuery, callback_data: PickCb, state: FSMContext,
                           session: AsyncSession) -> None:
    department = await session.get(Department, callback_data.id) if callback_data.id else None
    if callback_data.id and department is None:
        raise NotFound()
    await state.update_data(department_id=department.id if department else None)
    await state.set_state(Filing.confirm)
    data = await state.get_data()
    await query.answer()
    lines = [
        _("Please check your proposal:"), "",
        f"<b>{h(data['title'])}</b>", "",
        proposals.excerpt(data["text"], 3000), "",
        _("Class: {label}", label=proposals.class_label(data["proposal_class"])),
        _("Raised: {when}", when=_(proposals.SITTING_LABELS[Sitting(data["sitting"])])),
        _("Department: {name}", name=h(department.name) if department else _("the congress office decides")),
    ]
    await query.message.answer("\n".join(lines), reply_markup=markup(
        [button(_("Submit"), StepCb(step="send")), button(_("Cancel"), StepCb(step="cancel"))]))


@router.callback_query(Filing.confirm, StepCb.filter(F.step == "send"))
async def submit(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    data = await state.get_data()
    draft = proposals.Draft(title=data["title"], text=data["text"], proposal_class=data["proposal_class"],
                            sitting=data["sitting"], department_id=data.get("department_id"))
    now, rules = ctx.now(), _rules(ctx)
    if data.get("deputy_id"):
        proposal = await proposals.record_oral(session, actor, data["deputy_id"], draft, now, rules)
    else:
        proposal = await proposals.file(session, actor, draft, now, rules)
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    if proposal.due_on is None:
        text = _("Filed as {number}. The congress office will hand it to a department; the answer is due "
                 "within {months} months of that.", number=proposal.number,
                 months=rules.months[proposal.proposal_class])
    else:
        text = _("Filed as {number} and handed to the department. The answer is due by {due}.",
                 number=proposal.number, due=proposal.due_on.isoformat())
    await query.message.answer(text, reply_markup=markup(
        [button(_("Open the proposal"), ProposalCb(act="open", pid=proposal.id))], home_row()))


@router.callback_query(Filing.deputy, StepCb.filter(F.step == "cancel"))
@router.callback_query(Filing.sitting, StepCb.filter(F.step == "cancel"))
@router.callback_query(Filing.confirm, StepCb.filter(F.step == "cancel"))
@router.callback_query(Answering.attachment, StepCb.filter(F.step == "cancel"))
@router.callback_query(Answering.confirm, StepCb.filter(F.step == "cancel"))
async def cancel_form(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(_("Cancelled. Nothing was saved."), reply_markup=markup(home_row()))


# --- lists -----------------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "proposal_mine"))
@router.callback_query(ListCb.filter(F.name == "mine"))
async def my_proposals(query: CallbackQuery, session: AsyncSession, actor: Actor,
                       callback_data: MenuCb | ListCb) -> None:
    page = callback_data.page if isinstance(callback_data, ListCb) else 0
    mine, more = await proposals.mine(session, actor, page)
    await query.answer()
    lines = [_("<b>My proposals</b>")] + [
        _("{proposal}: {state}", proposal=_label(p), state=_(proposals.STATUS_LABELS[ProposalStatus(p.status)]))
        for p in mine
    ] if mine else [_("You have not filed any proposal yet.")]
    await query.message.answer(_clip_lines(lines), reply_markup=markup(
        *_open_rows(mine), pager_row(page, more, lambda n: ListCb(name="mine", page=n), TURNS),
        [button(_("File a proposal"), MenuCb(key="proposal_new"))], home_row()))


@router.callback_query(MenuCb.filter(F.key == "proposal_todo"))
@router.callback_query(ListCb.filter(F.name == "todo"))
async def to_answer(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                    callback_data: MenuCb | ListCb) -> None:
    page = callback_data.page if isinstance(callback_data, ListCb) else 0
    waiting, more = await proposals.to_answer(session, actor, page)
    await query.answer()
    now = ctx.now()
    lines = [_("<b>Proposals to answer</b>, the most urgent first:")] + [
        _("{proposal}: {state}", proposal=_label(p), state=_due_text(p, now, ctx)) for p in waiting
    ] if waiting else [_("No proposal is waiting for your department's answer.")]
    await query.message.answer(_clip_lines(lines), reply_markup=markup(
        *_open_rows(waiting), pager_row(page, more, lambda n: ListCb(name="todo", page=n), TURNS), home_row()))


@router.callback_query(MenuCb.filter(F.key == "proposal_office"))
async def office(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    counts = await proposals.office_counts(session, actor, _rules(ctx).today(ctx.now()))
    await query.answer()
    lists = proposals.OFFICE_LISTS.items()
    await query.message.answer(_("<b>Proposals</b>: choose a list."), reply_markup=markup(
        *([button(f"{_(label)} ({counts[name]})", OfficeCb(name=name))] for name, label in lists),
        [button(_("Record a deputy's oral suggestion"), ProposalCb(act="oral", pid=0))],
        home_row(),
    ))


@router.callback_query(OfficeCb.filter())
async def office_list(query: CallbackQuery, callback_data: OfficeCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    now = ctx.now()
    shown, more = await proposals.office_list(session, actor, callback_data.name, _rules(ctx).today(now),
                                              callback_data.page)
    names = await proposals.department_names(session, shown)
    late = await proposals.late_rounds(session, [p.id for p in shown])
    await query.answer()
    title = _(proposals.OFFICE_LISTS[callback_data.name])
    lines = [f"<b>{title}</b>"]
    for p in shown:
        line = f"{_label(p)} · {h(names.get(p.department_id, '-'))} · {_due_text(p, now, ctx)}"
        lines.append(line + (" · " + _("answered late") if p.id in late else ""))
    if not shown:
        lines.append(_("Nothing here."))
    turns = pager_row(callback_data.page, more, lambda page: OfficeCb(name=callback_data.name, page=page), TURNS)
    await query.message.answer(_clip_lines(lines), reply_markup=markup(
        *_open_rows(shown), turns, [button(_("« Proposals"), MenuCb(key="proposal_office"))]))


def _open_rows(items: list[Proposal]) -> list[Row]:
    """One button per proposal of a page (the services page by proposals.PAGE_SIZE)."""
    return [[button(f"{p.number} {p.title}"[:60], ProposalCb(act="open", pid=p.id))] for p in items]


def _clip_lines(lines: list[str]) -> str:
    """Whole lines only, so an HTML entity or tag is never cut."""
    kept, size = [], 0
    for line in lines:
        if size + len(line) + 1 > MESSAGE_LIMIT - 2:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


# --- one proposal --------------------------------------------------------------------------------------


@router.callback_query(ProposalCb.filter(F.act == "open"))
async def open_proposal(query: CallbackQuery, callback_data: ProposalCb, session: AsyncSession, actor: Actor,
                        ctx: AppContext) -> None:
    card = await proposals.card(session, actor, callback_data.pid)
    await query.answer()
    await _show_card(query.message, card, actor, ctx)


async def _show_card(message: Message, card: proposals.Card, actor: Actor, ctx: AppContext) -> None:
    p = card.proposal
    status = ProposalStatus(p.status)
    head = [
        f"<b>{_label(p)}</b>",
        _("Deputy: {name}", name=h(card.deputy.name)),
        _("Class: {label}", label=proposals.class_label(p.proposal_class)),
        _("Raised: {when}", when=_(proposals.SITTING_LABELS[Sitting(p.sitting)])),
        _("Filed on {date}", date=p.filed_at.astimezone(ctx.settings.tz).date().isoformat()),
        _("Department: {name}", name=h(card.department) if card.department else "-"),
        _("Status: {status}", status=_(proposals.STATUS_LABELS[status])),
    ]
    if p.oral:
        head.append(_("An oral suggestion written down by the congress office."))
    if status in (ProposalStatus.filed, ProposalStatus.assigned):
        head.append(_("Answer due: {due}", due=_due_text(p, ctx.now(), ctx)))
        if card.calendar_note:
            head.append(_("The public holidays of that year are not published yet; only weekends were counted "
                          "as rest days."))
    header = "\n".join(head) + "\n\n"
    messages = [header + proposals.excerpt(p.text, MESSAGE_LIMIT - len(header) - 10)]
    for reply in card.replies:
        when = reply.answered_at.astimezone(ctx.settings.tz).date().isoformat()
        lines = [_("<b>Answer {round}</b> from {department}, {date}", round=reply.round,
                   department=h(card.departments.get(reply.department_id, "-")), date=when)]
        if not reply.in_time:
            lines.append(_("Answered after the due date."))
        if reply.rating:
            lines.append(_("The deputy's rating: {rating}", rating=_(proposals.RATING_LABELS[Rating(reply.rating)])))
        text = "\n".join(lines) + "\n\n"
        messages.append(text + proposals.excerpt(reply.text, MESSAGE_LIMIT - len(text) - 10))
    for text in messages[:-1]:
        await message.answer(text)
    await message.answer(messages[-1], reply_markup=_card_markup(card, actor))
    for reply in card.replies:
        if reply.file_id:
            await message.answer_document(reply.file_id, caption=_("Attachment to answer {round}", round=reply.round))


def _card_markup(card: proposals.Card, actor: Actor) -> InlineKeyboardMarkup:
    p, status = card.proposal, ProposalStatus(card.proposal.status)
    waiting = status in (ProposalStatus.filed, ProposalStatus.assigned)
    rows: list[Row] = []
    if status == ProposalStatus.answered and proposals.may_rate(actor, p, card.deputy):
        rows.append([button(_(proposals.RATING_LABELS[r]), RateCb(pid=p.id, rating=r)) for r in Rating])
    if status == ProposalStatus.assigned and p.department_id in actor.department_ids:
        rows.append([button(_("Write the answer"), ProposalCb(act="answer", pid=p.id))])
    if waiting and actor.is_staff:
        label = _("Hand over to a department") if status == ProposalStatus.filed else _("Move to another department")
        rows.append([button(label, AssignCb(pid=p.id))])
    if waiting and proposals.may_withdraw(actor, p):
        rows.append([button(_("Withdraw"), ProposalCb(act="withdraw", pid=p.id))])
    return markup(*rows, home_row())


@router.callback_query(RateCb.filter())
async def rate(query: CallbackQuery, callback_data: RateCb, session: AsyncSession, actor: Actor,
               ctx: AppContext) -> None:
    proposal = await proposals.rate(session, actor, callback_data.pid, callback_data.rating, ctx.now(), _rules(ctx))
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    if proposal.status == ProposalStatus.assigned:
        text = _("Your rating was recorded. The proposal goes back to the department for a second answer, "
                 "due by {due}.", due=proposal.due_on.isoformat())
    else:
        text = _("Thank you. Your rating was recorded: {rating}.",
                 rating=_(proposals.RATING_LABELS[Rating(callback_data.rating)]))
    await query.message.answer(text, reply_markup=markup(home_row()))


@router.callback_query(ProposalCb.filter(F.act == "withdraw"))
async def ask_withdraw(query: CallbackQuery, callback_data: ProposalCb, session: AsyncSession,
                       actor: Actor) -> None:
    card = await proposals.card(session, actor, callback_data.pid)
    await query.answer()
    await query.message.answer(
        _("Withdraw proposal {number}? The department stops working on it.", number=card.proposal.number),
        reply_markup=markup([button(_("Yes, withdraw"), ProposalCb(act="withdraw_ok", pid=callback_data.pid)),
                              button(_("No, keep it"), ProposalCb(act="open", pid=callback_data.pid))]))


@router.callback_query(ProposalCb.filter(F.act == "withdraw_ok"))
async def withdraw(query: CallbackQuery, callback_data: ProposalCb, session: AsyncSession, actor: Actor,
                   ctx: AppContext) -> None:
    proposal = await proposals.withdraw(session, actor, callback_data.pid, ctx.now())
    await query.answer()
    await query.message.edit_text(_("Proposal {number} was withdrawn.", number=proposal.number),
                                  reply_markup=markup(home_row()))


@router.callback_query(AssignCb.filter(F.dep == 0))
async def choose_assignee(query: CallbackQuery, callback_data: AssignCb, session: AsyncSession,
                          actor: Actor) -> None:
    require(actor, Role.staff)
    departments = await directory.departments(session)
    await query.answer()
    if not departments:
        await query.message.answer(_("No department is registered yet. Invite a department user first."))
        return
    rows = _department_rows(departments, callback_data.page, lambda d: AssignCb(pid=callback_data.pid, dep=d.id),
                            lambda page: AssignCb(pid=callback_data.pid, page=page))
    await query.message.answer(_("Which department should answer it?"), reply_markup=markup(*rows))


@router.callback_query(AssignCb.filter(F.dep > 0))
async def assign(query: CallbackQuery, callback_data: AssignCb, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    proposal = await proposals.assign(session, actor, callback_data.pid, callback_data.dep, ctx.now(), _rules(ctx))
    department = await session.get(Department, proposal.department_id)
    await query.answer()
    await query.message.edit_text(
        _("Proposal {number} is now with {department}. The answer is due by {due}.", number=proposal.number,
          department=h(department.name), due=proposal.due_on.isoformat()),
        reply_markup=markup([button(_("Open the proposal"), ProposalCb(act="open", pid=proposal.id))],
                             home_row()))


# --- answering ---------------------------------------------------------------------------------------


@router.callback_query(ProposalCb.filter(F.act == "answer"))
async def start_answer(query: CallbackQuery, callback_data: ProposalCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    proposal = await proposals.begin_answer(session, actor, callback_data.pid)
    await ask(query, state, Answering.text,
              _("Send your department's answer to {number} as text (at most {max} characters).",
                number=proposal.number, max=proposals.TEXT_MAX),
              pid=proposal.id, number=proposal.number)


@router.message(Answering.text, F.text)
async def got_answer_text(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, proposals.TEXT_MAX):
        return
    await state.update_data(text=proposals.clean_text(message.text))
    await state.set_state(Answering.attachment)
    await message.answer(_("You may attach the signed reply letter as a file (PDF, Word or a scan). "
                           "Send it now, or go on without one."),
                         reply_markup=markup([button(_("No attachment"), StepCb(step="no_file"))],
                                              [button(_("Cancel"), StepCb(step="cancel"))]))


@router.message(Answering.attachment, F.document)
async def got_attachment(message: Message, state: FSMContext) -> None:
    await state.update_data(file_id=message.document.file_id, file_name=message.document.file_name or "")
    await _confirm_answer(message, state)


@router.callback_query(Answering.attachment, StepCb.filter(F.step == "no_file"))
async def no_attachment(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _confirm_answer(query.message, state)


async def _confirm_answer(message: Message, state: FSMContext) -> None:
    await state.set_state(Answering.confirm)
    data = await state.get_data()
    head = _("Your answer to {number}:", number=data["number"]) + "\n\n"
    tail = "\n\n" + (_("Attachment: {name}", name=h(data["file_name"] or "-")) if data.get("file_id")
                     else _("No attachment."))
    body = proposals.excerpt(data["text"], MESSAGE_LIMIT - len(head) - len(tail) - 10)
    await message.answer(head + body + tail, reply_markup=markup(
        [button(_("Send the answer"), StepCb(step="send")), button(_("Cancel"), StepCb(step="cancel"))]))


@router.callback_query(Answering.confirm, StepCb.filter(F.step == "send"))
async def send_answer(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    data = await state.get_data()
    reply = await proposals.answer(session, actor, data["pid"], data["text"], ctx.now(),
                                   file_id=data.get("file_id"), file_name=data.get("file_name"))
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    text = _("Your answer to {number} was sent to the deputy.", number=data["number"])
    if not reply.in_time:
        text += "\n" + _("It came after the due date, so the congress office sees it as answered late.")
    await query.message.answer(text, reply_markup=markup(home_row()))


# --- whatever else arrives inside a form ---------------------------------------------------------------------


@router.message(Filing.sitting)
@router.message(Filing.proposal_class)
@router.message(Filing.department)
@router.message(Filing.confirm)
@router.message(Answering.confirm)
async def expected_abutton(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or send /cancel to leave the form."))


@router.message(Answering.attachment)
async def expected_a_file(message: Message) -> None:
    await message.answer(_("Please send the reply letter as a file (a document), or press «No attachment»."))


@router.message(Filing.deputy)
@router.message(Filing.title)
@router.message(Filing.text)
@router.message(Answering.text)
async def expected_text(message: Message) -> None:
    await message.answer(_("Please send text here, or send /cancel to leave the form."))


menu.register("proposal_new", N_("File a proposal"), "office", ("deputy",), order=20)
menu.register("proposal_mine", N_("My proposals"), "office", ("deputy",), order=21)
menu.register("proposal_office", N_("Proposals"), "office", ("staff",), order=22)
menu.register("proposal_todo", N_("Proposals to answer"), "deliver", ("department",), order=20)
