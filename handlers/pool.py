"""Staff turn suggestions into the candidate pool: the queue, the actions on one suggestion,
the pool itself and the exports. Also the resident's side of a question from staff.

Buttons carry ids only; every service call checks that the presser is staff (or, for an
answer, the suggestion's author), so a forged button is refused there.
"""
from __future__ import annotations


from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, enter_form, split_text
from bot.keyboards import Id, Row, button, markup, page_line, pager_row, pairs
from bot.menu import MenuCb, home_row
from bot.screens import close_keyboard, replace
from bot.text import clip, h
from handlers.views.suggestions import detail_lines, origin_line, place_line, send_media, station_name
from models import Department, Role, Station
from models.projects import PLAN_DEADLINE
from models.suggestions import Candidate, Suggestion
from services import candidates, delivery, directory, projects, suggestion_export, suggestions
from services.auth import Actor, require
from services.i18n import N_, _
from services.directory import Page
from services.suggestions import ALL_STATUSES, OPEN_STATUSES, QueueFilter

router = Router(name="pool")
menu.register("queue", N_("Suggestion queue"), "decide", ("staff",), order=10)
menu.register("pool", N_("Candidate pool"), "decide", ("staff",), order=20)

ANY = -1
STATUS_FILTERS = (OPEN_STATUSES, ALL_STATUSES, *suggestions.STATUS_LABELS)
EVERY_STATUS = STATUS_FILTERS.index(ALL_STATUSES)
CHOICES_SHOWN = 30  # departments or stations offered as buttons
BEHIND_PAGE = 20  # suggestions merged into a candidate, as buttons on its card (Telegram caps a keyboard)
REASONS_PAGE = 20  # reason templates offered at once
UNIT_NAME_MAX = 120  # a typed unit name, as directory.ensure_department accepts
SNIPPET = 90


class QueueCb(CallbackData, prefix="sq"):
    """The queue's place and filters travel with every button; indexes keep the data short."""

    act: str  # page | pick | view | export
    page: Id = 0
    cat: Id = ANY  # index into the configured categories
    st: Id = ANY  # station id
    status: Id = 0  # index into STATUS_FILTERS
    id: Id = 0
    pick: str = ""  # which filter the pick screen offers: cat | st | status


class ItemCb(CallbackData, prefix="si"):
    act: str  # accept | desc | nocost | unit | merge | mergeto | ask | reject | reason | write | typed | note
    id: Id
    arg: Id = 0


class PoolCb(CallbackData, prefix="pl"):
    act: str  # page | view | edit | unit | export | paper | paperday
    id: Id = 0
    page: Id = 0
    field: str = ""
    arg: Id = 0


class AnswerCb(CallbackData, prefix="sa"):
    id: Id


class StaffForm(StatesGroup):
    title = State()
    summary = State()
    cost = State()
    unit = State()
    question = State()
    reason = State()
    note = State()
    edit = State()
    voted = State()  # the day a candidate was voted on paper


class AnswerForm(StatesGroup):
    answer = State()


def queue_row() -> Row:
    return [button(_("« Suggestion queue"), QueueCb(act="page"))]


def snippet(text: str) -> str:
    text = " ".join(text.split())
    return h(text if len(text) <= SNIPPET else text[:SNIPPET - 1] + "…")


# --- the queue ---------------------------------------------------------------------------------


def category_of(cb: QueueCb, ctx: AppContext) -> str | None:
    categories = ctx.settings.suggestion_categories
    return categories[cb.cat] if 0 <= cb.cat < len(categories) else None


def status_of(cb: QueueCb) -> str:
    return STATUS_FILTERS[cb.status] if 0 <= cb.status < len(STATUS_FILTERS) else OPEN_STATUSES


def filter_of(cb: QueueCb, ctx: AppContext) -> QueueFilter:
    return QueueFilter(category=category_of(cb, ctx), station_id=cb.st if cb.st != ANY else None, status=status_of(cb))


def status_filter_label(status: str) -> str:
    if status == OPEN_STATUSES:
        return _("waiting for a decision")
    return _("all statuses") if status == ALL_STATUSES else suggestions.status_label(status)


async def queue_screen(session: AsyncSession, actor: Actor, ctx: AppContext, cb: QueueCb) -> tuple[str, list]:
    flt = filter_of(cb, ctx)
    page = await suggestions.queue(session, actor, flt, cb.page)
    counts = await suggestions.support_counts(session, [s.id for s in page.items])
    stations = await suggestions.names_by_id(session, Station.name, [s.station_id for s in page.items] + [cb.st])
    lines = [
        _("<b>Suggestion queue</b>, oldest first: {total} found.", total=page.total),
        _("Filter: {category} · {station} · {status}",
          category=h(suggestions.category_label(flt.category)) if flt.category else _("all categories"),
          station=h(stations.get(cb.st, "")) if cb.st != ANY else _("all station areas"),
          status=status_filter_label(flt.status)),
    ]
    if page.pages > 1:
        lines.append(page_line(page))
    for s in page.items:
        source = "" if s.deputy_id is None else " · " + _("{source}, {count} residents",
                                                          source=suggestions.source_label(s.source), count=s.raised_by)
        lines += ["", f"<b>{s.number}</b> · {h(suggestions.category_label(s.category))} · "
                      f"{h(stations.get(s.station_id, '-'))} · {suggestions.status_label(s.status)} · "
                  + _("supporters: {count}", count=counts.get(s.id, 0)) + source, snippet(s.description)]

    def at(**changes: object) -> QueueCb:
        return cb.model_copy(update=changes)

    rows = [
        *pairs([button(s.number or "", at(act="view", id=s.id, page=page.number)) for s in page.items]),
        pager_row(page.number, page.has_next, lambda n: at(act="page", page=n)),
        [button(_("Category"), at(act="pick", pick="cat")), button(_("Station area"), at(act="pick", pick="st")),
         button(_("Status"), at(act="pick", pick="status"))],
        [button(_("Export to XLSX"), at(act="export"))],
        home_row(),
    ]
    return clip("\n".join(lines)), rows


@router.callback_query(MenuCb.filter(F.key == "queue"))
@router.callback_query(QueueCb.filter(F.act == "page"))
async def show_queue(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext, ctx: AppContext,
                     callback_data: QueueCb | MenuCb) -> None:
    await state.clear()
    cb = callback_data if isinstance(callback_data, QueueCb) else QueueCb(act="page")
    text, rows = await queue_screen(session, actor, ctx, cb)
    await replace(query, text, markup(*rows))


@router.callback_query(QueueCb.filter(F.act == "pick"))
async def pick_filter(query: CallbackQuery, callback_data: QueueCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    require(actor, Role.staff)
    base = callback_data.model_copy(update={"act": "page", "page": 0, "pick": ""})
    if callback_data.pick == "cat":
        options = [(_("All categories"), base.model_copy(update={"cat": ANY}))] + [
            (suggestions.category_label(key), base.model_copy(update={"cat": i}))
            for i, key in enumerate(ctx.settings.suggestion_categories)]
    elif callback_data.pick == "st":
        # `page` is the page of stations here; the queue itself starts again at its first page.
        stations = await directory.station_page(session, actor, callback_data.page)
        options = [(_("All station areas"), base.model_copy(update={"st": ANY}))] + [
            (station.name, base.model_copy(update={"st": station.id})) for station in stations.items]
        turn = pager_row(stations.number, stations.has_next,
                         lambda n: callback_data.model_copy(update={"page": n}))
        text = "\n".join(filter(None, [_("Show which suggestions?"), page_line(stations)]))
        await replace(query, text, markup(*pairs([button(label, data) for label, data in options]), turn,
                                          [button(_("« Back"), base)]))
        return
    else:
        options = [(status_filter_label(status), base.model_copy(update={"status": i}))
                   for i, status in enumerate(STATUS_FILTERS)]
    await replace(query, _("Show which suggestions?"), markup(
        *pairs([button(label, data) for label, data in options]), [button(_("« Back"), base)]))


# --- one suggestion ----------------------------------------------------------------------------


async def staff_card(session: AsyncSession, ctx: AppContext, s: Suggestion) -> str:
    photos = await suggestions.photos(session, s.id)
    lines = [
        _("<b>{number}</b> · {status}", number=s.number, status=suggestions.status_label(s.status)),
        _("Received {when} · {source}", when=ctx.local_time(s.created_at), source=suggestions.source_label(s.source)),
        await origin_line(session, s),
        _("Supporters: {count}", count=await suggestions.support_count(session, s.id)),
    ]
    if s.candidate_id is not None:
        candidate = await session.get(Candidate, s.candidate_id)
        lines.append(_("Candidate project: «{title}»", title=h(candidate.title if candidate else "-")))
    lines += detail_lines(s.category, s.description, await station_name(session, s.station_id),
                          place_line(s.place_text, s.latitude, s.longitude), [p.caption for p in photos])
    for request in await suggestions.questions(session, s.id):
        answer = h(request.answer) if request.answer is not None else _("(no answer yet)")
        lines += ["", _("<b>Question:</b> {question}\n<b>Answer:</b> {answer}", question=h(request.question),
                        answer=answer)]
    lines += ["", _("<b>History</b>")]
    for event in await suggestions.history(session, s.id, internal=True):
        what = _("internal note") if event.kind == "note" else suggestions.status_label(event.status or "")
        text = suggestions.event_text(event)
        lines.append(f"{ctx.local_time(event.at)} · {what}" + (f": {h(text)}" if text else ""))
    return clip("\n".join(lines))


def item_keyboard(s: Suggestion, back: QueueCb) -> list:
    rows = []
    if s.status in suggestions.OPEN:
        rows += [
            [button(_("Accept into the pool"), ItemCb(act="accept", id=s.id)),
             button(_("Merge into a candidate"), ItemCb(act="merge", id=s.id))],
            [button(_("Ask for information"), ItemCb(act="ask", id=s.id)),
             button(_("Not adopt"), ItemCb(act="reject", id=s.id))],
        ]
    rows += [[button(_("Internal note"), ItemCb(act="note", id=s.id))],
             [button(_("« Suggestion queue"), back.model_copy(update={"act": "page", "id": 0}))]]
    return rows


async def send_item(bot: Bot, chat_id: int, session: AsyncSession, ctx: AppContext, s: Suggestion,
                    back: QueueCb) -> None:
    """The photos (as an album), the location, then the card with the actions."""
    await send_media(bot, chat_id, session, s)
    await bot.send_message(chat_id, await staff_card(session, ctx, s), reply_markup=markup(*item_keyboard(s, back)))


@router.callback_query(QueueCb.filter(F.act == "view"))
async def view_item(query: CallbackQuery, callback_data: QueueCb, session: AsyncSession, actor: Actor,
                    ctx: AppContext, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    s = await suggestions.open_for_review(session, actor, callback_data.id, ctx.now())
    await query.answer()
    await send_item(bot, query.message.chat.id, session, ctx, s, callback_data)


async def done(message: Message, text: str, *rows: Row) -> None:
    await message.answer(text, reply_markup=markup(*rows, queue_row()))


# --- accept into the pool: a small form ---------------------------------------------------------


@router.callback_query(ItemCb.filter(F.act == "accept"))
async def accept_start(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    s = await suggestions.for_triage(session, actor, callback_data.id)
    await ask(query, state, StaffForm.title, _(
        "New candidate project from {number}. Its title ({max} characters at most):",
        number=s.number, max=candidates.TITLE_MAX), sid=s.id)


@router.message(StaffForm.title, TYPED)
async def accept_title(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, candidates.TITLE_MAX):
        return
    await state.update_data(title=candidates.clean_title(message.text))
    sid = (await state.get_data())["sid"]
    await state.set_state(StaffForm.summary)
    use_description = button(_("Use the suggestion's description"), ItemCb(act="desc", id=sid))
    await message.answer(_("A summary for the deputies: what will be done, where, and for whom."),
                         reply_markup=markup([use_description]))


async def ask_cost(message: Message, state: FSMContext, summary: str) -> None:
    await state.update_data(summary=candidates.clean_summary(summary))
    await state.set_state(StaffForm.cost)
    sid = (await state.get_data())["sid"]
    await message.answer(_("The estimated cost in yuan, as a number (for example 400000):"),
                         reply_markup=markup([button(_("Not estimated yet"), ItemCb(act="nocost", id=sid))]))


@router.message(StaffForm.summary, TYPED)
async def accept_summary(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, candidates.SUMMARY_MAX):
        return
    await ask_cost(message, state, message.text)


@router.callback_query(StaffForm.summary, ItemCb.filter(F.act == "desc"))
async def accept_summary_from_description(query: CallbackQuery, session: AsyncSession, actor: Actor,
                                          state: FSMContext) -> None:
    s = await suggestions.for_triage(session, actor, (await state.get_data())["sid"])
    await close_keyboard(query)
    await ask_cost(query.message, state, s.description[:candidates.SUMMARY_MAX])


async def ask_unit(message: Message, state: FSMContext, session: AsyncSession, cost: int | None) -> None:
    await state.update_data(cost=cost)
    await state.set_state(StaffForm.unit)
    sid = (await state.get_data())["sid"]
    units = [button(d.name, ItemCb(act="unit", id=sid, arg=d.id))
             for d in (await directory.departments(session))[:CHOICES_SHOWN]]
    await message.answer(_("The implementing unit: choose one, or type the name of another."),
                         reply_markup=markup(*pairs(units), [button(_("No unit yet"), ItemCb(act="unit", id=sid))]))


@router.message(StaffForm.cost, TYPED)
async def accept_cost(message: Message, state: FSMContext, session: AsyncSession) -> None:
    if await split_text(message, state, len(f"{candidates.COST_MAX:,}")):
        return
    await ask_unit(message, state, session, candidates.parse_cost(message.text))


@router.callback_query(StaffForm.cost, ItemCb.filter(F.act == "nocost"))
async def accept_no_cost(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await close_keyboard(query)
    await ask_unit(query.message, state, session, None)


async def accept_finish(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, ctx: AppContext,
                        department_id: int | None) -> None:
    data = await state.get_data()
    fields = candidates.CandidateFields(data["title"], data["summary"], data.get("cost"), department_id)
    candidate = await candidates.accept_into_pool(session, actor, data["sid"], fields, ctx.now())
    await state.clear()
    await done(message, _("Accepted into the candidate pool as «{title}». The resident has been told.",
                          title=h(candidate.title)),
               [button(_("Open the candidate"), PoolCb(act="view", id=candidate.id))])


@router.message(StaffForm.unit, TYPED)
async def accept_unit_typed(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                            ctx: AppContext) -> None:
    if await split_text(message, state, UNIT_NAME_MAX):
        return
    department = await directory.ensure_department(session, actor, message.text)
    await accept_finish(message, state, session, actor, ctx, department.id)


@router.callback_query(StaffForm.unit, ItemCb.filter(F.act == "unit"))
async def accept_unit_chosen(query: CallbackQuery, callback_data: ItemCb, state: FSMContext, session: AsyncSession,
                             actor: Actor, ctx: AppContext) -> None:
    await accept_finish(query.message, state, session, actor, ctx, callback_data.arg or None)
    await close_keyboard(query)


# --- merge -------------------------------------------------------------------------------------


@router.callback_query(ItemCb.filter(F.act == "merge"))
async def merge_choose(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor) -> None:
    s = await suggestions.for_triage(session, actor, callback_data.id)
    choices = await candidates.merge_choices(session, actor)
    if not choices:
        await query.answer(_("The pool has no candidates yet: accept the suggestion as a new one."), show_alert=True)
        return
    await query.answer()
    rows = [[button(clip(c.title, 60), ItemCb(act="mergeto", id=s.id, arg=c.id))] for c in choices]
    await query.message.answer(_("Merge {number} into which candidate project?", number=s.number),
                               reply_markup=markup(*rows))


@router.callback_query(ItemCb.filter(F.act == "mergeto"))
async def merge_done(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor,
                     ctx: AppContext) -> None:
    candidate = await candidates.merge_into(session, actor, callback_data.id, callback_data.arg, ctx.now())
    await close_keyboard(query)
    await done(query.message, _("Merged into «{title}». Everyone behind the suggestion has been told.",
                                title=h(candidate.title)),
               [button(_("Open the candidate"), PoolCb(act="view", id=candidate.id))])


# --- ask the author for more information, and their answer ---------------------------------------


@router.callback_query(ItemCb.filter(F.act == "ask"))
async def ask_start(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor,
                    state: FSMContext) -> None:
    s = await suggestions.for_triage(session, actor, callback_data.id)
    await ask(query, state, StaffForm.question, _(
        "Your question about {number}. The bot passes it on without revealing who asks or who answers:",
        number=s.number), sid=s.id)


@router.message(StaffForm.question, TYPED)
async def ask_send(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    if await split_text(message, state, suggestions.QUESTION_MAX):
        return
    sid = (await state.get_data())["sid"]
    await suggestions.ask_for_information(session, actor, sid, message.text, ctx.now(), AnswerCb(id=sid).pack())
    await state.clear()
    await done(message, _("The question has been sent. The answer will come to you here."))


@router.callback_query(AnswerCb.filter())
async def answer_start(query: CallbackQuery, callback_data: AnswerCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    s, request = await suggestions.question_for_author(session, actor, callback_data.id)
    await ask(query, state, AnswerForm.answer, _(
        "Question about your suggestion {number}:\n<i>{question}</i>\n\nType your answer:",
        number=s.number, question=h(request.question)), sid=s.id)


@router.message(AnswerForm.answer, TYPED)
async def answer_send(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    if await split_text(message, state, suggestions.ANSWER_MAX):
        return
    sid = (await state.get_data())["sid"]
    await suggestions.answer_information(session, actor, sid, message.text, ctx.now(),
                                         QueueCb(act="view", id=sid).pack())
    await state.clear()
    await message.answer(_("Thank you. Your answer has been passed on to the congress office."),
                         reply_markup=markup(home_row()))


# --- not adopting ------------------------------------------------------------------------------


@router.callback_query(ItemCb.filter(F.act == "reject"))
async def reject_choose(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor) -> None:
    s = await suggestions.for_triage(session, actor, callback_data.id)
    templates = await suggestions.reason_templates(session, actor)
    pages = max(1, -(-len(templates) // REASONS_PAGE))
    number = min(max(callback_data.arg, 0), pages - 1)  # `arg`: the page of templates
    first = number * REASONS_PAGE
    shown = list(enumerate(templates[first:first + REASONS_PAGE], start=first + 1))
    lines = [_("Why is {number} not adopted? The resident will read the reason.", number=s.number), ""]
    lines += [f"{i}. {h(suggestions.template_text(t))}" for i, t in shown]
    if pages > 1:
        lines += ["", page_line(Page(shown, number, pages, len(templates)))]
    rows = pairs([button(str(i), ItemCb(act="reason", id=s.id, arg=t.id)) for i, t in shown])
    await query.answer()
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(
        *rows, pager_row(number, number + 1 < pages, lambda n: ItemCb(act="reject", id=s.id, arg=n)),
        [button(_("Write another reason"), ItemCb(act="write", id=s.id))]))


@router.callback_query(ItemCb.filter(F.act == "reason"))
async def reject_with_template(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor,
                               ctx: AppContext) -> None:
    s = await suggestions.not_adopt(session, actor, callback_data.id, ctx.now(), template_id=callback_data.arg)
    await not_adopted(query, s)


@router.callback_query(ItemCb.filter(F.act == "write"))
async def reject_write(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    s = await suggestions.for_triage(session, actor, callback_data.id)
    await ask(query, state, StaffForm.reason, _("Type the reason for {number}:", number=s.number), sid=s.id)


@router.message(StaffForm.reason, TYPED)
async def reject_typed(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, suggestions.REASON_MAX):
        return
    sid = (await state.get_data())["sid"]
    reason = suggestions.clean_reason(message.text)
    await state.update_data(reason=reason)
    await message.answer(_("Reason given to the resident: {reason}", reason=h(reason)), reply_markup=markup(
        [button(_("Not adopt with this reason"), ItemCb(act="typed", id=sid))],
        [button(_("Not adopt, and keep the reason as a template"), ItemCb(act="typed", id=sid, arg=1))]))


@router.callback_query(StaffForm.reason, ItemCb.filter(F.act == "typed"))
async def reject_typed_done(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor,
                            ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    if data.get("sid") != callback_data.id:
        await query.answer(_("This button is no longer valid. Open the menu again with /menu."), show_alert=True)
        return
    s = await suggestions.not_adopt(session, actor, callback_data.id, ctx.now(), reason=data.get("reason"))
    if callback_data.arg:
        await suggestions.add_reason_template(session, actor, data["reason"])
    await state.clear()
    await not_adopted(query, s)


async def not_adopted(query: CallbackQuery, s: Suggestion) -> None:
    await close_keyboard(query)
    await done(query.message, _("{number} is not adopted; the resident has been told the reason.", number=s.number))


# --- internal note -----------------------------------------------------------------------------


@router.callback_query(ItemCb.filter(F.act == "note"))
async def note_start(query: CallbackQuery, callback_data: ItemCb, session: AsyncSession, actor: Actor,
                     state: FSMContext) -> None:
    s = await suggestions.for_staff(session, actor, callback_data.id)
    await ask(query, state, StaffForm.note, _(
        "Your internal note on {number} (the resident never sees it):", number=s.number), sid=s.id)


@router.message(StaffForm.note, TYPED)
async def note_save(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    if await split_text(message, state, suggestions.NOTE_MAX):
        return
    await suggestions.add_note(session, actor, (await state.get_data())["sid"], message.text, ctx.now())
    await state.clear()
    await done(message, _("Note saved."))


# --- the candidate pool ------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "pool"))
@router.callback_query(PoolCb.filter(F.act == "page"))
async def show_pool(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext,
                    callback_data: PoolCb | MenuCb) -> None:
    await state.clear()
    page = await candidates.pool_page(session, actor, callback_data.page if isinstance(callback_data, PoolCb) else 0)
    backing = await candidates.backing(session, [c.id for c in page.items])
    units = await suggestions.names_by_id(session, Department.name, [c.department_id for c in page.items])
    lines = [_("<b>Candidate pool</b>: {total} candidates.", total=page.total)]
    for c in page.items:
        behind = backing.get(c.id, candidates.Backing())
        lines += ["", f"<b>{h(c.title)}</b> · {candidates.status_label(c.status)}",
                  _("{unit} · {cost} · suggestions: {suggestions} · supporters: {supporters}",
                    unit=h(units.get(c.department_id, _("no unit yet"))), cost=candidates.format_cost(c.estimated_cost),
                    suggestions=behind.suggestions, supporters=behind.supporters)]
    await replace(query, clip("\n".join(lines)), markup(
        *([button(clip(c.title, 60), PoolCb(act="view", id=c.id))] for c in page.items),
        pager_row(page.number, page.has_next, lambda n: PoolCb(act="page", page=n)),
        [button(_("Export to XLSX"), PoolCb(act="export"))], home_row()))


async def candidate_card(session: AsyncSession, actor: Actor, candidate_id: int,
                         page: int = 0) -> tuple[str, list]:
    c = await candidates.get(session, actor, candidate_id)
    merged = await candidates.behind(session, c.id)
    pages = max(1, -(-len(merged) // BEHIND_PAGE))
    shown = Page(merged, min(max(page, 0), pages - 1), pages, len(merged))
    behind = merged[shown.number * BEHIND_PAGE:(shown.number + 1) * BEHIND_PAGE]
    counts = await suggestions.support_counts(session, [s.id for s in behind])
    backing = (await candidates.backing(session, [c.id])).get(c.id, candidates.Backing())
    units = await suggestions.names_by_id(session, Department.name, [c.department_id])
    lines = [
        f"<b>{h(c.title)}</b> · {candidates.status_label(c.status)}",
        _("Estimated cost: {cost}", cost=candidates.format_cost(c.estimated_cost)),
        _("Implementing unit: {unit}", unit=h(units.get(c.department_id, _("no unit yet")))),
        "", h(c.summary), "",
        _("Behind it: {suggestions} suggestions, {supporters} supporters, {residents} residents who raised it.",
          suggestions=backing.suggestions, supporters=backing.supporters, residents=backing.residents),
    ]
    for s in behind:
        lines.append(f"• {s.number} · {h(suggestions.category_label(s.category))} · "
                     + _("supporters: {count}", count=counts.get(s.id, 0)) + " · " + await origin_line(session, s))
    if page_line(shown):
        lines.append(page_line(shown))
    rows = [
        [button(_("Edit title"), PoolCb(act="edit", id=c.id, field="title")),
         button(_("Edit summary"), PoolCb(act="edit", id=c.id, field="summary"))],
        [button(_("Edit cost"), PoolCb(act="edit", id=c.id, field="cost")),
         button(_("Edit unit"), PoolCb(act="edit", id=c.id, field="unit"))],
        *pairs([button(s.number or "", QueueCb(act="view", id=s.id, status=EVERY_STATUS)) for s in behind]),
        pager_row(shown.number, shown.has_next, lambda n: PoolCb(act="view", id=c.id, page=n)),
        [button(_("Voted on paper: make it a project"), PoolCb(act="paper", id=c.id))]
        if c.status == candidates.IN_POOL else [],
        [button(_("« Candidate pool"), PoolCb(act="page"))],
    ]
    return clip("\n".join(lines)), rows


@router.callback_query(PoolCb.filter(F.act == "view"))
async def view_candidate(query: CallbackQuery, callback_data: PoolCb, session: AsyncSession, actor: Actor,
                         state: FSMContext) -> None:
    await state.clear()
    text, rows = await candidate_card(session, actor, callback_data.id, callback_data.page)
    await replace(query, text, markup(*rows))


EDIT_PROMPTS = {
    "title": N_("The new title ({max} characters at most):"),
    "summary": N_("The new summary ({max} characters at most):"),
    "cost": N_("The estimated cost in yuan, as a number (for example 400000):"),
    "unit": N_("The implementing unit: choose one, or type the name of another."),
}


@router.callback_query(PoolCb.filter((F.act == "edit") & F.field.in_(candidates.EDITABLE)))
async def edit_start(query: CallbackQuery, callback_data: PoolCb, session: AsyncSession, actor: Actor,
                     state: FSMContext) -> None:
    c = await candidates.to_edit(session, actor, callback_data.id)
    await enter_form(state, StaffForm.edit, cid=c.id, field=callback_data.field)
    limit = candidates.TITLE_MAX if callback_data.field == "title" else candidates.SUMMARY_MAX
    rows = []
    if callback_data.field == "unit":
        rows = pairs([button(d.name, PoolCb(act="unit", id=c.id, arg=d.id))
                      for d in (await directory.departments(session))[:CHOICES_SHOWN]])
    await query.answer()
    await query.message.answer(_(EDIT_PROMPTS[callback_data.field], max=limit), reply_markup=markup(*rows))


async def edited(message: Message, session: AsyncSession, actor: Actor, candidate_id: int) -> None:
    text, rows = await candidate_card(session, actor, candidate_id)
    await message.answer(_("Saved.") + "\n\n" + text, reply_markup=markup(*rows))


@router.message(StaffForm.edit, TYPED)
async def edit_typed(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                     ctx: AppContext) -> None:
    data = await state.get_data()
    limit = {"title": candidates.TITLE_MAX, "summary": candidates.SUMMARY_MAX,
             "unit": UNIT_NAME_MAX}.get(data["field"], len(f"{candidates.COST_MAX:,}"))
    if await split_text(message, state, limit):
        return
    await candidates.edit(session, actor, data["cid"], data["field"], ctx.now(), text=message.text)
    await state.clear()
    await edited(message, session, actor, data["cid"])


@router.callback_query(StaffForm.edit, PoolCb.filter(F.act == "unit"))
async def edit_unit_chosen(query: CallbackQuery, callback_data: PoolCb, state: FSMContext, session: AsyncSession,
                           actor: Actor, ctx: AppContext) -> None:
    await candidates.edit(session, actor, callback_data.id, "unit", ctx.now(), department_id=callback_data.arg)
    await state.clear()
    await close_keyboard(query)
    await edited(query.message, session, actor, callback_data.id)


# --- a project voted on paper ---------------------------------------------------------------------


@router.callback_query(PoolCb.filter(F.act == "paper"))
async def voted_on_paper(query: CallbackQuery, callback_data: PoolCb, session: AsyncSession, actor: Actor,
                         state: FSMContext) -> None:
    c = await candidates.get(session, actor, callback_data.id)
    await ask(query, state, StaffForm.voted,
              _("On which day did the congress vote «{title}»? Send the date, for example 2026-03-05, or press "
                "Today. The implementation plan is due one month after that day.", title=h(c.title)),
              markup([button(_("Today"), PoolCb(act="paperday", id=c.id))],
                     [button(_("« Back"), PoolCb(act="view", id=c.id))]), cid=c.id)


async def _made(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext, candidate_id: int,
                day_text: str | None) -> None:
    today = ctx.now().astimezone(ctx.settings.tz).date()
    voted_on = delivery.parse_date(day_text) if day_text is not None else today
    project = await projects.create_voted_on_paper(session, actor, candidate_id, voted_on, ctx.now(),
                                                   projects.Rules.from_settings(ctx.settings))
    due = await delivery.due_on(session, PLAN_DEADLINE, project.id)
    await message.answer(_("Project {number} «{title}» is made. Its department has been told; the implementation "
                           "plan is due by {due}.", number=project.number, title=h(project.title),
                           due=due.isoformat() if due else "-"),
                         reply_markup=markup([InlineKeyboardButton(text=_("Open the project"),
                                                                   callback_data=projects.open_data(project.id))],
                                             home_row()))


@router.message(StaffForm.voted, TYPED)
async def voted_day_typed(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                          ctx: AppContext) -> None:
    data = await state.get_data()
    await _made(message, session, actor, ctx, data["cid"], message.text)
    await state.clear()


@router.callback_query(StaffForm.voted, PoolCb.filter(F.act == "paperday"))
async def voted_today(query: CallbackQuery, callback_data: PoolCb, state: FSMContext, session: AsyncSession,
                      actor: Actor, ctx: AppContext) -> None:
    await close_keyboard(query)
    await _made(query.message, session, actor, ctx, callback_data.id, None)
    await state.clear()


# --- exports -----------------------------------------------------------------------------------


@router.callback_query(QueueCb.filter(F.act == "export"))
async def export_suggestions(query: CallbackQuery, callback_data: QueueCb, session: AsyncSession, actor: Actor,
                             ctx: AppContext) -> None:
    flt = filter_of(callback_data, ctx)
    content = await suggestion_export.suggestions_xlsx(session, actor, locale=actor.locale, tz=ctx.settings.tz,
                                                       flt=flt)
    await query.answer()
    name = f"suggestions-{ctx.now().astimezone(ctx.settings.tz):%Y-%m-%d}.xlsx"
    await query.message.answer_document(BufferedInputFile(content, filename=name),
                                        caption=_("Suggestions: {filter}", filter=status_filter_label(flt.status)))


@router.callback_query(PoolCb.filter(F.act == "export"))
async def export_pool(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    content = await suggestion_export.pool_xlsx(session, actor, locale=actor.locale, tz=ctx.settings.tz)
    await query.answer()
    name = f"candidate-pool-{ctx.now().astimezone(ctx.settings.tz):%Y-%m-%d}.xlsx"
    await query.message.answer_document(BufferedInputFile(content, filename=name), caption=_("Candidate pool"))


# --- whatever else arrives inside these forms -----------------------------------------------------


@router.message(StateFilter(StaffForm, AnswerForm), NOT_COMMAND)
async def unexpected(message: Message) -> None:
    await message.answer(_("Please send your answer as text (or use the buttons above), or send /cancel."))
