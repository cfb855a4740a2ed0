"""Deputies at the congress: their sessions, checking in with the hall's code, the secret ballot,
questions on a candidate before the vote, and the announced results.

The ballot keeps no state on the server: the marks so far are in the pressed button's data,
each press re-draws the same message, and submitting turns it into a receipt that no longer
shows the marks. Every press is checked by the service against the presser's register row.
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, split_text
from bot.keyboards import button, markup
from bot.menu import MenuCb, home_row
from bot.screens import replace
from bot.text import clip, h
from handlers.views.votes import (MARKS_SHAPE, BallotCb, QuestionCb, SeatCb, answer_button, ballot_screen,
                                  review_screen)
from services import counting, votes
from services.auth import Actor
from services.errors import InvalidInput
from services.i18n import N_, _

router = Router(name="ballot")
menu.register("ballot", N_("Vote at the congress"), "decide", ("deputy",), order=40)


class DeputyForm(StatesGroup):
    code = State()
    question = State()


# --- the deputy's sessions -----------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "ballot"))
@router.callback_query(SeatCb.filter(F.act == "list"))
async def my_sessions(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    seats = await votes.my_sessions(session, actor)
    await state.clear()
    lines = [_("<b>Votes at the congress</b>")]
    rows = []
    for seat in seats:
        vote = seat.session
        lines.append(_("{meeting}, {day} · {status}", meeting=h(vote.meeting), day=vote.held_on.isoformat(),
                       status=votes.status_label(vote.status)))
        if seat.may_check_in:
            rows.append([button(_("Check in: {meeting}", meeting=vote.meeting[:40]),
                                SeatCb(act="checkin", id=vote.id))])
        elif seat.may_vote:
            rows.append([button(_("Open my ballot: {meeting}", meeting=vote.meeting[:40]),
                                BallotCb(a="o", s=vote.id, r=vote.round))])
        elif vote.status == votes.S.closed:
            rows.append([button(_("Results: {meeting}", meeting=vote.meeting[:40]),
                                SeatCb(act="results", id=vote.id))])
    if not seats:
        lines.append(_("No vote is prepared for you yet. The briefing will come here before the meeting."))
    await replace(query, clip("\n".join(lines)), markup(*rows, home_row()))


@router.callback_query(SeatCb.filter(F.act == "results"))
async def results(query: CallbackQuery, callback_data: SeatCb, session: AsyncSession, actor: Actor) -> None:
    result = await votes.sheet(session, actor, callback_data.id)
    await replace(query, clip(votes.summary(result)), markup([button(_("« Votes"), SeatCb(act="list"))]))


# --- check-in ----------------------------------------------------------------------------------


@router.callback_query(SeatCb.filter(F.act == "checkin"))
async def checkin_start(query: CallbackQuery, callback_data: SeatCb, session: AsyncSession, actor: Actor,
                        state: FSMContext) -> None:
    seat = await votes.deputy_seat(session, actor, callback_data.id)
    if seat.register.checked_in_at is not None:
        await query.answer(_("You are already checked in."), show_alert=True)
        return
    if not seat.may_check_in:
        await query.answer(_("Check-in is not open for this session."), show_alert=True)
        return
    await ask(query, state, DeputyForm.code, _(
        "Type the {digits}-digit code shown in the hall for {meeting}:", digits=votes.CODE_DIGITS,
        meeting=h(seat.session.meeting)), sid=seat.session.id)


@router.message(DeputyForm.code, TYPED)
async def checkin_code(message: Message, session: AsyncSession, actor: Actor, state: FSMContext,
                       ctx: AppContext) -> None:
    sid = (await state.get_data())["sid"]
    outcome, left = await votes.check_in(session, actor, sid, message.text[:40], ctx.now(),
                                         votes.Rules.from_settings(ctx.settings))
    if outcome == votes.CheckIn.wrong:
        await message.answer(_("That is not the code shown in the hall. Attempts left: {left}. Type it again:",
                               left=left))
        return
    await state.clear()
    if outcome == votes.CheckIn.locked:
        text = _("Too many wrong codes. Please ask the staff in the hall to check you in.")
    elif outcome == votes.CheckIn.already:
        text = _("You are already checked in.")
    else:
        text = _("You are checked in. Your secret ballot will come here when voting opens.")
    await message.answer(text, reply_markup=markup(home_row()))


# --- the ballot --------------------------------------------------------------------------------


def _marks(cb: BallotCb, count: int) -> str:
    if not cb.m:
        return counting.UNMARKED * count
    if not MARKS_SHAPE.fullmatch(cb.m) or len(cb.m) != count:
        raise InvalidInput(N_("This ballot does not match the candidates. Open your ballot again."))
    return cb.m


@router.callback_query(BallotCb.filter(F.a.in_({"o", "m", "e"})))
async def mark(query: CallbackQuery, callback_data: BallotCb, session: AsyncSession, actor: Actor) -> None:
    ballot = await votes.ballot(session, actor, callback_data.s, callback_data.r)
    marks = _marks(callback_data, len(ballot.items))
    if callback_data.a == "m":
        if not 0 <= callback_data.i < len(marks) or callback_data.c not in (counting.YES, counting.NO,
                                                                            counting.ABSTAIN):
            raise InvalidInput(N_("This ballot does not match the candidates. Open your ballot again."))
        chosen = counting.UNMARKED if marks[callback_data.i] == callback_data.c else callback_data.c
        marks = marks[:callback_data.i] + chosen + marks[callback_data.i + 1:]
        if ballot.slots is not None and marks.count(counting.YES) > ballot.slots:
            await query.answer(_("You may vote for at most {slots} candidates.", slots=ballot.slots),
                               show_alert=True)
            return
    text, rows = ballot_screen(ballot, marks)
    await replace(query, text, markup(*rows))


@router.callback_query(BallotCb.filter(F.a == "r"))
async def review(query: CallbackQuery, callback_data: BallotCb, session: AsyncSession, actor: Actor) -> None:
    ballot = await votes.ballot(session, actor, callback_data.s, callback_data.r)
    text, rows = review_screen(ballot, _marks(callback_data, len(ballot.items)))
    await replace(query, text, markup(*rows))


@router.callback_query(BallotCb.filter(F.a == "s"))
async def submit(query: CallbackQuery, callback_data: BallotCb, session: AsyncSession, actor: Actor) -> None:
    if not MARKS_SHAPE.fullmatch(callback_data.m):
        raise InvalidInput(N_("This ballot does not match the candidates. Open your ballot again."))
    await votes.submit(session, actor, callback_data.s, callback_data.r, callback_data.m)
    await session.commit()  # the receipt only once the ballot is safely in
    await replace(query, _("Your ballot has been received and counted. This receipt does not say how you voted; "
                           "nobody can tell."), markup(home_row()))


# --- questions before the vote -----------------------------------------------------------------


@router.callback_query(QuestionCb.filter(F.act == "ask"))
async def question_start(query: CallbackQuery, callback_data: QuestionCb, session: AsyncSession, actor: Actor,
                         state: FSMContext) -> None:
    item, title = await votes.item_for_question(session, actor, callback_data.id)
    await ask(query, state, DeputyForm.question, _(
        "Your question on «{title}». The implementing unit answers, and every deputy sees the question and "
        "the answer:", title=h(title)), iid=item.id)


@router.message(DeputyForm.question, TYPED)
async def question_send(message: Message, session: AsyncSession, actor: Actor, state: FSMContext,
                        ctx: AppContext) -> None:
    if await split_text(message, state, votes.QUESTION_MAX):
        return
    await votes.ask(session, actor, (await state.get_data())["iid"], message.text, ctx.now(), answer_button)
    await state.clear()
    await message.answer(_("Your question has been passed on. The answer will come to every deputy here."),
                         reply_markup=markup(home_row()))


@router.message(StateFilter(DeputyForm), NOT_COMMAND)
async def unexpected(message: Message) -> None:
    await message.answer(_("Please send your answer as text, or send /cancel."))
