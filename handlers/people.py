"""People and stations, the staff side: invites, stations, deputies, import, roles.

Every button and form step calls a service that checks the actor; the menu being
hidden from residents is a courtesy, not the protection. Navigating with a button
leaves any form of this area (see `LeaveForm`), so a later text is not taken as a
stale form's answer.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Awaitable, Callable, NamedTuple, TypeVar

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot import commands, menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask
from bot.keyboards import Id, Row, UserId, button, markup, page_line, pager_row
from bot.menu import MenuCb, home_row
from bot.screens import replace
from bot.text import clip, h
from models import Deputy, Invite, Role, Station, User
from services import directory, invites, people
from services.auth import Actor, load_actor, require, require_whole_office
from services.directory import Page
from services.errors import InvalidInput
from services.i18n import N_, _

router = Router(name="people")
menu.register("people", N_("People and stations"), "office", ("staff",), order=10)

IMPORT_MAX_BYTES = 2 * 1024 * 1024
BAD_ROWS_SHOWN = 30
T = TypeVar("T")


class InviteCb(CallbackData, prefix="pi"):
    step: str  # roles | deputies | depts | newdept | make | open | revoke
    role: str = ""
    id: Id = 0
    page: Id = 0


class StationCb(CallbackData, prefix="ps"):
    act: str  # list | open | add | skiparea | rename
    id: Id = 0
    page: Id = 0


class DeputyCb(CallbackData, prefix="pd"):
    act: str  # list | filter | open | add | edit | clear | level | setlevel | station | setstation | active | import
    id: Id = 0
    page: Id = 0
    station: Id = 0  # the list's station filter (0: all), kept so "back" returns to it
    value: str = ""


class RoleCb(CallbackData, prefix="pr"):
    act: str  # list | open | ask | revoke
    user: UserId = 0
    role: str = ""
    page: Id = 0


class StationForm(StatesGroup):
    name = State()
    area = State()
    rename = State()


class DeputyForm(StatesGroup):
    name = State()
    field = State()  # data: deputy_id, field (name | phone | hours), station


class InviteForm(StatesGroup):
    department = State()


class ImportForm(StatesGroup):
    file = State()


TEXT_STATES = (StationForm.name, StationForm.area, StationForm.rename, DeputyForm.name, DeputyForm.field,
               InviteForm.department)
DEPUTY_TEXT_FIELDS = {"name": "name", "phone": "phone", "hours": "reception_hours"}


class LeaveForm(BaseMiddleware):
    """A button of this area leaves the area's form, unless its handler is flagged `keeps_form`."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        if state is not None and not get_flag(data, "keeps_form"):
            await state.clear()
        return await handler(event, data)


router.callback_query.middleware(LeaveForm())


# --- rendering helpers ---------------------------------------------------------------------------


def hub_button() -> InlineKeyboardButton:
    return button(_("« People and stations"), MenuCb(key="people"))


def paged(page: Page[T], item: Callable[[T], InlineKeyboardButton], turn: Callable[[int], CallbackData],
          *extra: Row) -> InlineKeyboardMarkup:
    """One button per item, then ‹ › to turn the page, then the extra rows."""
    return markup(*([item(x)] for x in page.items), pager_row(page.number, page.has_next, turn), *extra)


def lines(*parts: str) -> str:
    return clip("\n".join(part for part in parts if part))


class Screen(NamedTuple):
    text: str
    keyboard: InlineKeyboardMarkup | None = None


async def show(query: CallbackQuery, screen: Screen) -> None:
    await replace(query, screen.text, screen.keyboard)


async def reply(message: Message, screen: Screen) -> None:
    await message.answer(screen.text, reply_markup=screen.keyboard)


# --- the hub -------------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "people"))
async def hub(query: CallbackQuery, actor: Actor) -> None:
    require(actor, Role.staff)
    await show(query, Screen(
        _("<b>People and stations</b>\nInvite deputies, departments and staff; keep stations and deputies up to date."),
        markup(
            [button(_("Invite"), InviteCb(step="roles")), button(_("Open invites"), InviteCb(step="open"))],
            [button(_("Stations"), StationCb(act="list")), button(_("Deputies"), DeputyCb(act="list"))],
            [button(_("Import deputies"), DeputyCb(act="import")), button(_("Roles"), RoleCb(act="list"))],
            home_row(),
        )))


# --- invites -------------------------------------------------------------------------------------


@router.callback_query(InviteCb.filter(F.step == "roles"))
async def invite_roles(query: CallbackQuery, actor: Actor) -> None:
    require(actor, Role.staff)
    staff_row = [button(_("Congress staff"), InviteCb(step="make", role=Role.staff))] if actor.has(Role.admin) else []
    await show(query, Screen(_("Whom do you want to invite?"), markup(
        [button(_("A deputy"), InviteCb(step="deputies"))],
        [button(_("An implementing department"), InviteCb(step="depts"))],
        staff_row,
        [hub_button()],
    )))


@router.callback_query(InviteCb.filter(F.step == "deputies"))
async def invite_pick_deputy(query: CallbackQuery, callback_data: InviteCb, session: AsyncSession,
                             actor: Actor) -> None:
    page = await directory.deputy_page(session, actor, callback_data.page, without_account=True)
    await show(query, Screen(
        lines(_("Which deputy is the invite for? Deputies who have not joined yet:"), page_line(page)),
        paged(page, lambda d: button(d.name, InviteCb(step="make", role=Role.deputy, id=d.id)),
              lambda n: InviteCb(step="deputies", page=n),
              [button(_("New deputy record"), InviteCb(step="make", role=Role.deputy))],
              [button(_("« Back"), InviteCb(step="roles"))])))


@router.callback_query(InviteCb.filter(F.step == "depts"))
async def invite_pick_department(query: CallbackQuery, callback_data: InviteCb, session: AsyncSession,
                                 actor: Actor) -> None:
    page = await directory.department_page(session, actor, callback_data.page)
    await show(query, Screen(
        lines(_("Which implementing department is the invite for?"), page_line(page)),
        paged(page, lambda d: button(d.name, InviteCb(step="make", role=Role.department, id=d.id)),
              lambda n: InviteCb(step="depts", page=n),
              [button(_("New department…"), InviteCb(step="newdept"))],
              [button(_("« Back"), InviteCb(step="roles"))])))


@router.callback_query(InviteCb.filter(F.step == "newdept"))
async def invite_new_department(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require_whole_office(actor)
    await ask(query, state, InviteForm.department,
              _("Send the name of the implementing department (for example, the county transport bureau)."))


@router.message(InviteForm.department, TYPED)
async def invite_department_named(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                                  state: FSMContext) -> None:
    department = await directory.ensure_department(session, actor, message.text)
    new = await invites.create(session, actor, Role.department, ttl_days=ctx.settings.invite_ttl_days,
                               department_id=department.id, now=ctx.now())
    await state.clear()
    await reply(message, invite_message(ctx, new, department.name))


@router.callback_query(InviteCb.filter(F.step == "make"))
async def invite_make(query: CallbackQuery, callback_data: InviteCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    if callback_data.role not in invites.INVITABLE:
        raise InvalidInput()
    role = Role(callback_data.role)
    deputy_id = callback_data.id if role == Role.deputy and callback_data.id else None
    department_id = callback_data.id if role == Role.department else None
    new = await invites.create(session, actor, role, ttl_days=ctx.settings.invite_ttl_days, deputy_id=deputy_id,
                               department_id=department_id, now=ctx.now())
    subject = (await invites.subjects(session, [new.invite])).get(new.invite.id)
    await show(query, invite_message(ctx, new, subject))


def invite_label(invite: Invite, subject: str | None) -> str:
    role = _(people.ROLE_NAMES[invite.role])
    return f"{role} · {h(subject)}" if subject else role


def invite_message(ctx: AppContext, new: invites.NewInvite, subject: str | None) -> Screen:
    text = lines(
        _("<b>Invite: {who}</b>", who=invite_label(new.invite, subject)),
        ctx.deep_link(new.payload),
        _("The link works once, until {until} ({zone}). Send it privately to the person it is for.",
          until=ctx.local_time(new.invite.expires_at), zone=ctx.settings.timezone),
    )
    return Screen(text, markup([button(_("Withdraw this invite"), InviteCb(step="revoke", id=new.invite.id))],
                               [hub_button()]))


@router.callback_query(InviteCb.filter(F.step == "open"))
async def invite_list(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    items = await invites.open_invites(session, actor, now=ctx.now())
    subjects = await invites.subjects(session, items)
    if not items:
        await show(query, Screen(_("No invites are open."),
                                 markup([button(_("Invite"), InviteCb(step="roles"))], [hub_button()])))
        return
    listing = [_("{number}. {who} — until {until}", number=n, who=invite_label(i, subjects.get(i.id)),
                 until=ctx.local_time(i.expires_at)) for n, i in enumerate(items, start=1)]
    rows = [[button(_("Withdraw {number}", number=n), InviteCb(step="revoke", id=i.id))]
            for n, i in enumerate(items, start=1)]
    await show(query, Screen(lines(_("<b>Open invites</b> (unused and not expired):"), *listing),
                             markup(*rows, [hub_button()])))


@router.callback_query(InviteCb.filter(F.step == "revoke"))
async def invite_revoke(query: CallbackQuery, callback_data: InviteCb, session: AsyncSession, actor: Actor,
                        ctx: AppContext) -> None:
    invite = await invites.revoke(session, actor, callback_data.id, now=ctx.now())
    subject = (await invites.subjects(session, [invite])).get(invite.id)
    await show(query, Screen(_("Invite withdrawn: {who}. Its link no longer works.", who=invite_label(invite, subject)),
                             markup([button(_("Open invites"), InviteCb(step="open"))], [hub_button()])))


# --- stations ------------------------------------------------------------------------------------


def station_card(station: Station, deputies: int) -> Screen:
    text = lines(
        f"<b>{h(station.name)}</b>",
        _("Area: {area}", area=h(station.area)) if station.area else "",
        _("Active deputies: {count}", count=deputies),
    )
    return Screen(text, markup(
        [button(_("Rename"), StationCb(act="rename", id=station.id)),
         button(_("Its deputies"), DeputyCb(act="list", station=station.id))],
        [button(_("« Stations"), StationCb(act="list"))],
    ))


async def station_card_for(session: AsyncSession, station: Station) -> Screen:
    return station_card(station, await directory.count_station_deputies(session, station.id))


@router.callback_query(StationCb.filter(F.act == "list"))
async def station_list(query: CallbackQuery, callback_data: StationCb, session: AsyncSession, actor: Actor) -> None:
    page = await directory.station_page(session, actor, callback_data.page)
    heading = _("<b>Stations</b> ({count})", count=page.total) if page.total else _("No stations yet.")
    await show(query, Screen(lines(heading, page_line(page)), paged(
        page, lambda s: button(s.name, StationCb(act="open", id=s.id)), lambda n: StationCb(act="list", page=n),
        [button(_("Add a station"), StationCb(act="add"))], [hub_button()])))


@router.callback_query(StationCb.filter(F.act == "open"))
async def station_open(query: CallbackQuery, callback_data: StationCb, session: AsyncSession, actor: Actor) -> None:
    station = await directory.get_station(session, actor, callback_data.id)
    await show(query, await station_card_for(session, station))


@router.callback_query(StationCb.filter(F.act == "add"))
async def station_add(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require_whole_office(actor)
    await ask(query, state, StationForm.name,
              _("Send the name of the new station (a deputy home, liaison station or studio)."))


@router.message(StationForm.name, TYPED)
async def station_named(message: Message, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    require(actor, Role.staff)
    name = await directory.check_station_name(session, message.text)
    await state.set_state(StationForm.area)
    await state.update_data(name=name)
    await message.answer(_("Which area does it serve (villages, community or street)? Send it, or press Skip."),
                         reply_markup=markup([button(_("Skip"), StationCb(act="skiparea"))]))


@router.message(StationForm.area, TYPED)
async def station_area(message: Message, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    await reply(message, await add_station(session, actor, state, message.text))


@router.callback_query(StationForm.area, StationCb.filter(F.act == "skiparea"), flags={"keeps_form": True})
async def station_skip_area(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    await query.answer()
    await reply(query.message, await add_station(session, actor, state, ""))


async def add_station(session: AsyncSession, actor: Actor, state: FSMContext, area: str) -> Screen:
    data = await state.get_data()
    station = await directory.add_station(session, actor, data.get("name", ""), area)
    await state.clear()
    return station_card(station, 0)


@router.callback_query(StationCb.filter(F.act == "rename"))
async def station_rename(query: CallbackQuery, callback_data: StationCb, session: AsyncSession, actor: Actor,
                         state: FSMContext) -> None:
    station = await directory.station_to_edit(session, actor, callback_data.id)
    await ask(query, state, StationForm.rename, _("Send the new name for {name}.", name=h(station.name)),
              station_id=station.id)


@router.message(StationForm.rename, TYPED)
async def station_renamed(message: Message, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    station_id = (await state.get_data()).get("station_id", 0)
    station = await directory.rename_station(session, actor, station_id, message.text)
    await state.clear()
    await reply(message, await station_card_for(session, station))


# --- deputies ------------------------------------------------------------------------------------


async def deputy_card(session: AsyncSession, deputy: Deputy, station_filter: int = 0) -> Screen:
    station = await session.get(Station, deputy.station_id) if deputy.station_id else None
    text = lines(
        f"<b>{h(deputy.name)}</b>",
        _("Level: {level}", level=directory.level_label(deputy.level)),
        _("Station: {station}", station=h(station.name) if station else _("none")),
        _("Phone: {phone}", phone=h(deputy.phone or "—")),
        _("Reception hours: {hours}", hours=h(deputy.reception_hours or "—")),
        _("Joined the bot: yes") if deputy.user_id else _("Joined the bot: not yet"),
        "" if deputy.active else _("<b>Deactivated</b>: hidden from residents, no deputy role."),
    )

    def act(name: str, value: str = "") -> DeputyCb:
        return DeputyCb(act=name, id=deputy.id, station=station_filter, value=value)

    invite_row = ([button(_("Invite to the bot"), InviteCb(step="make", role=Role.deputy, id=deputy.id))]
                  if deputy.active and deputy.user_id is None else [])
    return Screen(text, markup(
        [button(_("Name"), act("edit", "name")), button(_("Level"), act("level")),
         button(_("Station"), act("station"))],
        [button(_("Phone"), act("edit", "phone")), button(_("Reception hours"), act("edit", "hours"))],
        [button(_("Deactivate"), act("active", "0")) if deputy.active else button(_("Reactivate"), act("active", "1"))],
        invite_row,
        [button(_("« Deputies"), DeputyCb(act="list", station=station_filter))],
    ))


@router.callback_query(DeputyCb.filter(F.act == "list"))
async def deputy_list(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor) -> None:
    station_id = callback_data.station or None
    page = await directory.deputy_page(session, actor, callback_data.page, station_id=station_id)
    where = (await directory.get_station(session, actor, station_id)).name if station_id else None
    heading = (_("<b>Deputies of {station}</b> ({count})", station=h(where), count=page.total) if where
               else _("<b>Deputies</b> ({count})", count=page.total))

    def label(d: Deputy) -> str:
        return d.name if d.active else _("{name} (deactivated)", name=d.name)

    await show(query, Screen(lines(heading, page_line(page)), paged(
        page, lambda d: button(label(d), DeputyCb(act="open", id=d.id, station=callback_data.station)),
        lambda n: DeputyCb(act="list", page=n, station=callback_data.station),
        [button(_("Filter by station"), DeputyCb(act="filter")), button(_("Add a deputy"), DeputyCb(act="add"))],
        [hub_button()],
    )))


@router.callback_query(DeputyCb.filter(F.act == "filter"))
async def deputy_filter(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor) -> None:
    page = await directory.station_page(session, actor, callback_data.page)
    await show(query, Screen(lines(_("Show the deputies of which station?"), page_line(page)), paged(
        page, lambda s: button(s.name, DeputyCb(act="list", station=s.id)),
        lambda n: DeputyCb(act="filter", page=n),
        [button(_("All stations"), DeputyCb(act="list"))],
    )))


@router.callback_query(DeputyCb.filter(F.act == "open"))
async def deputy_open(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor) -> None:
    deputy = await directory.get_deputy(session, actor, callback_data.id)
    await show(query, await deputy_card(session, deputy, callback_data.station))


@router.callback_query(DeputyCb.filter(F.act == "add"))
async def deputy_add(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require(actor, Role.staff)
    await ask(query, state, DeputyForm.name,
              _("Send the full name of the new deputy. You can set level, station and phone next."))


@router.message(DeputyForm.name, TYPED)
async def deputy_named(message: Message, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    deputy = await directory.add_deputy(session, actor, directory.DeputyFields(message.text))
    await state.clear()
    await reply(message, await deputy_card(session, deputy))


EDIT_PROMPTS = {
    "name": N_("Send the new name of {name}."),
    "phone": N_("Send the phone number of {name}."),
    "hours": N_("Send the reception hours of {name} "
                "(for example: first Tuesday of each month, 9:00–11:30, at the station)."),
}


@router.callback_query(DeputyCb.filter(F.act == "edit"))
async def deputy_edit(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor,
                      state: FSMContext) -> None:
    if callback_data.value not in DEPUTY_TEXT_FIELDS:
        raise InvalidInput()
    deputy = await directory.get_deputy(session, actor, callback_data.id)
    clear_row = ([button(_("Remove it"), DeputyCb(act="clear", id=deputy.id, station=callback_data.station,
                                                 value=callback_data.value))]
                 if callback_data.value != "name" else [])
    await ask(query, state, DeputyForm.field, _(EDIT_PROMPTS[callback_data.value], name=h(deputy.name)),
              markup(clear_row), deputy_id=deputy.id, field=callback_data.value, station=callback_data.station)


@router.message(DeputyForm.field, TYPED)
async def deputy_field_sent(message: Message, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    field = DEPUTY_TEXT_FIELDS[data.get("field", "name")]
    deputy = await directory.edit_deputy(session, actor, data.get("deputy_id", 0), **{field: message.text})
    await state.clear()
    card = await deputy_card(session, deputy, data.get("station", 0))
    await reply(message, card._replace(text=_("Saved.") + "\n\n" + card.text))


async def save_and_show(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor,
                        **changes: object) -> None:
    deputy = await directory.edit_deputy(session, actor, callback_data.id, **changes)
    await show(query, await deputy_card(session, deputy, callback_data.station))


@router.callback_query(DeputyCb.filter(F.act == "clear"))
async def deputy_clear(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor) -> None:
    if callback_data.value not in ("phone", "hours"):
        raise InvalidInput()
    await save_and_show(query, callback_data, session, actor, **{DEPUTY_TEXT_FIELDS[callback_data.value]: ""})


@router.callback_query(DeputyCb.filter(F.act == "level"))
async def deputy_level(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor) -> None:
    deputy = await directory.get_deputy(session, actor, callback_data.id)
    rows = [[button(("• " if key == deputy.level else "") + directory.level_label(key),
                    DeputyCb(act="setlevel", id=deputy.id, station=callback_data.station, value=key))]
            for key in directory.LEVELS]
    back = button(_("« Back"), DeputyCb(act="open", id=deputy.id, station=callback_data.station))
    await show(query, Screen(_("Level of {name}:", name=h(deputy.name)), markup(*rows, [back])))


@router.callback_query(DeputyCb.filter(F.act == "setlevel"))
async def deputy_set_level(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor) -> None:
    await save_and_show(query, callback_data, session, actor, level=callback_data.value)


@router.callback_query(DeputyCb.filter(F.act == "station"))
async def deputy_station(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession, actor: Actor) -> None:
    deputy = await directory.get_deputy(session, actor, callback_data.id)
    page = await directory.station_page(session, actor, callback_data.page)

    def pick(value: int) -> DeputyCb:
        return DeputyCb(act="setstation", id=deputy.id, station=callback_data.station, value=str(value))

    await show(query, Screen(lines(_("Station of {name}:", name=h(deputy.name)), page_line(page)), paged(
        page, lambda s: button(("• " if s.id == deputy.station_id else "") + s.name, pick(s.id)),
        lambda n: DeputyCb(act="station", id=deputy.id, station=callback_data.station, page=n),
        [button(_("No station"), pick(0))],
        [button(_("« Back"), DeputyCb(act="open", id=deputy.id, station=callback_data.station))],
    )))


@router.callback_query(DeputyCb.filter(F.act == "setstation"))
async def deputy_set_station(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession,
                             actor: Actor) -> None:
    if not callback_data.value.isdigit():
        raise InvalidInput()
    await save_and_show(query, callback_data, session, actor, station_id=int(callback_data.value) or None)


@router.callback_query(DeputyCb.filter(F.act == "active"))
async def deputy_set_active(query: CallbackQuery, callback_data: DeputyCb, session: AsyncSession,
                            actor: Actor) -> None:
    await save_and_show(query, callback_data, session, actor, active=callback_data.value == "1")


# --- import --------------------------------------------------------------------------------------


@router.callback_query(DeputyCb.filter(F.act == "import"))
async def import_start(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require(actor, Role.staff)
    await ask(query, state, ImportForm.file, import_hint())


def import_hint() -> str:
    return _("Send the list of deputies as an .xlsx or .csv file (at most 2 MB). The first row names the columns: "
             "Name, Level, Station, Phone (Phone may be left out). Levels: township, county, city, province, national. "
             "Send /cancel to stop.")


@router.message(ImportForm.file, F.document)
async def import_file(message: Message, session: AsyncSession, actor: Actor, bot: Bot, state: FSMContext) -> None:
    document = message.document
    name = document.file_name or ""
    if Path(name).suffix.lower() not in directory.IMPORT_SUFFIXES:
        await message.answer(_("This is not an .xlsx or .csv file.") + "\n" + import_hint())
        return
    if (document.file_size or 0) > IMPORT_MAX_BYTES:
        await message.answer(_("The file is larger than 2 MB. Split the list into smaller files."))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    report = await directory.import_deputies(session, actor, directory.read_rows(buffer.getvalue(), name))
    await state.clear()
    await reply(message, Screen(import_report(report), markup([button(_("Deputies"), DeputyCb(act="list"))],
                                                              [hub_button()])))


def import_report(report: directory.ImportReport) -> str:
    bad = [_("Row {row}: {reason}", row=number, reason=_(reason, **{k: h(v) for k, v in params.items()}))
           for number, reason, params in report.bad_rows[:BAD_ROWS_SHOWN]]
    more = len(report.bad_rows) - BAD_ROWS_SHOWN
    return lines(
        _("<b>Import finished.</b> Added: {added}. Updated: {updated}. New stations: {stations}.",
          added=report.added, updated=report.updated, stations=report.stations_created),
        _("Rows left out ({count}):", count=len(report.bad_rows)) if report.bad_rows else _("No rows were left out."),
        *bad,
        _("…and {count} more rows left out.", count=more) if more > 0 else "",
    )


@router.message(ImportForm.file, F.photo)
async def import_got_photo(message: Message) -> None:
    await message.answer(_("That is a photo. Send the list as a file (a document), not as a picture.")
                         + "\n" + import_hint())


@router.message(ImportForm.file, NOT_COMMAND)
async def import_got_other(message: Message) -> None:
    await message.answer(import_hint())


# --- roles ---------------------------------------------------------------------------------------


def holder_label(holder: people.OfficeHolder) -> str:
    name = holder.deputy_name or holder.user.first_name or str(holder.user.id)
    return f"{name} · " + ", ".join(_(people.ROLE_NAMES[r]) for r in holder.roles)


@router.callback_query(RoleCb.filter(F.act == "list"))
async def role_list(query: CallbackQuery, callback_data: RoleCb, session: AsyncSession, actor: Actor) -> None:
    page = await people.office_holders(session, actor, callback_data.page)
    await show(query, Screen(
        lines(_("<b>People holding a role</b> ({count}). Open one to withdraw a role.", count=page.total),
              page_line(page)),
        paged(page, lambda x: button(holder_label(x), RoleCb(act="open", user=x.user.id)),
              lambda n: RoleCb(act="list", page=n), [hub_button()])))


async def holder_card(session: AsyncSession, actor: Actor, user_id: int) -> Screen:
    holder = await people.office_holder(session, actor, user_id)
    user = holder.user
    text = lines(
        f"<b>{h(user.first_name or user.id)}</b>" + (f" @{h(user.username)}" if user.username else ""),
        _("Deputy record: {name}", name=h(holder.deputy_name)) if holder.deputy_name else "",
        _("Roles: {roles}", roles=", ".join(_(people.ROLE_NAMES[r]) for r in holder.roles) or _("none")),
    )
    # Withdrawing staff is for admins; the service refuses anyone else, the button is just not offered.
    rows = [[button(_("Withdraw: {role}", role=_(people.ROLE_NAMES[r])), RoleCb(act="ask", user=user.id, role=r))]
            for r in holder.roles if r != Role.staff or actor.has(Role.admin)]
    return Screen(text, markup(*rows, [button(_("« People holding a role"), RoleCb(act="list"))]))


@router.callback_query(RoleCb.filter(F.act == "open"))
async def role_open(query: CallbackQuery, callback_data: RoleCb, session: AsyncSession, actor: Actor) -> None:
    await show(query, await holder_card(session, actor, callback_data.user))


@router.callback_query(RoleCb.filter(F.act == "ask"))
async def role_ask(query: CallbackQuery, callback_data: RoleCb, session: AsyncSession, actor: Actor) -> None:
    holder = await people.office_holder(session, actor, callback_data.user)
    if callback_data.role not in holder.roles:
        raise InvalidInput()
    await show(query, Screen(
        _("Withdraw the role {role} from {name}? They are told.",
          role=_(people.ROLE_NAMES[callback_data.role]), name=h(holder_label(holder))),
        markup([button(_("Yes, withdraw the role"),
                       RoleCb(act="revoke", user=callback_data.user, role=callback_data.role)),
                button(_("No"), RoleCb(act="open", user=callback_data.user))])))


@router.callback_query(RoleCb.filter(F.act == "revoke"))
async def role_revoke(query: CallbackQuery, callback_data: RoleCb, session: AsyncSession, actor: Actor,
                      bot: Bot) -> None:
    if callback_data.role not in people.OFFICES:
        raise InvalidInput()
    await people.revoke_role(session, actor, callback_data.user, Role(callback_data.role))
    card = await holder_card(session, actor, callback_data.user)
    await show(query, card._replace(text=_("Role withdrawn.") + "\n\n" + card.text))
    former = await session.get(User, callback_data.user)
    await commands.publish_for(bot, await load_actor(session, former))


# --- unexpected input inside the forms ----------------------------------------------------------


@router.message(StateFilter(*TEXT_STATES), ~F.text)
async def form_wants_text(message: Message) -> None:
    await message.answer(_("Please answer with text, or send /cancel to leave the form."))
