"""The year-end evaluation in the bot: staff open it with a close day, deputies (and residents
following a project, if staff chose so) rate each project with an optional comment, and the
results are published at the close. Thin: every rule is in services.evaluation."""
from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask
from bot.keyboards import Id, button, markup
from bot.menu import MenuCb, home_row
from bot.screens import close_keyboard, replace
from bot.text import clip, h
from handlers.views.dashboard import report_row
from models.evaluations import Answer
from services import delivery, evaluation, verify
from services.auth import Actor, require_whole_office
from services.errors import DomainError
from services.i18n import N_, _

router = Router(name="evaluation")
router.message.filter(NOT_COMMAND)


class EvalCb(CallbackData, prefix="ve"):
    """The evaluation. `list` is also packed by services.evaluation.rate_data."""

    act: str  # list | project | rate | change | skip | new | open | close
    eid: Id = 0
    pid: Id = 0
    a: str = ""


class EvalForm(StatesGroup):
    close_day = State()
    residents = State()


class CommentForm(StatesGroup):
    text = State()


def _year(ctx: AppContext) -> int:
    return ctx.now().astimezone(ctx.settings.tz).year


# --- rating ------------------------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "verify_rate"))
async def rate_menu(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    found = await evaluation.current(session, _year(ctx))
    if found is None or found.closed_at is not None:
        await query.answer(_("No year-end evaluation is open at the moment."), show_alert=True)
        return
    await _list(query, session, actor, ctx, found.id)


@router.callback_query(EvalCb.filter(F.act == "list"))
async def rate_list(query: CallbackQuery, callback_data: EvalCb, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    await _list(query, session, actor, ctx, callback_data.eid)


async def _list(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext, evaluation_id: int,
                note: str = "") -> None:
    allowed = await evaluation.rateable(session, actor, evaluation_id, ctx.now())
    lines = ([note, ""] if note else []) + [
        _("<b>Year-end evaluation of {year}</b>, open until {day}. Rate each project:",
          year=allowed.evaluation.year, day=evaluation.close_day(allowed.evaluation).isoformat())]
    for p in allowed.projects:
        mine = allowed.mine.get(p.id)
        lines.append(_("{project}: {answer}", project=verify.project_label(p), answer=evaluation.answer_label(mine.answer) if mine else _("not rated yet")))
    await replace(query, "\n".join(lines), markup(
        *([button(("✓ " if p.id in allowed.mine else "") + f"{p.number} {p.title}"[:56],
                  EvalCb(act="project", eid=evaluation_id, pid=p.id))] for p in allowed.projects), home_row()))


@router.callback_query(EvalCb.filter(F.act == "project"))
async def rate_project(query: CallbackQuery, callback_data: EvalCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    allowed = await evaluation.rateable(session, actor, callback_data.eid, ctx.now())
    project = next((p for p in allowed.projects if p.id == callback_data.pid), None)
    if project is None:
        await query.answer(_("You are not allowed to do that."), show_alert=True)
        return
    mine = allowed.mine.get(project.id)
    act = "change" if mine else "rate"
    text = _("How satisfied are you with project {number} «{title}»?", number=project.number, title=h(project.title))
    if mine:
        text += "\n" + _("Your rating: {answer}. Change my rating:", answer=evaluation.answer_label(mine.answer))
    await replace(query, text, markup(
        *([button(evaluation.answer_label(a), EvalCb(act=act, eid=callback_data.eid, pid=project.id, a=a.value))]
          for a in Answer),
        [button(_("« All projects"), EvalCb(act="list", eid=callback_data.eid))], home_row()))


@router.callback_query(EvalCb.filter(F.act.in_(("rate", "change"))))
async def rated(query: CallbackQuery, callback_data: EvalCb, session: AsyncSession, actor: Actor, ctx: AppContext,
                state: FSMContext) -> None:
    rating = await evaluation.rate(session, actor, callback_data.eid, callback_data.pid, callback_data.a, ctx.now(),
                                   change=callback_data.act == "change")
    await ask(query, state, CommentForm.text,
              _("Saved: {answer}. Add a comment if you wish (at most {max} characters), or press Skip.",
                answer=evaluation.answer_label(rating.answer), max=evaluation.COMMENT_MAX),
              markup([button(_("Skip"), EvalCb(act="skip", eid=callback_data.eid, pid=callback_data.pid))]),
              eid=callback_data.eid, pid=callback_data.pid)


@router.message(CommentForm.text, TYPED)
async def commented(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    data = await state.get_data()
    await evaluation.comment(session, actor, data["eid"], data["pid"], message.text, ctx.now())
    await state.clear()
    await message.answer(_("Your comment was saved."), reply_markup=markup(
        [button(_("« All projects"), EvalCb(act="list", eid=data["eid"]))], home_row()))


@router.callback_query(EvalCb.filter(F.act == "skip"))
async def skipped(query: CallbackQuery, callback_data: EvalCb, session: AsyncSession, actor: Actor,
                  ctx: AppContext, state: FSMContext) -> None:
    await state.clear()
    await _list(query, session, actor, ctx, callback_data.eid, _("Saved."))


@router.message(CommentForm.text)
async def expected_comment(message: Message) -> None:
    await message.answer(_("Please send text here, or send /cancel to leave the form."))


# --- staff -----------------------------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "verify_evaluation"))
async def staff_screen(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    require_whole_office(actor)
    year = _year(ctx)
    found = await evaluation.current(session, year)
    if found is None:
        await replace(query, _("The year-end evaluation of {year} has not been opened.", year=year), markup(
            [button(_("Open the evaluation"), EvalCb(act="new"))], home_row()))
    elif found.closed_at is None:
        await replace(query, _("The year-end evaluation of {year} is open until {day}: {n} ratings so far.", year=year,
                               day=evaluation.close_day(found).isoformat(), n=await evaluation.counted(session, found.id)),
                      markup([button(_("Close it now and publish"), EvalCb(act="close", eid=found.id))], home_row()))
    else:
        await replace(query, clip(evaluation.render_results(found, await evaluation.results(session, found), 10)),
                      markup(report_row(found.year), home_row()))


@router.callback_query(EvalCb.filter(F.act == "new"))
async def start_open(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require_whole_office(actor)
    await ask(query, state, EvalForm.close_day, _("Until which day may people rate? Send a date, e.g. 2026-12-31."))


@router.message(EvalForm.close_day, TYPED)
async def close_day(message: Message, state: FSMContext, ctx: AppContext) -> None:
    day = delivery.parse_date(message.text)
    if day <= ctx.now().astimezone(ctx.settings.tz).date():
        raise DomainError(N_("The close day must be after today."))
    await state.update_data(day=day.isoformat())
    await state.set_state(EvalForm.residents)
    await message.answer(_("May residents who follow a project rate it too? Their ratings are shown apart from the "
                           "deputies'."), reply_markup=markup(
        [button(_("Yes, deputies and followers"), EvalCb(act="open", a="1"))],
        [button(_("No, deputies only"), EvalCb(act="open", a="0"))]))


@router.callback_query(EvalForm.residents, EvalCb.filter(F.act == "open"))
async def opened(query: CallbackQuery, callback_data: EvalCb, state: FSMContext, session: AsyncSession,
                 actor: Actor, ctx: AppContext) -> None:
    data = await state.get_data()
    found = await evaluation.open_evaluation(session, actor, _year(ctx), date.fromisoformat(data["day"]),
                                             callback_data.a == "1", ctx.now(), ctx.settings.tz)
    await state.clear()
    await close_keyboard(query)
    await query.message.answer(_("The evaluation of {year} is open until {day}; the raters have been told.",
                                 year=found.year, day=data["day"]), reply_markup=markup(home_row()))


@router.callback_query(EvalCb.filter(F.act == "close"))
async def close_now(query: CallbackQuery, callback_data: EvalCb, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    found = await evaluation.close_now(session, actor, callback_data.eid, ctx.now())
    await replace(query, _("Closed. The results were published to the deputies and followers.") + "\n\n" + clip(
        evaluation.render_results(found, await evaluation.results(session, found), 10), 3500),
        markup(report_row(found.year), home_row()))


@router.message(StateFilter(EvalForm.close_day))
async def expected_day(message: Message) -> None:
    await message.answer(_("Please send the close day as a date, e.g. 2026-12-31, or /cancel."))


@router.message(StateFilter(EvalForm.residents))
async def expected_choice(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or send /cancel to leave the form."))


menu.register("verify_rate", N_("Rate this year's projects"), "verify", ("deputy", "resident"), order=30)
menu.register("verify_evaluation", N_("Year-end evaluation"), "verify", ("staff",), order=31)
