"""Verify in the bot: staff assign each project's supervising group, deputies see the projects
they supervise and file site-visit reports from the field, the department answers the issues
raised, and the group, the department and staff read the reports.

Thin: every rule and permission is in services.verify; this module asks, checks each answer
through the service, and renders. The report form lives in the FSM storage (the database or
Redis), so a deputy who loses the connection on site continues where they were, days later.
"""
from __future__ import annotations

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, KeyboardButton, Message,
                           ReplyKeyboardMarkup, ReplyKeyboardRemove)
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.albums import chat_turn, tally_album
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, live_prompt, retire_prompt, split_text
from bot.keyboards import Id, Row, button, markup, page_line, pager_row
from bot.menu import MenuCb, home_row
from bot.screens import close_keyboard, replace
from bot.text import clip, h
from models import User
from models.inspections import Assessment, SiteVisit
from models.projects import Project
from services import delivery, projects, verify
from services.auth import Actor
from services.i18n import N_, _, use_locale

router = Router(name="verify")
router.message.filter(NOT_COMMAND)
STEPS = ("photos", "location", "findings", "assessment", "issues")


class GroupCb(CallbackData, prefix="vg"):
    """Staff on a project's supervising group."""

    act: str  # list | open | pick | add | leader | remove
    pid: Id = 0
    did: Id = 0
    page: Id = 0


class VisitProjectCb(CallbackData, prefix="vp"):
    """A project seen from Verify. `file` and `mine` are also packed by services.verify."""

    act: str  # mine | any | open | file | reports
    pid: Id = 0
    page: Id = 0


class VisitCb(CallbackData, prefix="vv"):
    """One site-visit report. `show` is also packed by services.verify.visit_data."""

    act: str  # show | answer
    vid: Id


class VisitStepCb(CallbackData, prefix="vw"):
    step: str  # done | skip | assess | edit | send | cancel
    value: str = ""


class VisitForm(StatesGroup):
    photos = State()
    location = State()
    findings = State()
    assessment = State()
    issues = State()
    confirm = State()


class AnswerForm(StatesGroup):
    text = State()


def _rules(ctx: AppContext) -> verify.Rules:
    return verify.Rules.from_settings(ctx.settings)


def _label(project: Project) -> str:
    return verify.project_label(project)


def _day(visit: SiteVisit, ctx: AppContext) -> str:
    return visit.created_at.astimezone(ctx.settings.tz).date().isoformat()


def _form_buttons(*rows: Row) -> InlineKeyboardMarkup:
    return markup(*rows, [button(_("Cancel"), VisitStepCb(step="cancel"))])


# --- staff: supervising groups ----------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "verify_groups"))
@router.callback_query(GroupCb.filter(F.act == "list"))
async def group_projects(query: CallbackQuery, session: AsyncSession, actor: Actor,
                         callback_data: MenuCb | GroupCb) -> None:
    page = callback_data.page if isinstance(callback_data, GroupCb) else 0
    projects, more = await verify.managed_projects(session, actor, page)
    counts = {p.id: len(await verify.group(session, p.id)) for p in projects}
    lines = [_("<b>Supervising groups</b>: choose a project.")]
    lines += [_("{project}: {n} deputies", project=_label(p), n=counts[p.id]) for p in projects] or [
        _("No project of your stations is under way.")]
    await replace(query, "\n".join(lines), markup(
        *([button(f"{p.number} {p.title}"[:60], GroupCb(act="open", pid=p.id))] for p in projects),
        pager_row(page, more, lambda n: GroupCb(act="list", page=n)), home_row()))


async def _group_screen(query: CallbackQuery, session: AsyncSession, actor: Actor, project_id: int,
                        note: str = "") -> None:
    project = await verify.project_to_manage(session, actor, project_id)
    members = await verify.group(session, project.id)
    lines = ([note, ""] if note else []) + [_("<b>Supervising group</b> of {project}", project=_label(project))]
    lines += [("★ " if m.leader else "• ") + h(m.deputy.name) + (" " + _("(leader)") if m.leader else "")
              for m in members] or [_("No deputy is in the group yet.")]
    rows: list[Row] = []
    for m in members:
        row = [button(_("Remove {name}", name=m.deputy.name)[:40],
                      GroupCb(act="remove", pid=project.id, did=m.deputy.id))]
        if not m.leader:
            row.insert(0, button(_("★ {name} leads", name=m.deputy.name)[:40],
                                 GroupCb(act="leader", pid=project.id, did=m.deputy.id)))
        rows.append(row)
    await replace(query, "\n".join(lines), markup(
        [button(_("Add a deputy"), GroupCb(act="pick", pid=project.id))], *rows,
        [button(_("« Projects"), GroupCb(act="list"))], home_row()))


@router.callback_query(GroupCb.filter(F.act == "open"))
async def open_group(query: CallbackQuery, callback_data: GroupCb, session: AsyncSession, actor: Actor) -> None:
    await _group_screen(query, session, actor, callback_data.pid)


@router.callback_query(GroupCb.filter(F.act == "pick"))
async def pick_deputy(query: CallbackQuery, callback_data: GroupCb, session: AsyncSession, actor: Actor) -> None:
    project = await verify.project_to_manage(session, actor, callback_data.pid)
    page = await verify.candidates_page(session, actor, project.id, callback_data.page)
    lines = [_("Which deputy joins the supervising group of {project}?", project=_label(project)), page_line(page)]
    if not page.items:
        lines.append(_("No other active deputy is on record for your stations."))
    await replace(query, "\n".join(line for line in lines if line), markup(
        *([button(d.name[:40], GroupCb(act="add", pid=project.id, did=d.id))] for d in page.items),
        pager_row(page.number, page.has_next, lambda n: GroupCb(act="pick", pid=project.id, page=n)),
        [button(_("« The group"), GroupCb(act="open", pid=project.id))], home_row()))


@router.callback_query(GroupCb.filter(F.act == "add"))
async def add_member(query: CallbackQuery, callback_data: GroupCb, session: AsyncSession, actor: Actor,
                     ctx: AppContext) -> None:
    member = await verify.add_member(session, actor, callback_data.pid, callback_data.did, ctx.now())
    await _group_screen(query, session, actor, callback_data.pid,
                        _("{name} joined the group.", name=h(member.deputy.name)))


@router.callback_query(GroupCb.filter(F.act == "leader"))
async def set_leader(query: CallbackQuery, callback_data: GroupCb, session: AsyncSession, actor: Actor) -> None:
    await verify.set_leader(session, actor, callback_data.pid, callback_data.did)
    await _group_screen(query, session, actor, callback_data.pid, _("The group has a new leader."))


@router.callback_query(GroupCb.filter(F.act == "remove"))
async def remove_member(query: CallbackQuery, callback_data: GroupCb, session: AsyncSession, actor: Actor) -> None:
    await verify.remove_member(session, actor, callback_data.pid, callback_data.did)
    await _group_screen(query, session, actor, callback_data.pid, _("Removed from the group."))


# --- deputies: projects ------------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "verify_mine"))
@router.callback_query(VisitProjectCb.filter(F.act == "mine"))
async def my_supervised(query: CallbackQuery, session: AsyncSession, actor: Actor) -> None:
    projects = await verify.supervised(session, actor)
    await query.answer()
    lines = [_("<b>My supervised projects</b>")] + [
        _("{project}: {status}", project=_label(p), status=delivery.status_label(p))
        + (" · " + _("group leader") if leader else "") for p, leader in projects
    ] if projects else [_("You are in no project's supervising group yet. You may still file a site-visit "
                          "report on any project.")]
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(
        *([button(f"{p.number} {p.title}"[:60], VisitProjectCb(act="open", pid=p.id))] for p, _l in projects),
        [button(_("File a site-visit report"), MenuCb(key="verify_visit"))], home_row()))


@router.callback_query(MenuCb.filter(F.key == "verify_visit"))
async def choose_project(query: CallbackQuery, session: AsyncSession, actor: Actor) -> None:
    projects = await verify.supervised(session, actor)
    await query.answer()
    await query.message.answer(_("Which project did you inspect? Your supervised projects first, or any project."),
                               reply_markup=markup(
        *([button(f"{p.number} {p.title}"[:60], VisitProjectCb(act="file", pid=p.id))] for p, _l in projects),
        [button(_("Any project…"), VisitProjectCb(act="any"))], home_row()))


@router.callback_query(VisitProjectCb.filter(F.act == "any"))
async def any_project(query: CallbackQuery, callback_data: VisitProjectCb, session: AsyncSession,
                      actor: Actor) -> None:
    projects, more = await verify.reportable(session, actor, callback_data.page)
    await replace(query, _("Which project did you inspect?") if projects else _("No project is on record yet."),
                  markup(*([button(f"{p.number} {p.title}"[:60], VisitProjectCb(act="file", pid=p.id))]
                           for p in projects),
                         pager_row(callback_data.page, more, lambda n: VisitProjectCb(act="any", page=n)),
                         home_row()))


@router.callback_query(VisitProjectCb.filter(F.act == "open"))
async def open_project(query: CallbackQuery, callback_data: VisitProjectCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    card = await delivery.card(session, callback_data.pid)
    project = card.project
    members = await verify.group(session, project.id)
    summary = await verify.public_summary(session, project.id)
    lines = [f"<b>{_label(project)}</b>", _("Department: {name}", name=card.department),
             _("Status: {status}", status=delivery.status_label(project)) + f" · {project.progress}%",
             _("Supervising group: {names}", names=", ".join(
                 h(m.deputy.name) + (" ★" if m.leader else "") for m in members) or "-")]
    if summary.latest:
        lines.append(_("Site visits: {n}; the latest on {day}: {assessment}", n=summary.count,
                       day=_day(summary.latest, ctx), assessment=verify.assessment_label(summary.latest.assessment)))
    rows: list[Row] = []
    if actor.deputy_id is not None:
        rows.append([button(_("File a site-visit report"), VisitProjectCb(act="file", pid=project.id))])
    if await verify.may_read(session, actor, project):
        rows.append([button(_("Site-visit reports"), VisitProjectCb(act="reports", pid=project.id))])
    if actor.serves(project.station_id):
        rows.append([button(_("Supervising group"), GroupCb(act="open", pid=project.id))])
    await query.answer()
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(*rows, home_row()))


@router.callback_query(VisitProjectCb.filter(F.act == "reports"))
async def project_reports(query: CallbackQuery, callback_data: VisitProjectCb, session: AsyncSession, actor: Actor,
                          ctx: AppContext) -> None:
    project, visits = await verify.visits_of(session, actor, callback_data.pid)
    await query.answer()
    lines = [_("<b>Site-visit reports</b> on {project}, the latest first:", project=_label(project))]
    names = {m.deputy.id: m.deputy.name for m in await verify.group(session, project.id)}
    for visit in visits:
        flags = (" ⚠️" if visit.assessment == Assessment.problem else "") + (" 📍?" if visit.far else "")
        lines.append(f"• {_day(visit, ctx)} · {h(names.get(visit.deputy_id, '#' + str(visit.deputy_id)))} · "
                     f"{verify.assessment_label(visit.assessment)}{flags}")
    if not visits:
        lines.append(_("No site-visit report yet."))
    await query.message.answer(clip("\n".join(lines)), reply_markup=markup(
        *([button(f"{_day(v, ctx)} {verify.assessment_label(v.assessment)}"[:60], VisitCb(act="show", vid=v.id))]
          for v in visits), home_row()))


# --- one report ----------------------------------------------------------------------------------------------


def _visit_lines(view: verify.VisitView, ctx: AppContext) -> list[str]:
    visit = view.visit
    lines = [_("<b>Site-visit report</b> on {project}", project=_label(view.project)),
             _("By deputy {name} on {day}", name=view.deputy, day=_day(visit, ctx)),
             _("Assessment: {assessment}", assessment=verify.assessment_label(visit.assessment))]
    if visit.distance_m is not None:
        lines.append(_("⚠️ Sent {distance} from the project's site: farther than {max}.",
                       distance=verify.distance_text(visit.distance_m),
                       max=verify.distance_text(_rules(ctx).max_distance_m)) if visit.far else
                     _("Sent {distance} from the project's site.", distance=verify.distance_text(visit.distance_m)))
    elif visit.latitude is None:
        lines.append(_("Sent without a location."))
    lines += ["", _("<b>Findings</b>"), h(visit.findings)]
    if visit.issues:
        lines += ["", _("<b>Issues raised</b>"), h(visit.issues)]
        lines += ["", _("<b>The department's answer</b> ({day})", day=visit.answered_at.astimezone(
            ctx.settings.tz).date().isoformat()), h(visit.answer)] if visit.answered_at else [
            _("The department has not answered yet.")]
    lines.append(_("Photos: {n}", n=len(visit.photos)))
    return lines


@router.callback_query(VisitCb.filter(F.act == "show"))
async def show_visit(query: CallbackQuery, callback_data: VisitCb, session: AsyncSession, actor: Actor,
                     ctx: AppContext) -> None:
    view = await verify.visit_for(session, actor, callback_data.vid)
    await query.answer()
    photos = view.visit.photos
    if photos:  # the album first, captions kept: the page with its buttons comes last
        await query.message.answer_media_group([InputMediaPhoto(media=p["file_id"], caption=p["caption"] or None)
                                                for p in photos])
    rows = [[button(_("Answer the issues"), VisitCb(act="answer", vid=view.visit.id))]] if view.answerable else []
    await query.message.answer(clip("\n".join(_visit_lines(view, ctx))), reply_markup=markup(
        *rows, [button(_("Open the project"), VisitProjectCb(act="open", pid=view.project.id))], home_row()))


@router.callback_query(VisitCb.filter(F.act == "answer"))
async def start_answer(query: CallbackQuery, callback_data: VisitCb, session: AsyncSession, actor: Actor,
                       state: FSMContext) -> None:
    view = await verify.visit_for(session, actor, callback_data.vid)
    if not view.answerable:
        await query.answer(_("Only the department's clerks answer these issues, once."), show_alert=True)
        return
    await ask(query, state, AnswerForm.text,
              _("Your answer to the issues deputy {name} raised on {project} (at most {max} characters). The deputy, "
                "the group and the station's staff will read it.", name=view.deputy, project=_label(view.project),
                max=verify.ANSWER_MAX), vid=view.visit.id)


@router.message(AnswerForm.text, TYPED)
async def send_answer(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    if await split_text(message, state, verify.ANSWER_MAX):
        return
    data = await state.get_data()
    await verify.answer_issues(session, actor, data["vid"], message.text, ctx.now())
    await state.clear()
    await message.answer(_("Your answer was sent to the deputy, the group and the station's staff."),
                         reply_markup=markup(home_row()))


# --- the site-visit report form ---------------------------------------------------------------------------------


@router.callback_query(VisitProjectCb.filter(F.act == "file"))
async def start_visit(query: CallbackQuery, callback_data: VisitProjectCb, session: AsyncSession, actor: Actor,
                      state: FSMContext) -> None:
    project = await verify.begin_visit(session, actor, callback_data.pid)
    await live_prompt(query.bot, state, await ask(
        query, state, VisitForm.photos,
        _("Site-visit report on {project}.", project=_label(project)) + "\n" + _photos_prompt(),
        _form_buttons([button(_("Done"), VisitStepCb(step="done"))]), pid=project.id, photos=[]))


def _photos_prompt() -> str:
    return _("Send 1 to {max} photos from the site, as an album or one by one; a caption under a photo is kept "
             "with it. Then press Done.", max=verify.PHOTOS_MAX)


async def _ask(step: str, message: Message, state: FSMContext) -> None:
    """Ask one step of the form (also when the preview sends the deputy back to change it)."""
    await state.set_state(getattr(VisitForm, step))
    if step == "photos":
        await state.update_data(photos=[])
        await live_prompt(message.bot, state, await message.answer(
            _photos_prompt(), reply_markup=_form_buttons([button(_("Done"), VisitStepCb(step="done"))])))
    elif step == "location":
        keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=_("📍 Send my location"), request_location=True)],
                                                 [KeyboardButton(text=_("Without location"))]],
                                       resize_keyboard=True, one_time_keyboard=True)
        await message.answer(_("Where are you? Press «📍 Send my location» below (it records how far you are from "
                               "the project's site), or «Without location»."), reply_markup=keyboard)
    elif step == "findings":
        await message.answer(_("What did you find on site? (at most {max} characters)", max=verify.FINDINGS_MAX))
    elif step == "assessment":
        await message.answer(_("Your assessment of the project:"), reply_markup=_form_buttons(
            [button(verify.assessment_label(a), VisitStepCb(step="assess", value=a.value)) for a in Assessment]))
    elif step == "issues":
        await message.answer(_("Any issues to raise with the department? They are sent to it and to the station's "
                               "staff, and the department answers in the bot. Send them, or press Skip."),
                             reply_markup=_form_buttons([button(_("Skip"), VisitStepCb(step="skip"))]))


async def _next(step: str, message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext) -> None:
    """After a step: the next one, or straight back to the preview when the deputy was changing this one."""
    data = await state.get_data()
    following = STEPS.index(step) + 1
    if data.get("editing") or following == len(STEPS):
        await _preview(message, state, session, ctx)
    else:
        await _ask(STEPS[following], message, state)


@router.message(VisitForm.photos, F.photo)
async def got_photo(message: Message, state: FSMContext, bot: Bot, user: User,
                    dispatcher: Dispatcher) -> None:
    data = await state.get_data()
    photos = data.get("photos", [])
    kept = len(photos) < verify.PHOTOS_MAX
    if kept:
        photos.append([message.photo[-1].file_id, verify.clean_caption(message.caption)])
        await state.update_data(photos=photos)

    async def report(kept_count: int, refused: int) -> None:
        with use_locale(user.locale):
            count = len((await state.get_data()).get("photos", []))
            lines = [_("Photos saved: {count} of {max}.", count=count, max=verify.PHOTOS_MAX)]
            if refused:
                lines.append(_("{refused} more photos were not added: at most {max} photos.",
                               refused=refused, max=verify.PHOTOS_MAX))
            lines.append(_("Send more, or press Done."))
            await live_prompt(bot, state, await bot.send_message(
                message.chat.id, "\n".join(lines),
                reply_markup=_form_buttons([button(_("Done"), VisitStepCb(step="done"))])))

    if message.media_group_id:
        tally_album((message.chat.id, message.media_group_id), kept, report, chat_turn(dispatcher, state))
    else:
        await report(int(kept), int(not kept))


@router.callback_query(VisitForm.photos, VisitStepCb.filter(F.step == "done"))
async def photos_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, ctx: AppContext) -> None:
    if not (await state.get_data()).get("photos"):
        await query.answer(_("Please send at least one photo from the site first."), show_alert=True)
        return
    await close_keyboard(query)
    await retire_prompt(query.bot, state)  # an older prompt was pressed: the newest goes too
    await _next("photos", query.message, state, session, ctx)


@router.message(VisitForm.location, F.location)
async def got_location(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext) -> None:
    data = await state.get_data()
    latitude, longitude = verify.clean_location(message.location.latitude, message.location.longitude)
    await state.update_data(lat=latitude, lon=longitude)
    distance = await verify.distance_from_site(session, data["pid"], latitude, longitude, _rules(ctx))
    if distance is None:
        text = _("Location received. The project has no site on record, so no distance is recorded.")
    elif distance.far:
        text = _("⚠️ Location received: you are {distance} from the project's site, farther than {max}. The report "
                 "will say so.", distance=verify.distance_text(distance.metres),
                 max=verify.distance_text(_rules(ctx).max_distance_m))
    else:
        text = _("Location received: you are {distance} from the project's site.",
                 distance=verify.distance_text(distance.metres))
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    await _next("location", message, state, session, ctx)


@router.message(VisitForm.location, TYPED)
async def typed_location(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext) -> None:
    if message.text.strip() != _("Without location"):
        await message.answer(_("Please press «📍 Send my location» below, or «Without location»."))
        return
    await state.update_data(lat=None, lon=None)
    await message.answer(_("The report will be sent without a location."), reply_markup=ReplyKeyboardRemove())
    await _next("location", message, state, session, ctx)


# The typed steps: what each keeps, its limit, and the service's check.
TEXT_STEPS = {VisitForm.findings.state: ("findings", verify.FINDINGS_MAX, verify.clean_findings),
              VisitForm.issues.state: ("issues", verify.ISSUES_MAX, verify.clean_issues)}


@router.message(StateFilter(VisitForm.findings, VisitForm.issues), TYPED)
async def got_text(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext) -> None:
    step, limit, clean = TEXT_STEPS[await state.get_state()]
    if await split_text(message, state, limit):
        return
    await state.update_data({step: clean(message.text)})
    await _next(step, message, state, session, ctx)


@router.callback_query(VisitForm.assessment, VisitStepCb.filter(F.step == "assess"))
async def got_assessment(query: CallbackQuery, callback_data: VisitStepCb, state: FSMContext,
                         session: AsyncSession, ctx: AppContext) -> None:
    await state.update_data(assessment=verify.clean_assessment(callback_data.value))
    await close_keyboard(query)
    await _next("assessment", query.message, state, session, ctx)


@router.callback_query(VisitForm.issues, VisitStepCb.filter(F.step == "skip"))
async def no_issues(query: CallbackQuery, state: FSMContext, session: AsyncSession, ctx: AppContext) -> None:
    await state.update_data(issues="")
    await close_keyboard(query)
    await _next("issues", query.message, state, session, ctx)


EDIT_LABELS = {
    "photos": N_("Change the photos"),
    "location": N_("Change the location"),
    "findings": N_("Change the findings"),
    "assessment": N_("Change the assessment"),
    "issues": N_("Change the issues"),
}


async def _preview(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext) -> None:
    await state.set_state(VisitForm.confirm)
    await state.update_data(editing=False)
    data = await state.get_data()
    project = await projects.get(session, data["pid"])
    lines = [_("Please check your site-visit report on {project}:", project=_label(project)), "",
             _("Photos: {n}", n=len(data["photos"]))]
    lines += [f"  {n}. {h(caption)}" for n, (_file, caption) in enumerate(data["photos"], 1) if caption]
    if data.get("lat") is None:
        lines.append(_("Location: none"))
    else:
        distance = await verify.distance_from_site(session, project.id, data["lat"], data["lon"], _rules(ctx))
        lines.append(_("Location: sent") if distance is None else _("Location: {distance} from the site{flag}",
                     distance=verify.distance_text(distance.metres), flag=" ⚠️" if distance.far else ""))
    lines += [_("Assessment: {assessment}", assessment=verify.assessment_label(data["assessment"])), "",
              _("<b>Findings</b>"), h(data["findings"])]
    if data.get("issues"):
        lines += ["", _("<b>Issues raised</b>"), h(data["issues"])]
    else:
        lines.append(_("Issues raised: none"))
    edits = [button(_(label), VisitStepCb(step="edit", value=step)) for step, label in EDIT_LABELS.items()]
    await message.answer(clip("\n".join(lines)), reply_markup=_form_buttons(
        [button(_("Submit"), VisitStepCb(step="send"))], *([b] for b in edits)))


@router.callback_query(VisitForm.confirm, VisitStepCb.filter(F.step == "edit"))
async def edit_step(query: CallbackQuery, callback_data: VisitStepCb, state: FSMContext) -> None:
    if callback_data.value not in STEPS:
        await query.answer(_("This button is no longer valid. Open the menu again with /menu."), show_alert=True)
        return
    await close_keyboard(query)
    await state.update_data(editing=True)
    await _ask(callback_data.value, query.message, state)


@router.callback_query(VisitForm.confirm, VisitStepCb.filter(F.step == "send"))
async def send_visit(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor,
                     ctx: AppContext) -> None:
    data = await state.get_data()
    draft = verify.VisitDraft(photos=[(file_id, caption) for file_id, caption in data["photos"]],
                              findings=data["findings"], assessment=data["assessment"], issues=data.get("issues", ""),
                              latitude=data.get("lat"), longitude=data.get("lon"))
    visit = await verify.submit_visit(session, actor, data["pid"], draft, ctx.now(), _rules(ctx))
    await state.clear()
    await close_keyboard(query)
    text = _("Your site-visit report was filed. The supervising group can read it.")
    if visit.issues:
        text += "\n" + _("The issues you raised went to the department and the station's staff; you will hear its "
                         "answer here.")
    await query.message.answer(text, reply_markup=markup(
        [button(_("Open the report"), VisitCb(act="show", vid=visit.id))], home_row()))


# --- leaving the form, and what else arrives in it ---------------------------------------------------------------


@router.callback_query(StateFilter(VisitForm, AnswerForm), VisitStepCb.filter(F.step == "cancel"))
async def cancel_form(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await close_keyboard(query)
    await query.message.answer(_("Cancelled. Nothing was saved."), reply_markup=ReplyKeyboardRemove())
    await query.message.answer(_("Back to the menu?"), reply_markup=markup(home_row()))


@router.message(VisitForm.photos)
async def expected_photo(message: Message) -> None:
    await message.answer(_("Please send photos, or press Done."))


@router.message(VisitForm.location)
async def expected_location(message: Message) -> None:
    await message.answer(_("Please press «📍 Send my location» below, or «Without location»."))


@router.message(StateFilter(VisitForm.assessment, VisitForm.confirm))
async def expected_button(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or send /cancel to leave the form."))


@router.message(StateFilter(VisitForm.findings, VisitForm.issues, AnswerForm.text))
async def expected_text(message: Message) -> None:
    await message.answer(_("Please send text here, or send /cancel to leave the form."))


menu.register("verify_mine", N_("My supervised projects"), "verify", ("deputy",), order=10)
menu.register("verify_visit", N_("File a site-visit report"), "verify", ("deputy",), order=11)
menu.register("verify_groups", N_("Supervising groups"), "verify", ("staff",), order=20)
