"""Staff keep a project's record in the bot: correct its fields, mark it delayed or suspended
(with the reason) or in progress again, and hand it to another department.

Thin: services.projects checks the station, the status and every value, and audits.
Closing a project with its completion report is a filing (handlers.deliver).
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask
from bot.keyboards import Row, button, markup, pager_row, pairs
from bot.menu import home_row
from bot.screens import replace
from bot.text import h
from handlers.views.projects import RecordCb
from models import Department
from models.projects import Project, ProjectStatus
from services import candidates, delivery, directory, projects
from services.auth import Actor
from services.i18n import N_, _

router = Router(name="projects")
router.message.filter(NOT_COMMAND)

PROMPTS = {
    "title": N_("The new title ({max} characters at most):"),
    "summary": N_("The new summary ({max} characters at most):"),
    "budget": N_("The budget in yuan (for example 400000):"),
    "completion": N_("The planned completion date, for example 2026-11-30:"),
}
LIMITS = {"title": projects.TITLE_MAX, "summary": projects.SUMMARY_MAX}
STATUS_BUTTONS = {
    ProjectStatus.delayed: N_("Mark as delayed"),
    ProjectStatus.suspended: N_("Mark as suspended"),
    ProjectStatus.in_progress: N_("In progress again"),
}


class RecordForm(StatesGroup):
    value = State()
    reason = State()


def _open_row(project_id: int) -> Row:
    """Back to the project's page (handlers.deliver packs the same data)."""
    return [InlineKeyboardButton(text=_("Open the project"), callback_data=projects.open_data(project_id))]


def _record_menu(project: Project) -> list[Row]:
    pid = project.id
    rows: list[Row] = [
        [button(_("Edit title"), RecordCb(act="edit", pid=pid, field="title")),
         button(_("Edit summary"), RecordCb(act="edit", pid=pid, field="summary"))],
        [button(_("Edit budget"), RecordCb(act="edit", pid=pid, field="budget")),
         button(_("Edit planned completion"), RecordCb(act="edit", pid=pid, field="completion"))],
        [button(_("Change department"), RecordCb(act="dept", pid=pid))],
    ]
    if project.status != ProjectStatus.plan_due:
        rows.append([button(_(label), RecordCb(act="status", pid=pid, field=status))
                     for status, label in STATUS_BUTTONS.items() if status != project.status])
        rows.append([button(_("Close as completed"), RecordCb(act="done", pid=pid))])
    return rows + [_open_row(pid), home_row()]


def _record_text(project: Project, department: str) -> str:
    lines = [_("<b>Record of {number} «{title}»</b>", number=project.number, title=h(project.title)),
             _("Department: {name}", name=department),
             _("Budget: {amount}", amount=candidates.format_cost(project.budget)),
             _("Planned completion: {day}",
               day=project.planned_completion.isoformat() if project.planned_completion else "-")]
    if project.status_reason:
        lines.append(_("Reason given: {reason}", reason=h(project.status_reason)))
    lines.append(_("What do you change? Every change is recorded with what it replaced."))
    return "\n".join(lines)


async def _department(session: AsyncSession, project: Project) -> str:
    department = await session.get(Department, project.department_id) if project.department_id else None
    return h(department.name) if department else "-"


@router.callback_query(RecordCb.filter(F.act == "menu"))
async def record_menu(query: CallbackQuery, callback_data: RecordCb, session: AsyncSession, actor: Actor,
                      state: FSMContext) -> None:
    await state.clear()
    project = await projects.to_keep(session, actor, callback_data.pid)
    await replace(query, _record_text(project, await _department(session, project)), markup(*_record_menu(project)))


@router.callback_query(RecordCb.filter(F.act == "edit"))
async def start_edit(query: CallbackQuery, callback_data: RecordCb, session: AsyncSession, actor: Actor,
                     state: FSMContext) -> None:
    project = await projects.begin_edit(session, actor, callback_data.pid, callback_data.field)
    await ask(query, state, RecordForm.value, _(PROMPTS[callback_data.field], max=LIMITS.get(callback_data.field, 0)),
              pid=project.id, field=callback_data.field)


@router.message(RecordForm.value, TYPED)
async def edit_value(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                     ctx: AppContext) -> None:
    data = await state.get_data()
    project = await projects.edit(session, actor, data["pid"], data["field"], message.text, ctx.now())
    await state.clear()
    await message.answer(_("Saved.") + "\n\n" + _record_text(project, await _department(session, project)),
                         reply_markup=markup(*_record_menu(project)))


@router.callback_query(RecordCb.filter(F.act == "dept"))
async def change_department(query: CallbackQuery, callback_data: RecordCb, session: AsyncSession, actor: Actor,
                            ctx: AppContext) -> None:
    if callback_data.arg:
        project = await projects.change_department(session, actor, callback_data.pid, callback_data.arg, ctx.now())
        await replace(query, _("Saved: the project is now implemented by {name}; its clerks have been told.",
                               name=await _department(session, project)), markup(*_record_menu(project)))
        return
    project = await projects.to_keep(session, actor, callback_data.pid)
    page = await directory.department_page(session, actor, callback_data.page)
    options = [button(d.name, RecordCb(act="dept", pid=project.id, arg=d.id))
               for d in page.items if d.id != project.department_id]
    await replace(query, _("Which department implements {number} from now on? It takes over what is due, on the "
                           "same dates.", number=project.number), markup(
        *pairs(options), pager_row(page.number, page.has_next,
                                   lambda n: RecordCb(act="dept", pid=project.id, page=n)),
        [button(_("« Back"), RecordCb(act="menu", pid=project.id))]))


@router.callback_query(RecordCb.filter(F.act == "status"))
async def set_status(query: CallbackQuery, callback_data: RecordCb, session: AsyncSession, actor: Actor,
                     state: FSMContext, ctx: AppContext) -> None:
    if callback_data.field == ProjectStatus.in_progress:
        project = await projects.set_status(session, actor, callback_data.pid, ProjectStatus.in_progress, "",
                                            ctx.now())
        await replace(query, _("Saved: {number} is in progress again; its followers have been told.",
                               number=project.number), markup(*_record_menu(project)))
        return
    project = await projects.begin_status(session, actor, callback_data.pid, callback_data.field)
    await ask(query, state, RecordForm.reason, _("Why? The reason is shown to everyone who follows the project "
                                                 "(at most {max} characters).", max=projects.REASON_MAX),
              pid=project.id, status=callback_data.field)


@router.message(RecordForm.reason, TYPED)
async def status_reason(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                        ctx: AppContext) -> None:
    data = await state.get_data()
    project = await projects.set_status(session, actor, data["pid"], data["status"], message.text, ctx.now())
    await state.clear()
    await message.answer(_("Saved: {number} is now {status}; its followers have been told.", number=project.number,
                           status=delivery.status_label(project)),
                         reply_markup=markup(*_record_menu(project)))


@router.message(RecordForm.value)
@router.message(RecordForm.reason)
async def expected_text(message: Message) -> None:
    await message.answer(_("Please send text here, or send /cancel to leave the form."))
