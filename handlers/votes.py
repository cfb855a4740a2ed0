"""Staff run a vote session at the congress: prepare it, brief the deputies, check them in, open
and close voting, reconcile with the paper tally, confirm, run a run-off, export the result.
Departments (and staff) answer deputies' questions here too.

Buttons carry ids only; every action is authorised in services.votes against the presser.
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, split_text
from bot.keyboards import Id, Row, button, markup, page_line, pager_row, pairs
from bot.menu import MenuCb, home_row
from bot.screens import replace
from bot.text import clip, h
from handlers.views.votes import QuestionCb, ask_button, ballot_button, checkin_button
from models.suggestions import Candidate
from models.votes import SessionStatus as S
from models.votes import VoteRegister
from services import directory, vote_export, votes
from services.auth import Actor
from services.i18n import N_, _

router = Router(name="votes")
menu.register("votes", N_("Vote sessions"), "decide", ("staff",), order=30)

CHOICES_SHOWN = 30
SESSION_FIELDS = {"meeting": N_("The meeting, e.g. “the third session of the 18th township congress”:"),
                  "date": N_("The date, as year-month-day (for example 2027-01-15):"),
                  "place": N_("The place (the hall):"),
                  "slots": N_("How many projects are adopted at most? Send a number, or 0 for every candidate "
                              "that passes (majority rule).")}
ITEM_PROMPTS = {"content": N_("The content of the project: what will be done, where, for whom:"),
                "plan": N_("The implementation plan:"),
                "deadline": N_("The deadline, e.g. “by the end of October 2027”:"),
                "safeguards": N_("The safeguards (funding, land, supervision):"),
                "cost": N_("The estimated cost in yuan, as a number (for example 400000):"),
                "unit": N_("The implementing unit: choose one, or type the name of another.")}


class VoteCb(CallbackData, prefix="vo"):
    # list | new | view | field | items | item | add | pick | drop | ifield | unit | who | all | st | lvl | deps |
    # dep | brief | qs | checkin | code | hall | seat | mark | open | close | paper | confirm | runoff | unfilled |
    # pdf | xlsx
    act: str
    id: Id = 0
    arg: Id = 0
    page: Id = 0
    f: str = ""


class StaffForm(StatesGroup):
    meeting = State()
    date = State()
    place = State()
    field = State()
    item = State()
    paper = State()
    answer = State()


def back(session_id: int) -> Row:
    return [button(_("« Session"), VoteCb(act="view", id=session_id))]


# --- the list and a new session ----------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "votes"))
@router.callback_query(VoteCb.filter(F.act == "list"))
async def show_sessions(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    listed = await votes.recent(session, actor)
    await state.clear()
    lines = [_("<b>Vote sessions</b>")] + [
        _("{meeting}, {day} · {status}", meeting=h(v.meeting), day=v.held_on.isoformat(),
          status=votes.status_label(v.status)) for v in listed]
    rows = [[button(clip(f"{v.held_on.isoformat()} {v.meeting}", 60), VoteCb(act="view", id=v.id))] for v in listed]
    await replace(query, "\n".join(lines), markup(*rows, [button(_("New vote session"), VoteCb(act="new"))],
                                                  home_row()))


@router.callback_query(VoteCb.filter(F.act == "new"))
async def new_session(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    await votes.require_office(session, actor)
    await ask(query, state, StaffForm.meeting, _(SESSION_FIELDS["meeting"]))


@router.message(StaffForm.meeting, TYPED)
async def new_meeting(message: Message, state: FSMContext) -> None:
    await state.update_data(meeting=votes.clean_meeting(message.text[:votes.MEETING_MAX * 2]))
    await state.set_state(StaffForm.date)
    await message.answer(_(SESSION_FIELDS["date"]))


@router.message(StaffForm.date, TYPED)
async def new_date(message: Message, state: FSMContext) -> None:
    await state.update_data(day=votes.parse_day(message.text[:40]).isoformat())
    await state.set_state(StaffForm.place)
    await message.answer(_(SESSION_FIELDS["place"]))


@router.message(StaffForm.place, TYPED)
async def new_place(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    data = await state.get_data()
    vote = await votes.create(session, actor, data["meeting"], votes.parse_day(data["day"]),
                              message.text[:votes.PLACE_MAX * 2], ctx.now())
    await state.clear()
    text, rows = await session_screen(session, actor, ctx, vote.id)
    await message.answer(_("Session created.") + "\n\n" + text, reply_markup=markup(*rows))


# --- the session screen ------------------------------------------------------------------------


async def session_screen(session: AsyncSession, actor: Actor, ctx: AppContext, session_id: int) -> tuple[str, list]:
    vote = await votes.get(session, actor, session_id)
    listed = await votes.items(session, vote.id)
    counts = await votes.presence(session, vote.id)
    sid = vote.id
    lines = [f"<b>{h(vote.meeting)}</b>",
             _("{day} · {place} · {status}", day=vote.held_on.isoformat(), place=h(vote.place),
               status=votes.status_label(vote.status)),
             _("Rule: more than half of the deputies present; every candidate that passes is adopted.")
             if vote.slots is None else
             _("Rule: more than half of the deputies present, then the most yes votes fill {slots} slots.",
               slots=vote.slots),
             _("Eligible deputies: {eligible} · present: {present} · on paper: {paper}",
               eligible=counts.eligible, present=counts.present, paper=counts.paper)]
    if vote.present is not None:
        lines.append(_("Present when voting opened: {present} (needed {quorum}).", present=vote.present,
                       quorum=vote.quorum))
    if vote.status == S.voting:
        lines.append(_("Round {round}: ballots cast in the bot: {voted}.", round=vote.round, voted=counts.voted))
    if vote.briefed_at is not None:
        lines.append(_("Briefing sent {when}.", when=ctx.local_time(vote.briefed_at)))
    lines += ["", _("<b>Candidates</b>")] + [f"{item.position + 1}. {h(c.title)}" for item, c in listed]
    rows: list[Row] = []
    if vote.status == S.draft:
        rows += [[button(_("Candidates"), VoteCb(act="items", id=sid)),
                  button(_("Eligible deputies"), VoteCb(act="who", id=sid))],
                 [button(_("Meeting"), VoteCb(act="field", id=sid, f="meeting")),
                  button(_("Date"), VoteCb(act="field", id=sid, f="date")),
                  button(_("Place"), VoteCb(act="field", id=sid, f="place")),
                  button(_("Slots"), VoteCb(act="field", id=sid, f="slots"))]]
    if vote.status in (S.draft, S.checkin):
        rows += [[button(_("Send the briefing"), VoteCb(act="brief", id=sid)),
                  button(_("Questions"), VoteCb(act="qs", id=sid))]]
    if vote.status == S.draft:
        rows.append([button(_("Open check-in"), VoteCb(act="checkin", id=sid))])
    if vote.status == S.checkin:
        rows += [[button(_("Show the check-in code"), VoteCb(act="code", id=sid)),
                  button(_("The hall"), VoteCb(act="hall", id=sid))],
                 [button(_("Open voting"), VoteCb(act="open", id=sid))]]
    if vote.status == S.voting:
        rows.append([button(_("Refresh"), VoteCb(act="view", id=sid)),
                     button(_("Close voting"), VoteCb(act="close", id=sid))])
    if vote.status == S.counting:
        reconciled = await votes.reconciliation(session, actor, sid)
        lines += ["", _("<b>Reconciliation, round {round}</b>", round=vote.round),
                  _("Present {present} · ballots issued in the bot {issued} · cast in the bot {electronic} · "
                    "on paper {paper} · blank {blank} · invalid {invalid}",
                    present=reconciled.present, issued=reconciled.issued, electronic=reconciled.electronic,
                    paper=reconciled.paper, blank=reconciled.blank, invalid=reconciled.invalid)]
        if not reconciled.ok:
            lines.append(_("⚠ {problems}", problems=votes.problems_text(reconciled)))
        rows.append([button(_("Enter the paper tally"), VoteCb(act="paper", id=sid)),
                     button(_("Confirm the result"), VoteCb(act="confirm", id=sid))])
    if vote.status in (S.tied, S.closed):
        lines += ["", votes.summary(await votes.sheet(session, actor, sid))]
    if vote.status == S.tied:
        rows.append([button(_("Run-off between the tied"), VoteCb(act="runoff", id=sid))])
        rows.append([button(_("Finish, leaving the slot empty"), VoteCb(act="unfilled", id=sid))])
    if vote.status == S.closed:
        rows.append([button(_("Result sheet (PDF)"), VoteCb(act="pdf", id=sid)),
                     button(_("Result sheet (XLSX)"), VoteCb(act="xlsx", id=sid))])
    rows.append([button(_("« Vote sessions"), VoteCb(act="list"))])
    return clip("\n".join(lines)), rows


@router.callback_query(VoteCb.filter(F.act == "view"))
async def view_session(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext, state: FSMContext) -> None:
    text, rows = await session_screen(session, actor, ctx, callback_data.id)
    await state.clear()
    await replace(query, text, markup(*rows))


async def show_after(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext, session_id: int,
                     note: str) -> None:
    text, rows = await session_screen(session, actor, ctx, session_id)
    await message.answer(clip(note + "\n\n" + text), reply_markup=markup(*rows))


@router.callback_query(VoteCb.filter((F.act == "field") & F.f.in_(set(SESSION_FIELDS))))
async def field_start(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                      state: FSMContext) -> None:
    vote = await votes.get(session, actor, callback_data.id)
    await ask(query, state, StaffForm.field, _(SESSION_FIELDS[callback_data.f]), sid=vote.id, field=callback_data.f)


@router.message(StaffForm.field, TYPED)
async def field_typed(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    data = await state.get_data()
    await votes.edit(session, actor, data["sid"], data["field"], message.text[:votes.MEETING_MAX * 2], ctx.now())
    await state.clear()
    await show_after(message, session, actor, ctx, data["sid"], _("Saved."))


# --- candidates and their explanation ----------------------------------------------------------


@router.callback_query(VoteCb.filter(F.act == "items"))
async def show_items(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                     state: FSMContext) -> None:
    vote = await votes.get(session, actor, callback_data.id)
    await state.clear()
    listed = await votes.items(session, vote.id)
    lines = [_("<b>Candidates on the ballot</b>: {count}. Open one to complete its explanation.", count=len(listed))]
    rows = [[button(clip(f"{item.position + 1}. {c.title}", 60), VoteCb(act="item", id=item.id))]
            for item, c in listed]
    await replace(query, "\n".join(lines), markup(*rows, [button(_("Add from the pool"), VoteCb(act="add", id=vote.id))],
                                                  back(vote.id)))


@router.callback_query(VoteCb.filter(F.act == "add"))
async def add_choices(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor) -> None:
    choices = await votes.pool_choices(session, actor, callback_data.id)
    text = _("Which candidate from the pool?") if choices else _("The pool has no other candidate.")
    await replace(query, text, markup(*[[button(clip(c.title, 60), VoteCb(act="pick", id=callback_data.id, arg=c.id))]
                                        for c in choices[:CHOICES_SHOWN]], back(callback_data.id)))


@router.callback_query(VoteCb.filter(F.act == "pick"))
async def add_item(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                   ctx: AppContext) -> None:
    item = await votes.add_item(session, actor, callback_data.id, callback_data.arg, ctx.now())
    await replace(query, *await item_screen(session, actor, item.id, _("Added.")))


async def item_screen(session: AsyncSession, actor: Actor, item_id: int, note: str = "") -> tuple[str, object]:
    vote, item = await votes.get_item(session, actor, item_id)
    candidate = await session.get(Candidate, item.candidate_id)
    units = await votes.unit_names(session, [item.department_id])
    text = votes.explanation(vote, item, candidate.title, units.get(item.department_id))
    rows = pairs([button(_(label), VoteCb(act="ifield", id=item.id, f=field)) for field, label in (
        ("content", N_("Content")), ("unit", N_("Unit")), ("plan", N_("Plan")), ("deadline", N_("Deadline")),
        ("cost", N_("Cost")), ("safeguards", N_("Safeguards")))]) if vote.status == S.draft else []
    if vote.status == S.draft:
        rows.append([button(_("Remove from the ballot"), VoteCb(act="drop", id=item.id))])
    rows.append([button(_("« Candidates"), VoteCb(act="items", id=vote.id))])
    return clip((note + "\n\n" if note else "") + text), markup(*rows)


@router.callback_query(VoteCb.filter(F.act == "item"))
async def view_item(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                    state: FSMContext) -> None:
    text, keyboard = await item_screen(session, actor, callback_data.id)
    await state.clear()
    await replace(query, text, keyboard)


@router.callback_query(VoteCb.filter(F.act == "drop"))
async def drop_item(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    vote = await votes.remove_item(session, actor, callback_data.id, ctx.now())
    await replace(query, _("Removed from the ballot."), markup([button(_("« Candidates"),
                                                                       VoteCb(act="items", id=vote.id))]))


@router.callback_query(VoteCb.filter((F.act == "ifield") & F.f.in_(set(ITEM_PROMPTS))))
async def item_field_start(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                           state: FSMContext) -> None:
    _vote, item = await votes.get_item(session, actor, callback_data.id)
    rows = []
    if callback_data.f == "unit":
        rows = pairs([button(d.name, VoteCb(act="unit", id=item.id, arg=d.id))
                      for d in (await directory.departments(session))[:CHOICES_SHOWN]])
    await ask(query, state, StaffForm.item, _(ITEM_PROMPTS[callback_data.f]), markup(*rows), iid=item.id,
              field=callback_data.f)


@router.message(StaffForm.item, TYPED)
async def item_field_typed(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                           ctx: AppContext) -> None:
    if await split_text(message, state, votes.EXPLANATION_MAX):
        return
    data = await state.get_data()
    await votes.edit_item(session, actor, data["iid"], data["field"], ctx.now(), value=message.text)
    await state.clear()
    text, keyboard = await item_screen(session, actor, data["iid"], _("Saved."))
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(StaffForm.item, VoteCb.filter(F.act == "unit"))
async def item_unit_chosen(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                           ctx: AppContext, state: FSMContext) -> None:
    await votes.edit_item(session, actor, callback_data.id, "unit", ctx.now(), department_id=callback_data.arg)
    await state.clear()
    await replace(query, *await item_screen(session, actor, callback_data.id, _("Saved.")))


# --- eligible deputies -------------------------------------------------------------------------


@router.callback_query(VoteCb.filter(F.act == "who"))
async def who(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor) -> None:
    vote = await votes.get(session, actor, callback_data.id)
    counts = await votes.presence(session, vote.id)
    await replace(query, _("Eligible deputies: {count}. Add them all, by station, by level, or one by one.",
                           count=counts.eligible), markup(
        [button(_("All deputies"), VoteCb(act="all", id=vote.id)),
         button(_("By station"), VoteCb(act="st", id=vote.id))],
        [button(_("By level"), VoteCb(act="lvl", id=vote.id)),
         button(_("One by one"), VoteCb(act="deps", id=vote.id))],
        back(vote.id)))


@router.callback_query(VoteCb.filter(F.act.in_({"all", "st", "lvl"})))
async def add_group(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    sid, act = (await votes.get(session, actor, callback_data.id)).id, callback_data.act
    if act == "st" and not callback_data.arg:
        stations = await directory.station_page(session, actor, callback_data.page)
        await replace(query, "\n".join(filter(None, [_("Which station's deputies?"), page_line(stations)])), markup(
            *pairs([button(s.name, VoteCb(act="st", id=sid, arg=s.id)) for s in stations.items]),
            pager_row(stations.number, stations.has_next, lambda n: VoteCb(act="st", id=sid, page=n)), back(sid)))
        return
    levels = list(directory.LEVELS)
    if act == "lvl" and not 1 <= callback_data.arg <= len(levels):
        await replace(query, _("Which level?"), markup(
            *pairs([button(directory.level_label(level), VoteCb(act="lvl", id=sid, arg=i))
                    for i, level in enumerate(levels, start=1)]), back(sid)))
        return
    added = await votes.add_eligible(session, actor, sid, ctx.now(), everyone=act == "all",
                                     station_id=callback_data.arg if act == "st" else None,
                                     level=levels[callback_data.arg - 1] if act == "lvl" else None)
    counts = await votes.presence(session, sid)
    await replace(query, _("{added} deputies added; {count} eligible now.", added=added, count=counts.eligible),
                  markup([button(_("Eligible deputies"), VoteCb(act="who", id=sid))], back(sid)))


def seat_mark(entry: VoteRegister | None) -> str:
    if entry is None:
        return ""
    return ("✅ " if entry.checked_in_at else "☑ ") + ("📄 " if entry.paper else "")


@router.callback_query(VoteCb.filter(F.act.in_({"deps", "dep"})))
async def pick_deputies(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                        ctx: AppContext) -> None:
    """Toggle deputies one by one: ☑ marks the eligible."""
    sid = callback_data.id
    if callback_data.act == "dep":
        await votes.toggle_eligible(session, actor, sid, callback_data.arg, ctx.now())
    page, entries = await votes.deputies_page(session, actor, sid, callback_data.page, eligible_only=False)
    await replace(query, "\n".join(filter(None, [_("Press a deputy to add or remove them (☑ eligible)."),
                                                 page_line(page)])), markup(
        *pairs([button(seat_mark(entries.get(d.id)) + d.name, VoteCb(act="dep", id=sid, arg=d.id, page=page.number))
                for d in page.items]),
        pager_row(page.number, page.has_next, lambda n: VoteCb(act="deps", id=sid, page=n)), back(sid)))


# --- briefing and questions --------------------------------------------------------------------


@router.callback_query(VoteCb.filter(F.act == "brief"))
async def brief(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                ctx: AppContext) -> None:
    queued = await votes.send_briefing(session, actor, callback_data.id, ctx.now(), ask_button)
    await query.answer(_("The briefing is on its way: {count} messages.", count=queued), show_alert=True)


@router.callback_query(VoteCb.filter(F.act == "qs"))
async def show_questions(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor) -> None:
    asked = await votes.questions(session, actor, callback_data.id)
    lines = [_("<b>Questions from deputies</b>: {count}", count=len(asked))]
    rows = []
    for number, (question, title) in enumerate(asked, start=1):
        lines += ["", f"{number}. «{h(title)}» {h(question.question)}",
                  _("Answer: {answer}", answer=h(question.answer)) if question.answer else _("(no answer yet)")]
        if question.answer is None:
            rows.append(button(_("Answer {number}", number=number), QuestionCb(act="answer", id=question.id)))
    await replace(query, clip("\n".join(lines)), markup(*pairs(rows), back(callback_data.id)))


@router.callback_query(QuestionCb.filter(F.act == "answer"))
async def answer_start(query: CallbackQuery, callback_data: QuestionCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    asked, title = await votes.question_to_answer(session, actor, callback_data.id)
    await ask(query, state, StaffForm.answer, _(
        "Question on «{title}»:\n<i>{question}</i>\n\nYour answer goes to every deputy of the session:",
        title=h(title), question=h(asked.question)), qid=asked.id)


@router.message(StaffForm.answer, TYPED)
async def answer_send(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    if await split_text(message, state, votes.ANSWER_MAX):
        return
    await votes.answer(session, actor, (await state.get_data())["qid"], message.text, ctx.now())
    await state.clear()
    await message.answer(_("Your answer has been sent to every deputy of the session."),
                         reply_markup=markup(home_row()))


# --- in the hall -------------------------------------------------------------------------------


@router.callback_query(VoteCb.filter(F.act == "checkin"))
async def open_checkin(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    await votes.open_checkin(session, actor, callback_data.id, ctx.now(), checkin_button)
    text, rows = await session_screen(session, actor, ctx, callback_data.id)
    await replace(query, _("Check-in is open; the session can no longer be changed.") + "\n\n" + text, markup(*rows))


@router.callback_query(VoteCb.filter(F.act == "code"))
async def show_code(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    code, changes = await votes.current_code(session, actor, callback_data.id, ctx.now(),
                                             votes.Rules.from_settings(ctx.settings))
    counts = await votes.presence(session, callback_data.id)
    await replace(query, _("Check-in code: <b>{code}</b>\nShow it on the screen or read it aloud. It changes at "
                           "{when}; the previous code still works for one more period.\nPresent: {present} of "
                           "{eligible}.", code=" ".join(code), when=ctx.local_time(changes)[-5:],
                           present=counts.present, eligible=counts.eligible),
                  markup([button(_("Refresh"), VoteCb(act="code", id=callback_data.id))], back(callback_data.id)))


@router.callback_query(VoteCb.filter(F.act.in_({"hall", "seat"})))
async def hall(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
               ctx: AppContext) -> None:
    """The register in the hall: ✅ present, 📄 votes on paper. A deputy opens what staff can mark."""
    sid = callback_data.id
    if callback_data.act == "seat":
        page, entries = await votes.deputies_page(session, actor, sid, callback_data.page, eligible_only=True)
        entry = entries.get(callback_data.arg)
        deputy = next((d for d in page.items if d.id == callback_data.arg), None)
        if entry is not None and deputy is not None:
            def mark(label: str, f: str) -> object:
                return button(label, VoteCb(act="mark", id=sid, arg=deputy.id, page=page.number, f=f))

            await replace(query, f"{seat_mark(entry)}{h(deputy.name)}", markup(
                [mark(_("Present"), "in"), mark(_("Absent"), "out")],
                [mark(_("Votes on paper"), "paper"), mark(_("Votes in the bot"), "bot")],
                [button(_("« The hall"), VoteCb(act="hall", id=sid, page=page.number))]))
            return
    page, entries = await votes.deputies_page(session, actor, sid, callback_data.page, eligible_only=True)
    counts = await votes.presence(session, sid)
    await replace(query, "\n".join(filter(None, [
        _("Present {present} of {eligible} (✅ present, 📄 votes on paper). Press a deputy to check them in "
          "or mark paper voting.", present=counts.present, eligible=counts.eligible), page_line(page)])), markup(
        *pairs([button(seat_mark(entries.get(d.id)) + d.name, VoteCb(act="seat", id=sid, arg=d.id, page=page.number))
                for d in page.items]),
        pager_row(page.number, page.has_next, lambda n: VoteCb(act="hall", id=sid, page=n)),
        [button(_("Refresh"), VoteCb(act="hall", id=sid, page=page.number))], back(sid)))


@router.callback_query(VoteCb.filter((F.act == "mark") & F.f.in_({"in", "out", "paper", "bot"})))
async def mark_seat(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    f = callback_data.f
    await votes.staff_check_in(session, actor, callback_data.id, callback_data.arg, ctx.now(),
                               present=f != "out", paper={"paper": True, "bot": False}.get(f))
    await hall(query, VoteCb(act="hall", id=callback_data.id, page=callback_data.page), session, actor, ctx)


@router.callback_query(VoteCb.filter(F.act == "open"))
async def open_voting(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    vote = await votes.open_voting(session, actor, callback_data.id, ctx.now(),
                                   votes.Rules.from_settings(ctx.settings), ballot_button)
    text, rows = await session_screen(session, actor, ctx, vote.id)
    await replace(query, _("Voting is open with {present} deputies present; their ballots are on the way.",
                           present=vote.present) + "\n\n" + text, markup(*rows))


@router.callback_query(VoteCb.filter(F.act == "close"))
async def close_voting(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    await votes.close_voting(session, actor, callback_data.id, ctx.now())
    await session.commit()
    await votes.scrub(ctx.db.engine)
    text, rows = await session_screen(session, actor, ctx, callback_data.id)
    await replace(query, _("Voting is closed. Enter the paper tally if any, check the numbers, then confirm.")
                  + "\n\n" + text, markup(*rows))


@router.callback_query(VoteCb.filter(F.act == "paper"))
async def paper_start(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                      state: FSMContext) -> None:
    vote = await votes.get(session, actor, callback_data.id)
    listed = await votes.round_items(session, vote)
    example = "\n".join(["3 0 0"] + [f"{i + 1}. {h(title)}: 2 1" for i, (_item, title) in enumerate(listed)])
    await ask(query, state, StaffForm.paper, _(
        "The paper tally of round {round}, in {lines} lines: first “ballots blank invalid”, then “yes no” for "
        "each candidate in ballot order (the rest are abstentions). For example:\n{example}",
        round=vote.round, lines=len(listed) + 1, example=example), sid=vote.id)


@router.message(StaffForm.paper, TYPED)
async def paper_typed(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    sid = (await state.get_data())["sid"]
    cleaned = "\n".join(line.split(":")[-1] for line in message.text.split("\n"))
    await votes.enter_paper(session, actor, sid, cleaned[:2000], ctx.now())
    await state.clear()
    await show_after(message, session, actor, ctx, sid, _("Paper tally saved."))


@router.callback_query(VoteCb.filter(F.act.in_({"confirm", "unfilled"})))
async def confirm(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                  ctx: AppContext) -> None:
    rules = votes.Rules.from_settings(ctx.settings)
    if callback_data.act == "confirm":
        vote = await votes.confirm(session, actor, callback_data.id, ctx.now(), rules)
    else:
        vote = await votes.finish_unfilled(session, actor, callback_data.id, ctx.now(), rules)
    note = _("Tie at the last slot: run a run-off between the tied candidates, or finish leaving the slot empty.") \
        if vote.status == S.tied else _("The result is confirmed and announced; adopted candidates are projects now.")
    text, rows = await session_screen(session, actor, ctx, vote.id)
    await replace(query, note + "\n\n" + text, markup(*rows))


@router.callback_query(VoteCb.filter(F.act == "runoff"))
async def runoff(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    vote = await votes.runoff(session, actor, callback_data.id, ctx.now(), ballot_button)
    text, rows = await session_screen(session, actor, ctx, vote.id)
    await replace(query, _("Run-off round {round} is open; the deputies present have their ballots.",
                           round=vote.round) + "\n\n" + text, markup(*rows))


@router.callback_query(VoteCb.filter(F.act.in_({"pdf", "xlsx"})))
async def export(query: CallbackQuery, callback_data: VoteCb, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    result = await votes.sheet(session, actor, callback_data.id)
    kind = callback_data.act
    content = vote_export.pdf(result, ctx.settings.tz) if kind == "pdf" else vote_export.xlsx(result, ctx.settings.tz)
    await query.answer()
    await query.message.answer_document(BufferedInputFile(content, filename=vote_export.filename(result, kind)),
                                        caption=_("Result sheet: {meeting}", meeting=h(result.session.meeting)))


@router.message(StateFilter(StaffForm), NOT_COMMAND)
async def unexpected(message: Message) -> None:
    await message.answer(_("Please send your answer as text (or use the buttons above), or send /cancel."))
