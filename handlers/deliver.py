"""Deliver in the bot: departments file plans and quarterly reports, staff accept or send them
back and close a project with its completion report, deputies comment on what was filed and
departments answer, and everyone reads this year's projects.

Thin: every rule and permission is in services.delivery; this module asks, checks each
answer through the service, and renders.
"""
from __future__ import annotations

from datetime import date, datetime

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.albums import chat_turn, tally_album
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, live_prompt, retire_prompt, split_text
from bot.keyboards import Id, Row, button, markup, pager_row
from handlers.views.projects import RecordCb
from bot.menu import MenuCb, home_row
from bot.screens import close_keyboard
from bot.text import clip, h
from models import Role, User
from models.delivery import Filing, FilingKind, FilingStatus
from models.projects import Project, ProjectStatus
from services import delivery, verify
from services.auth import Actor
from services.i18n import N_, _, use_locale

router = Router(name="deliver")
router.message.filter(NOT_COMMAND)
BAR_CELLS = 10
TURNS = ("«", "»")


class ProjectCb(CallbackData, prefix="dp"):
    """An action on one project. `open` is also packed by services.delivery.open_data."""

    act: str  # open | plan | report | follow | unfollow | comment
    pid: Id


class FilingCb(CallbackData, prefix="df"):
    """Staff on one filing. `show` is also packed by services.delivery.review_data."""

    act: str  # show | accept | back
    fid: Id


class CommentCb(CallbackData, prefix="dq"):
    """A deputy's comment: `on` a filing (id: the filing), or the department's `answer` (id: the
    comment; also packed by services.delivery.answer_data)."""

    act: str  # on | answer
    id: Id


class PublicCb(CallbackData, prefix="dl"):
    page: Id = 0


class StepCb(CallbackData, prefix="dw"):
    step: str  # done | skip | send | cancel


class PlanForm(StatesGroup):
    text = State()
    person = State()
    milestones = State()
    files = State()
    confirm = State()


class ReportForm(StatesGroup):
    percent = State()
    reason = State()  # only when the percent goes down
    text = State()
    problems = State()
    photos = State()
    moves = State()
    confirm = State()


class ReturnForm(StatesGroup):
    comment = State()


class CompletionForm(StatesGroup):
    text = State()
    files = State()
    confirm = State()


class FilingCommentForm(StatesGroup):
    text = State()  # a deputy's comment on a filing
    answer = State()  # the department's answer


def _rules(ctx: AppContext) -> delivery.Rules:
    return delivery.Rules.from_settings(ctx.settings)


def _label(project: Project) -> str:
    return _("{number} «{title}»", number=project.number, title=h(project.title))


def bar(percent: int) -> str:
    filled = round(max(0, min(percent, 100)) / 100 * BAR_CELLS)
    return "▓" * filled + "░" * (BAR_CELLS - filled) + f" {percent}%"


def _day(moment: datetime | None, ctx: AppContext) -> str:
    return moment.astimezone(ctx.settings.tz).date().isoformat() if moment else "-"


def _form_buttons(*rows: Row) -> InlineKeyboardMarkup:
    return markup(*rows, [button(_("Cancel"), StepCb(step="cancel"))])


# --- lists ------------------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "deliver_mine"))
async def my_projects(query: CallbackQuery, session: AsyncSession, actor: Actor) -> None:
    projects = await delivery.my_projects(session, actor)
    await query.answer()
    lines = [_("<b>My projects</b>")] + [
        _("{project}: {status}", project=_label(p), status=delivery.status_label(p)) for p in projects
    ] if projects else [_("Your department implements no project at the moment.")]
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(
        *([button(f"{p.number} {p.title}"[:60], ProjectCb(act="open", pid=p.id))] for p in projects), home_row()))


@router.callback_query(MenuCb.filter(F.key == "deliver_public"))
@router.callback_query(PublicCb.filter())
async def this_years(query: CallbackQuery, session: AsyncSession, ctx: AppContext,
                     callback_data: MenuCb | PublicCb) -> None:
    page = callback_data.page if isinstance(callback_data, PublicCb) else 0
    listed, more = await delivery.this_years(session, ctx.now(), _rules(ctx), page)
    await query.answer()
    lines = [_("<b>This year's projects</b>")]
    for item in listed:
        lines += ["", f"<b>{_label(item.project)}</b>",
                  _("{status} · {department}", status=delivery.status_label(item.project), department=item.department),
                  bar(item.project.progress) + " · " + _("last report: {day}", day=_day(item.last_report, ctx))]
    if not listed:
        lines.append(_("No project has been voted for this year yet."))
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(
        *([button(f"{i.project.number} {i.project.title}"[:60], ProjectCb(act="open", pid=i.project.id))]
          for i in listed),
        pager_row(page, more, lambda n: PublicCb(page=n), TURNS), home_row()))


@router.callback_query(MenuCb.filter(F.key == "deliver_review"))
async def to_review(query: CallbackQuery, session: AsyncSession, actor: Actor) -> None:
    waiting = await delivery.to_review(session, actor)
    await query.answer()
    lines = [_("<b>Filings to review</b>, the oldest first:")] + [
        f"{_label(project)} · {h(delivery.filing_name(filing))}" for filing, project in waiting
    ] if waiting else [_("No plan or report is waiting for review.")]
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(
        *([button(f"{project.number} {delivery.filing_name(filing)}"[:60], FilingCb(act="show", fid=filing.id))]
          for filing, project in waiting), home_row()))


# --- one project ----------------------------------------------------------------------------------------


@router.callback_query(ProjectCb.filter(F.act == "open"))
async def open_project(query: CallbackQuery, callback_data: ProjectCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    card = await delivery.card(session, callback_data.pid)
    await query.answer()
    p = card.project
    lines = [f"<b>{_label(p)}</b>",
             _("Department: {name}", name=card.department),
             _("Status: {status}", status=delivery.status_label(p)),
             _("Progress: {bar}", bar=bar(p.progress))]
    if p.planned_completion:
        lines.append(_("Planned completion: {day}", day=p.planned_completion.isoformat()))
    if card.suggestions:
        lines.append(_("From residents' suggestions: {numbers}", numbers=", ".join(card.suggestions[:20])))
    inspected = await verify.public_summary(session, p.id)  # deputies' site visits, without who or where
    if inspected.latest:
        lines.append(_("Site visits: {n}; the latest on {day}: {assessment}", n=inspected.count,
                       day=_day(inspected.latest.created_at, ctx),
                       assessment=verify.assessment_label(inspected.latest.assessment)))
    if card.milestones:
        lines += ["", _("<b>Milestones</b>")] + [f"• {m.due_on.isoformat()} {h(m.title)}" for m in card.milestones]
    plan = card.plan if card.plan and card.plan.status == FilingStatus.accepted else None
    if plan:
        lines += ["", _("<b>Implementation plan</b> (person in charge: {person})", person=h(plan.person_in_charge)),
                  h(plan.text[:800])]
    for report in card.reports:
        lines += ["", _("<b>{quarter}</b>, filed {day}: {percent}% done",
                        quarter=delivery.quarter_label(report.quarter), day=_day(report.filed_at, ctx),
                        percent=report.percent or 0), h(report.text[:500])]
        if report.problems:
            lines.append(_("Problems and help needed: {text}", text=h(report.problems[:300])))
    if card.completion:
        lines += ["", _("<b>Completion report</b>, {day}", day=_day(card.completion.filed_at, ctx)),
                  h(card.completion.text[:800])]
    if card.comments:
        lines += ["", _("<b>Deputies' comments</b>")]
    for item in card.comments:
        lines.append(_("{deputy} on the {filing}: {text}", deputy=item.deputy, filing=h(delivery.filing_name(item.filing)),
                       text=h(item.row.text[:300])))
        lines.append("↳ " + (_("Answer: {text}", text=h(item.row.answer[:300])) if item.row.answer is not None
                             else _("waiting for the department's answer")))
    following = await delivery.is_following(session, actor, p.id)
    rows: list[Row] = [[button(_("Stop following") if following else _("Follow its progress"),
                               ProjectCb(act="unfollow" if following else "follow", pid=p.id))]]
    if p.department_id in actor.department_ids:
        if p.status == ProjectStatus.plan_due:
            rows.append([button(_("File the implementation plan"), ProjectCb(act="plan", pid=p.id))])
        elif p.status in delivery.OPEN:
            rows.append([button(_("File the progress report"), ProjectCb(act="report", pid=p.id))])
    if actor.has(Role.deputy) and p.status != ProjectStatus.plan_due:
        rows.append([button(_("Comment or ask the department"), ProjectCb(act="comment", pid=p.id))])
    if actor.serves(p.station_id) and p.status != ProjectStatus.completed:
        rows.append([button(_("Keep the record"), RecordCb(act="menu", pid=p.id))])
    # The plan's files and the latest report's photos first: the page with its buttons comes last.
    for document in (a for a in (plan.attachments if plan else []) if a["kind"] == "document"):
        await query.message.answer_document(document["file_id"], caption=h(document["name"]))
    photos = [a for a in (card.reports[0].attachments if card.reports else []) if a["kind"] == "photo"]
    if photos:
        await query.message.answer_media_group([InputMediaPhoto(media=a["file_id"]) for a in photos])
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(
        *rows, [button(_("This year's projects"), MenuCb(key="deliver_public"))], home_row()))


@router.callback_query(ProjectCb.filter(F.act.in_(("follow", "unfollow"))))
async def follow(query: CallbackQuery, callback_data: ProjectCb, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    on = await delivery.follow(session, actor, callback_data.pid, callback_data.act == "follow", ctx.now())
    await close_keyboard(query)
    await query.message.answer(_("You now follow this project: each accepted plan and report reaches you here.")
                               if on else _("You no longer follow this project."),
                               reply_markup=markup([button(_("Open the project"),
                                                           ProjectCb(act="open", pid=callback_data.pid))],
                                                   home_row()))


# --- the plan -----------------------------------------------------------------------------------------------


@router.callback_query(ProjectCb.filter(F.act == "plan"))
async def start_plan(query: CallbackQuery, callback_data: ProjectCb, session: AsyncSession, actor: Actor,
                     state: FSMContext) -> None:
    project = await delivery.begin_plan(session, actor, callback_data.pid)
    await ask(query, state, PlanForm.text,
              _("Implementation plan of {project}. Send the plan as text: what will be done, how, and with what "
                "money (at most {max} characters).", project=_label(project), max=delivery.TEXT_MAX),
              pid=project.id, attachments=[])


@router.message(PlanForm.text, TYPED)
async def plan_text(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, delivery.TEXT_MAX):
        return
    await state.update_data(text=delivery.clean_text(message.text))
    await state.set_state(PlanForm.person)
    await message.answer(_("Who is the person in charge? Send a name and position."))


@router.message(PlanForm.person, TYPED)
async def plan_person(message: Message, state: FSMContext) -> None:
    await state.update_data(person=delivery.clean_person(message.text))
    await state.set_state(PlanForm.milestones)
    await message.answer(_("Send the milestones, one a line: a date, then what is done by then. For example:\n"
                           "2026-06-30 Poles installed\n2026-09-30 Lights working"))


@router.message(PlanForm.milestones, TYPED)
async def plan_milestones(message: Message, state: FSMContext, ctx: AppContext) -> None:
    if await split_text(message, state, delivery.TEXT_MAX):
        return
    milestones = delivery.parse_milestones(message.text, ctx.now().astimezone(ctx.settings.tz).date())
    await state.update_data(milestones=[[title, day.isoformat()] for title, day in milestones])
    await state.set_state(PlanForm.files)
    await live_prompt(message.bot, state, await message.answer(
        _("You may attach the plan as a PDF (at most 20 MB) and photos. Send them now, or press Done."),
        reply_markup=_form_buttons([button(_("Done"), StepCb(step="done"))])))


@router.message(StateFilter(PlanForm.files, CompletionForm.files), F.document)
async def plan_document(message: Message, state: FSMContext) -> None:
    document = message.document
    item = delivery.check_document(document.file_name, document.mime_type, document.file_size)
    data = await state.get_data()
    attachments = [*data.get("attachments", []), {**item, "file_id": document.file_id}]
    if sum(a["kind"] == "document" for a in attachments) > delivery.DOCUMENTS_MAX:
        await message.answer(_("A filing holds at most {max} files.", max=delivery.DOCUMENTS_MAX))
        return
    await state.update_data(attachments=attachments)
    await live_prompt(message.bot, state, await message.answer(
        _("Attached: {name}. Send more, or press Done.", name=h(item["name"])),
        reply_markup=_form_buttons([button(_("Done"), StepCb(step="done"))])))


@router.message(StateFilter(PlanForm.files, ReportForm.photos, CompletionForm.files), F.photo)
async def got_photo(message: Message, state: FSMContext, bot: Bot, user: User,
                    dispatcher: Dispatcher) -> None:
    data = await state.get_data()
    attachments = data.get("attachments", [])
    kept = sum(a["kind"] == "photo" for a in attachments) < delivery.PHOTOS_MAX
    if kept:
        attachments.append({"kind": "photo", "file_id": message.photo[-1].file_id, "name": ""})
        await state.update_data(attachments=attachments)

    async def report(kept_count: int, refused: int) -> None:
        with use_locale(user.locale):
            count = sum(a["kind"] == "photo" for a in (await state.get_data()).get("attachments", []))
            lines = [_("Photos saved: {count} of {max}.", count=count, max=delivery.PHOTOS_MAX)]
            if refused:
                lines.append(_("{refused} more photos were not added: at most {max} photos.",
                               refused=refused, max=delivery.PHOTOS_MAX))
            lines.append(_("Send more, or press Done."))
            await live_prompt(bot, state, await bot.send_message(
                message.chat.id, "\n".join(lines), reply_markup=_form_buttons([button(_("Done"), StepCb(step="done"))])))

    if message.media_group_id:
        tally_album((message.chat.id, message.media_group_id), kept, report, chat_turn(dispatcher, state))
    else:
        await report(int(kept), int(not kept))


@router.callback_query(PlanForm.files, StepCb.filter(F.step == "done"))
async def plan_files_done(query: CallbackQuery, state: FSMContext) -> None:
    await close_keyboard(query)
    await retire_prompt(query.bot, state)  # an older prompt was pressed: the newest goes too
    await state.set_state(PlanForm.confirm)
    data = await state.get_data()
    lines = [_("Please check the plan:"), "", h(data["text"][:2000]), "",
             _("Person in charge: {person}", person=h(data["person"])), _("<b>Milestones</b>")]
    lines += [f"• {day} {h(title)}" for title, day in data["milestones"]]
    lines.append(_("Attachments: {n}", n=len(data.get("attachments", []))))
    await query.message.answer(clip("\n".join(lines)), reply_markup=_form_buttons(
        [button(_("Submit"), StepCb(step="send"))]))


@router.callback_query(PlanForm.confirm, StepCb.filter(F.step == "send"))
async def plan_send(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    data = await state.get_data()
    draft = delivery.PlanDraft(data["text"], data["person"],
                               [(title, date.fromisoformat(day)) for title, day in data["milestones"]],
                               data.get("attachments", []))
    await delivery.submit_plan(session, actor, data["pid"], draft, ctx.now(), _rules(ctx))
    await state.clear()
    await close_keyboard(query)
    await query.message.answer(_("The plan was sent to the congress office for review."),
                               reply_markup=markup(home_row()))


# --- the quarterly report -------------------------------------------------------------------------------------


@router.callback_query(ProjectCb.filter(F.act == "report"))
async def start_report(query: CallbackQuery, callback_data: ProjectCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    project, filing, milestones = await delivery.begin_report(session, actor, callback_data.pid)
    head = _("Progress report for {quarter} on {project}.", quarter=delivery.quarter_label(filing.quarter),
             project=_label(project))
    if filing.status in (FilingStatus.submitted, FilingStatus.accepted):
        head += "\n" + _("This quarter was reported already: what you send now corrects that report.")
    await ask(query, state, ReportForm.percent,
              head + "\n" + _("How much is done, in percent (0 to 100)? Last accepted: {percent}%.",
                              percent=project.progress),
              pid=project.id, previous=project.progress, attachments=[],
              milestones=[[m.id, m.due_on.isoformat(), m.title] for m in milestones])


@router.message(ReportForm.percent, TYPED)
async def report_percent(message: Message, state: FSMContext) -> None:
    percent = delivery.check_percent(message.text)
    data = await state.get_data()
    await state.update_data(percent=percent)
    if percent < data["previous"]:
        await state.set_state(ReportForm.reason)
        await message.answer(_("That is less than the {previous}% accepted before. Why did it go down?",
                               previous=data["previous"]))
        return
    await _ask_done(message, state)


@router.message(ReportForm.reason, TYPED)
async def report_reason(message: Message, state: FSMContext) -> None:
    await state.update_data(reason=delivery.clean_text(message.text, delivery.REASON_MAX))
    await _ask_done(message, state)


async def _ask_done(message: Message, state: FSMContext) -> None:
    await state.set_state(ReportForm.text)
    await message.answer(_("What was done this quarter? (at most {max} characters)", max=delivery.TEXT_MAX))


@router.message(ReportForm.text, TYPED)
async def report_text(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, delivery.TEXT_MAX):
        return
    await state.update_data(text=delivery.clean_text(message.text))
    await state.set_state(ReportForm.problems)
    await message.answer(_("Any problems, or help needed from the congress or other departments? Send them, "
                           "or press Skip."), reply_markup=_form_buttons([button(_("Skip"), StepCb(step="skip"))]))


@router.message(ReportForm.problems, TYPED)
async def report_problems(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, delivery.TEXT_MAX):
        return
    await state.update_data(problems=delivery.clean_text(message.text))
    await _ask_photos(message, state)


@router.callback_query(ReportForm.problems, StepCb.filter(F.step == "skip"))
async def report_no_problems(query: CallbackQuery, state: FSMContext) -> None:
    await close_keyboard(query)
    await _ask_photos(query.message, state)


async def _ask_photos(message: Message, state: FSMContext) -> None:
    await state.set_state(ReportForm.photos)
    await live_prompt(message.bot, state, await message.answer(
        _("Send photos of the work (up to {max}, an album is fine), or press Done.", max=delivery.PHOTOS_MAX),
        reply_markup=_form_buttons([button(_("Done"), StepCb(step="done"))])))


@router.callback_query(ReportForm.photos, StepCb.filter(F.step == "done"))
async def report_photos_done(query: CallbackQuery, state: FSMContext) -> None:
    await close_keyboard(query)
    await retire_prompt(query.bot, state)  # an older prompt was pressed: the newest goes too
    data = await state.get_data()
    if not data["milestones"]:
        await _confirm_report(query.message, state)
        return
    await state.set_state(ReportForm.moves)
    lines = [_("Did a milestone's date move? Send one a line: its number, the new date, and the reason, "
               "e.g. «1 2026-10-31 rain delayed the works». Or press Skip.")]
    lines += [f"{n}. {day} {h(title)}" for n, (_id, day, title) in enumerate(data["milestones"], 1)]
    await query.message.answer("\n".join(lines), reply_markup=_form_buttons([button(_("Skip"), StepCb(step="skip"))]))


@router.message(ReportForm.moves, TYPED)
async def report_moves(message: Message, state: FSMContext, ctx: AppContext) -> None:
    data = await state.get_data()
    moves = delivery.parse_moves(message.text, [m[0] for m in data["milestones"]],
                                 ctx.now().astimezone(ctx.settings.tz).date())
    await state.update_data(moves=[[m.milestone_id, m.due_on.isoformat(), m.reason] for m in moves])
    await _confirm_report(message, state)


@router.callback_query(ReportForm.moves, StepCb.filter(F.step == "skip"))
async def report_no_moves(query: CallbackQuery, state: FSMContext) -> None:
    await close_keyboard(query)
    await _confirm_report(query.message, state)


async def _confirm_report(message: Message, state: FSMContext) -> None:
    await state.set_state(ReportForm.confirm)
    data = await state.get_data()
    lines = [_("Please check the report:"), "", _("Done: {percent}%", percent=data["percent"]), "",
             h(data["text"][:2000])]
    if data.get("problems"):
        lines += ["", _("Problems and help needed: {text}", text=h(data["problems"][:1000]))]
    lines.append(_("Photos: {n}", n=len(data.get("attachments", []))))
    names = {m[0]: m[2] for m in data["milestones"]}
    lines += [_("Moved: {milestone} to {day} ({reason})", milestone=h(names.get(mid, "")), day=day, reason=h(why))
              for mid, day, why in data.get("moves", [])]
    await message.answer(clip("\n".join(lines)), reply_markup=_form_buttons([button(_("Submit"), StepCb(step="send"))]))


@router.callback_query(ReportForm.confirm, StepCb.filter(F.step == "send"))
async def report_send(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    data = await state.get_data()
    draft = delivery.ReportDraft(
        percent=data["percent"], text=data["text"], problems=data.get("problems", ""),
        percent_reason=data.get("reason", ""), photos=data.get("attachments", []),
        moves=[delivery.MilestoneMove(mid, date.fromisoformat(day), why) for mid, day, why in data.get("moves", [])])
    filing = await delivery.submit_report(session, actor, data["pid"], draft, ctx.now(), _rules(ctx))
    await state.clear()
    await close_keyboard(query)
    text = _("The report was sent to the congress office for review.")
    if filing.corrections:
        text += "\n" + _("It is recorded as a correction of the report filed before.")
    await query.message.answer(text, reply_markup=markup(home_row()))


# --- staff review -------------------------------------------------------------------------------------------------


@router.callback_query(FilingCb.filter(F.act == "show"))
async def show_filing(query: CallbackQuery, callback_data: FilingCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    filing, project = await delivery.filing_to_review(session, actor, callback_data.fid)
    await query.answer()
    lines = [f"<b>{_label(project)}</b>", h(delivery.filing_name(filing)),
             _("Status: {status}", status=_(delivery.FILING_LABELS[FilingStatus(filing.status)])),
             _("Filed on {day}", day=_day(filing.filed_at, ctx)), ""]
    if filing.corrections:
        lines.append(_("A correction of the report accepted before."))
    if filing.kind == FilingKind.plan:
        lines += [h(filing.text), "", _("Person in charge: {person}", person=h(filing.person_in_charge)),
                  _("<b>Milestones</b>")] + [f"• {m['due_on']} {h(m['title'])}" for m in filing.milestones]
    else:
        lines += [_("Done: {percent}%", percent=filing.percent or 0), h(filing.text)]
        if filing.percent_reason:
            lines.append(_("Why it went down: {reason}", reason=h(filing.percent_reason)))
        if filing.problems:
            lines.append(_("Problems and help needed: {text}", text=h(filing.problems)))
        lines += [_("Moved: milestone {id} to {day} ({reason})", id=m["milestone_id"], day=m["due_on"],
                    reason=h(m["reason"])) for m in filing.milestones]
    lines.append(_("Attachments: {n}", n=len(filing.attachments)))
    rows = [[button(_("Accept"), FilingCb(act="accept", fid=filing.id)),
             button(_("Send back"), FilingCb(act="back", fid=filing.id))]] \
        if filing.status == FilingStatus.submitted else []
    for item in filing.attachments:
        if item["kind"] == "document":
            await query.message.answer_document(item["file_id"], caption=h(item["name"]))
    photos = [item for item in filing.attachments if item["kind"] == "photo"]
    if photos:
        await query.message.answer_media_group([InputMediaPhoto(media=a["file_id"]) for a in photos])
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(*rows, home_row()))


@router.callback_query(FilingCb.filter(F.act == "accept"))
async def accept(query: CallbackQuery, callback_data: FilingCb, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    filing = await delivery.review(session, actor, callback_data.fid, True, ctx.now(), _rules(ctx))
    await close_keyboard(query)
    await query.message.answer(_("Accepted: the {filing}. The department has been told.",
                                 filing=h(delivery.filing_name(filing))), reply_markup=markup(home_row()))


@router.callback_query(FilingCb.filter(F.act == "back"))
async def start_send_back(query: CallbackQuery, callback_data: FilingCb, session: AsyncSession, actor: Actor,
                          state: FSMContext) -> None:
    filing, _project = await delivery.filing_to_review(session, actor, callback_data.fid)
    await ask(query, state, ReturnForm.comment,
              _("Why does it go back? Your comment is sent to the department (at most {max} characters).",
                max=delivery.COMMENT_MAX), fid=filing.id)


@router.message(ReturnForm.comment, TYPED)
async def send_back(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                    ctx: AppContext) -> None:
    data = await state.get_data()
    filing = await delivery.review(session, actor, data["fid"], False, ctx.now(), _rules(ctx), comment=message.text)
    await state.clear()
    await message.answer(_("Sent back: the {filing}. The department has been told why.",
                           filing=h(delivery.filing_name(filing))), reply_markup=markup(home_row()))


# --- the completion report ---------------------------------------------------------------------------------------


@router.callback_query(RecordCb.filter(F.act == "done"))
async def start_completion(query: CallbackQuery, callback_data: RecordCb, session: AsyncSession, actor: Actor,
                           state: FSMContext) -> None:
    project = await delivery.begin_completion(session, actor, callback_data.pid)
    await ask(query, state, CompletionForm.text,
              _("Closing {project} as completed. Send the completion report: what was built, what it cost, and "
                "what residents now have (at most {max} characters).", project=_label(project),
                max=delivery.TEXT_MAX), pid=project.id, attachments=[])


@router.message(CompletionForm.text, TYPED)
async def completion_text(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, delivery.TEXT_MAX):
        return
    await state.update_data(text=delivery.clean_text(message.text))
    await state.set_state(CompletionForm.files)
    await live_prompt(message.bot, state, await message.answer(
        _("You may attach the report as a PDF (at most 20 MB) and photos of the finished work. "
          "Send them now, or press Done."),
        reply_markup=_form_buttons([button(_("Done"), StepCb(step="done"))])))


@router.callback_query(CompletionForm.files, StepCb.filter(F.step == "done"))
async def completion_files_done(query: CallbackQuery, state: FSMContext) -> None:
    await close_keyboard(query)
    await retire_prompt(query.bot, state)  # an older prompt was pressed: the newest goes too
    await state.set_state(CompletionForm.confirm)
    data = await state.get_data()
    lines = [_("Please check the completion report. Once sent, the project is closed and the quarterly reports "
               "stop:"), "", h(data["text"][:2000]), "",
             _("Attachments: {n}", n=len(data.get("attachments", [])))]
    await query.message.answer(clip("\n".join(lines)), reply_markup=_form_buttons(
        [button(_("Close the project"), StepCb(step="send"))]))


@router.callback_query(CompletionForm.confirm, StepCb.filter(F.step == "send"))
async def completion_send(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor,
                          ctx: AppContext) -> None:
    data = await state.get_data()
    await delivery.complete(session, actor, data["pid"], data["text"], data.get("attachments", []), ctx.now())
    await state.clear()
    await close_keyboard(query)
    await query.message.answer(_("The project is closed as completed. Its followers, deputies and department have "
                                 "been told."), reply_markup=markup(
        [button(_("Open the project"), ProjectCb(act="open", pid=data["pid"]))], home_row()))


# --- deputies' comments and the department's answers ----------------------------------------------------------


@router.callback_query(ProjectCb.filter(F.act == "comment"))
async def choose_filing(query: CallbackQuery, callback_data: ProjectCb, session: AsyncSession, actor: Actor,
                        state: FSMContext) -> None:
    project, filings = await delivery.commentable(session, actor, callback_data.pid)
    if len(filings) == 1:
        await _ask_comment(query, state, project, filings[0])
        return
    await query.answer()
    await query.message.answer(_("On which filing of {project}?", project=_label(project)), reply_markup=markup(
        *([button(delivery.filing_name(f), CommentCb(act="on", id=f.id))] for f in filings),
        [button(_("Open the project"), ProjectCb(act="open", pid=project.id))]))


@router.callback_query(CommentCb.filter(F.act == "on"))
async def comment_on(query: CallbackQuery, callback_data: CommentCb, session: AsyncSession, actor: Actor,
                     state: FSMContext) -> None:
    project, filing = await delivery.filing_to_comment(session, actor, callback_data.id)
    await _ask_comment(query, state, project, filing)


async def _ask_comment(query: CallbackQuery, state: FSMContext, project: Project, filing: Filing) -> None:
    await ask(query, state, FilingCommentForm.text,
              _("Your comment or question on the {filing} of {project}, for the department (at most {max} "
                "characters):", filing=h(delivery.filing_name(filing)), project=_label(project),
                max=delivery.COMMENT_MAX), fid=filing.id)


@router.message(FilingCommentForm.text, TYPED)
async def comment_text(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    data = await state.get_data()
    row = await delivery.comment(session, actor, data["fid"], message.text, ctx.now())
    await state.clear()
    await message.answer(_("Sent to the department. Its answer will reach you here, and both are shown on the "
                           "project's page."), reply_markup=markup(
        [button(_("Open the project"), ProjectCb(act="open", pid=row.project_id))], home_row()))


@router.callback_query(CommentCb.filter(F.act == "answer"))
async def start_answer(query: CallbackQuery, callback_data: CommentCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    row, project = await delivery.comment_to_answer(session, actor, callback_data.id)
    await ask(query, state, FilingCommentForm.answer,
              _("Your answer to the deputy's comment on {project}:\n«{text}»\n(at most {max} characters)",
                project=_label(project), text=h(row.text[:500]), max=delivery.COMMENT_MAX), cid=row.id)


@router.message(FilingCommentForm.answer, TYPED)
async def answer_text(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    data = await state.get_data()
    row = await delivery.answer(session, actor, data["cid"], message.text, ctx.now())
    await state.clear()
    await message.answer(_("Your answer was sent to the deputy and is shown on the project's page."),
                         reply_markup=markup([button(_("Open the project"),
                                                     ProjectCb(act="open", pid=row.project_id))], home_row()))


# --- leaving a form, and what else arrives in one --------------------------------------------------------------


@router.callback_query(StateFilter(PlanForm, ReportForm, CompletionForm), StepCb.filter(F.step == "cancel"))
async def cancel_form(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await close_keyboard(query)
    await query.message.answer(_("Cancelled. Nothing was saved."), reply_markup=markup(home_row()))


@router.message(StateFilter(PlanForm.files, CompletionForm.files))
async def expected_file(message: Message) -> None:
    await message.answer(_("Please send a PDF or photos, or press Done."))


@router.message(ReportForm.photos)
async def expected_photo(message: Message) -> None:
    await message.answer(_("Please send photos, or press Done."))


@router.message(StateFilter(PlanForm.confirm, ReportForm.confirm, CompletionForm.confirm))
async def expected_button(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or send /cancel to leave the form."))


@router.message(StateFilter(PlanForm.text, PlanForm.person, PlanForm.milestones, ReportForm.percent,
                            ReportForm.reason, ReportForm.text, ReportForm.problems, ReportForm.moves,
                            ReturnForm.comment, CompletionForm.text, FilingCommentForm.text, FilingCommentForm.answer))
async def expected_text(message: Message) -> None:
    await message.answer(_("Please send text here, or send /cancel to leave the form."))


menu.register("deliver_public", N_("This year's projects"), "deliver", ("resident",), order=10)
menu.register("deliver_mine", N_("My projects"), "deliver", ("department",), order=15)
menu.register("deliver_review", N_("Plans and reports to review"), "deliver", ("staff",), order=16)
