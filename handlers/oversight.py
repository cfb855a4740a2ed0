"""Staff oversight of the direct line: deadlines (every kind), deputy and station statistics
(table, chart, XLSX), QR codes and posters, and reassigning an inquiry.

Every service called here requires the staff role; the menu is a courtesy.
"""
from __future__ import annotations

import asyncio
import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, split_text
from bot.keyboards import Id, button, markup
from bot.menu import MenuCb, home_row
from bot.text import CAPTION_LIMIT, clip, h
from handlers.views.inquiries import actions_markup, stations_markup, thread_text
from models import Role, Station
from services import contact_stats, deputy_codes, directory, inquiries
from services.auth import Actor, require
from services.i18n import N_, _, use_locale
from services.inquiries import Rules
from services.render.chart import bar_chart_png

router = Router(name="oversight")
menu.register("deadlines", N_("Deadlines"), "office", ("staff",), order=30)
menu.register("deputy_stats", N_("Deputy statistics"), "office", ("staff",), order=31)
menu.register("qr_codes", N_("QR codes"), "office", ("staff",), order=32)

CHART_BARS = 20  # deputies or stations in one chart; the XLSX has them all
TABLE_ROWS = 60  # keeps the table within one message


class StatsCb(CallbackData, prefix="ovs"):
    view: str  # deputies | stations
    output: str  # table | chart | xlsx


class StaffInquiryCb(CallbackData, prefix=inquiries.OVERSIGHT_PREFIX):
    action: str  # open | find | reassign
    inquiry_id: Id = 0


class ReassignCb(CallbackData, prefix="ovr"):
    inquiry_id: Id
    station_id: Id = 0
    deputy_id: Id = 0


class ReassignPageCb(CallbackData, prefix="ovrp"):
    inquiry_id: Id
    page: Id


class QrPageCb(CallbackData, prefix="ovqp"):
    page: Id


class QrCb(CallbackData, prefix="ovq"):
    action: str  # station | posters | hours | ask_new | new | ask_revoke | revoke
    station_id: Id = 0
    deputy_id: Id = 0


class FindForm(StatesGroup):
    number = State()


# --- deadlines ---------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "deadlines"))
async def show_deadlines(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                         state: FSMContext) -> None:
    await state.clear()
    tz, soon_days = ctx.settings.tz, max(ctx.settings.reminder_days_before, 1)
    overdue, soon = await contact_stats.watch_lists(session, actor, ctx.now(), tz, soon_days)
    overdue_title = "<b>" + _("Overdue ({count})", count=len(overdue)) + "</b>"
    soon_title = "<b>" + _("Due within {days} days ({count})", days=soon_days, count=len(soon)) + "</b>"
    blocks = [
        contact_stats.watched_block(overdue_title, overdue, tz, 1800) if overdue else _("Nothing is overdue."),
        contact_stats.watched_block(soon_title, soon, tz, 1800) if soon
        else _("Nothing else is due within {days} days.", days=soon_days),
    ]
    await query.answer()
    await query.message.answer(clip("\n\n".join(blocks)), reply_markup=markup(
        [button(_("Find a message by its number"), StaffInquiryCb(action="find"))], home_row()))


@router.callback_query(StaffInquiryCb.filter(F.action == "find"))
async def ask_number(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require(actor, Role.staff)
    await ask(query, state, FindForm.number, _("Send the tracking number, like DB-2026-000123."))


@router.message(FindForm.number, TYPED)
async def find_by_number(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                         state: FSMContext) -> None:
    if await split_text(message, state, 40):
        return
    inquiry = await inquiries.find(session, actor, message.text)
    await state.clear()
    await _show_thread(message, ctx, await inquiries.thread(session, actor, inquiry.id))


@router.message(StateFilter(FindForm.number), NOT_COMMAND)
async def number_hint(message: Message) -> None:
    await message.answer(_("Send the tracking number, like DB-2026-000123.") + "\n" + _("Send /cancel to stop."))


@router.callback_query(StaffInquiryCb.filter(F.action == "open"))
async def open_for_staff(query: CallbackQuery, callback_data: StaffInquiryCb, session: AsyncSession, actor: Actor,
                         ctx: AppContext) -> None:
    require(actor, Role.staff)
    view = await inquiries.thread(session, actor, callback_data.inquiry_id)
    await query.answer()
    await _show_thread(query.message, ctx, view)


async def _show_thread(message: Message, ctx: AppContext, view: inquiries.ThreadView) -> None:
    """Staff read the thread and may reassign it; while its deputy is not on the bot they also answer it."""
    inquiry = view.inquiry
    reassign_row = [button(_("Reassign to another deputy"), ReassignCb(inquiry_id=inquiry.id))]
    handling = not inquiries.on_bot(view.deputy) and inquiry.status in inquiries.ACTIVE
    await message.answer(thread_text(view, Rules.of(ctx.settings), "staff"), reply_markup=(
        actions_markup(inquiry, ctx.now(), reassign_row, home_row()) if handling else markup(reassign_row, home_row())))


@router.callback_query(ReassignCb.filter(F.deputy_id != 0))
async def reassign(query: CallbackQuery, callback_data: ReassignCb, session: AsyncSession, actor: Actor,
                   ctx: AppContext) -> None:
    inquiry = await inquiries.reassign(session, actor, callback_data.inquiry_id, callback_data.deputy_id, ctx.now())
    deputy = await inquiries.reachable_deputy(session, inquiry.deputy_id)
    await query.answer()
    await query.message.answer(_("{number} now belongs to deputy {deputy}, who has been told.",
                                 number=inquiry.number, deputy=h(deputy.name)))


@router.callback_query(ReassignCb.filter(F.station_id != 0))
async def reassign_pick_deputy(query: CallbackQuery, callback_data: ReassignCb, session: AsyncSession,
                               actor: Actor) -> None:
    require(actor, Role.staff)
    deputies = await directory.deputies(session, callback_data.station_id)
    await query.answer()
    await query.message.answer(_("Which deputy should own it now?"), reply_markup=markup(*(
        [button(d.name, ReassignCb(inquiry_id=callback_data.inquiry_id, deputy_id=d.id))] for d in deputies[:90])))


@router.callback_query(ReassignCb.filter())
async def reassign_pick_station(query: CallbackQuery, callback_data: ReassignCb, session: AsyncSession,
                                actor: Actor) -> None:
    require(actor, Role.staff)
    await query.answer()
    await query.message.answer(_("Choose the station of the deputy who should own it:"),
                               reply_markup=await _reassign_stations(session, actor, callback_data.inquiry_id, 0))


@router.callback_query(ReassignPageCb.filter())
async def reassign_station_page(query: CallbackQuery, callback_data: ReassignPageCb, session: AsyncSession,
                                actor: Actor) -> None:
    require(actor, Role.staff)
    await inquiries.thread(session, actor, callback_data.inquiry_id)  # only staff serving its station
    await query.answer()
    with contextlib.suppress(TelegramBadRequest):
        await query.message.edit_reply_markup(
            reply_markup=await _reassign_stations(session, actor, callback_data.inquiry_id, callback_data.page))


async def _reassign_stations(session: AsyncSession, actor: Actor, inquiry_id: int, page: int) -> InlineKeyboardMarkup:
    """The stations the staff member serves (the service refuses a deputy of another)."""
    scope = await contact_stats.station_scope(session, actor)
    stations = [s for s in await directory.stations(session) if scope is None or s.id in scope]
    return stations_markup(stations, page, lambda s: ReassignCb(inquiry_id=inquiry_id, station_id=s.id),
                           lambda n: ReassignPageCb(inquiry_id=inquiry_id, page=n))


# --- statistics --------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "deputy_stats"))
async def stats_from_menu(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                          state: FSMContext) -> None:
    await state.clear()
    await _stats(query, session, actor, ctx, StatsCb(view="deputies", output="table"))


@router.callback_query(StatsCb.filter())
async def stats(query: CallbackQuery, callback_data: StatsCb, session: AsyncSession, actor: Actor,
                ctx: AppContext) -> None:
    await _stats(query, session, actor, ctx, callback_data)


async def _stats(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext, wanted: StatsCb) -> None:
    now = ctx.now()
    by_deputy = wanted.view == "deputies"
    tallies = await (contact_stats.by_deputy if by_deputy else contact_stats.by_station)(session, actor, now)
    first_column = _("Deputy") if by_deputy else _("Station")
    title = (_("Deputies: messages from residents, last 12 months") if by_deputy
             else _("Stations: messages from residents, last 12 months"))
    day = now.astimezone(ctx.settings.tz).date().isoformat()
    await query.answer()
    if wanted.output == "chart":
        shown = tallies[:CHART_BARS]
        png = await asyncio.to_thread(bar_chart_png, title, [t.label for t in shown],
                                      contact_stats.chart_series(shown))
        await query.message.answer_photo(BufferedInputFile(png, f"{wanted.view}-{day}.png"),
                                         caption=clip(title, CAPTION_LIMIT))
        return
    if wanted.output == "xlsx":
        data = contact_stats.workbook(
            [(_("Deputies"), _("Deputy"), await contact_stats.by_deputy(session, actor, now)),
             (_("Stations"), _("Station"), await contact_stats.by_station(session, actor, now))],
            await inquiries.export_rows(session, actor, now, ctx.settings.tz))
        await query.message.answer_document(BufferedInputFile(data, f"deputy-statistics-{day}.xlsx"),
                                            caption=_("Deputy statistics, {day}", day=day))
        return
    other = "stations" if by_deputy else "deputies"
    table = contact_stats.table_text(first_column, tallies[:TABLE_ROWS]) if tallies else _("No data yet.")
    more = ("\n" + _("The first {shown} of {count} are shown; the XLSX has them all.", shown=TABLE_ROWS,
                      count=len(tallies))) if len(tallies) > TABLE_ROWS else ""
    await query.message.answer(f"<b>{h(title)}</b>\n<pre>{h(table)}</pre>{more}", reply_markup=markup(
        [button(_("Chart"), StatsCb(view=wanted.view, output="chart")),
         button(_("XLSX"), StatsCb(view=wanted.view, output="xlsx"))],
        [button(_("By station") if by_deputy else _("By deputy"), StatsCb(view=other, output="table"))]))


# --- QR codes and posters ----------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "qr_codes"))
async def qr_stations(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    require(actor, Role.staff)
    await state.clear()
    stations = await directory.stations(session)
    await query.answer()
    if not stations:
        await query.message.answer(_("No liaison station has been set up yet."))
        return
    await query.message.answer(_("QR codes and posters: choose a station."), reply_markup=_qr_stations(stations, 0))


def _qr_stations(stations: list[Station], page: int) -> InlineKeyboardMarkup:
    return stations_markup(stations, page, lambda s: QrCb(action="station", station_id=s.id),
                           lambda n: QrPageCb(page=n))


@router.callback_query(QrPageCb.filter())
async def qr_station_page(query: CallbackQuery, callback_data: QrPageCb, session: AsyncSession, actor: Actor) -> None:
    require(actor, Role.staff)
    await query.answer()
    with contextlib.suppress(TelegramBadRequest):
        await query.message.edit_reply_markup(
            reply_markup=_qr_stations(await directory.stations(session), callback_data.page))


@router.callback_query(QrCb.filter(F.action == "station"))
async def qr_station(query: CallbackQuery, callback_data: QrCb, session: AsyncSession, actor: Actor) -> None:
    require(actor, Role.staff)
    await deputy_codes.check_manager(session, actor, station_id=callback_data.station_id)
    deputies = await directory.deputies(session, callback_data.station_id)
    station_id = callback_data.station_id
    await query.answer()
    await query.message.answer(
        _("Print the whole station (its own code and one page per deputy), or choose a deputy."),
        reply_markup=markup(
            [button(_("Posters for the whole station"), QrCb(action="posters", station_id=station_id))],
            [button(_("Notice: deputies and reception hours"), QrCb(action="hours", station_id=station_id))],
            *([button(d.name, QrCb(action="posters", deputy_id=d.id))] for d in deputies[:80]),
            [button(_("New station code"), QrCb(action="ask_new", station_id=station_id)),
             button(_("Withdraw station code"), QrCb(action="ask_revoke", station_id=station_id))]))


@router.callback_query(QrCb.filter(F.action == "posters"))
async def send_posters(query: CallbackQuery, callback_data: QrCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    with use_locale(ctx.settings.default_locale):  # posters speak to residents, in the congress's language
        posters = await deputy_codes.poster_set(session, actor, ctx.now(), ctx.deep_link,
                                                deputy_id=callback_data.deputy_id or None,
                                                station_id=callback_data.station_id or None,
                                                congress=ctx.settings.congress_name)
    await query.answer()
    pngs, pdf = await asyncio.to_thread(deputy_codes.render_posters, posters)
    for (file_name, png), (_stem, link) in zip(pngs, posters.links):
        await query.message.answer_document(BufferedInputFile(png, file_name), caption=link)
    await query.message.answer_document(BufferedInputFile(pdf, f"{posters.name}.pdf"),
                                        caption=_("Printable A4 poster."))
    if callback_data.deputy_id:
        deputy_id = callback_data.deputy_id
        await query.message.answer(
            _("If a poster was lost or defaced, issue a new code: the old one stops working."),
            reply_markup=markup([button(_("New code"), QrCb(action="ask_new", deputy_id=deputy_id)),
                                 button(_("Withdraw code"), QrCb(action="ask_revoke", deputy_id=deputy_id))]))


@router.callback_query(QrCb.filter(F.action == "hours"))
async def send_station_poster(query: CallbackQuery, callback_data: QrCb, session: AsyncSession, actor: Actor,
                              ctx: AppContext) -> None:
    with use_locale(ctx.settings.default_locale):
        poster = await deputy_codes.station_poster(session, actor, ctx.deep_link, callback_data.station_id,
                                                   congress=ctx.settings.congress_name)
    await query.answer()
    pdf = await asyncio.to_thread(deputy_codes.render_station_poster, poster)
    await query.message.answer_document(BufferedInputFile(pdf, f"{poster.name}.pdf"), caption=(
        _("Printable A4 notice with the station's code.") if poster.sheet.link else
        _("Printable A4 notice, without a QR code: the station has no active code (issue one with “New station code”).")))


@router.callback_query(QrCb.filter(F.action.in_({"ask_new", "ask_revoke"})))
async def confirm_code_change(query: CallbackQuery, callback_data: QrCb, session: AsyncSession,
                              actor: Actor) -> None:
    await deputy_codes.check_manager(session, actor, deputy_id=callback_data.deputy_id or None,
                                     station_id=callback_data.station_id or None)
    renew = callback_data.action == "ask_new"
    await query.answer()
    await query.message.answer(
        _("Issue a new code? Posters with the current code will stop working and must be replaced.") if renew else
        _("Withdraw the code? Posters with it will stop working; no new code is issued."),
        reply_markup=markup([button(_("Yes, new code") if renew else _("Yes, withdraw"), QrCb(
            action="new" if renew else "revoke", station_id=callback_data.station_id,
            deputy_id=callback_data.deputy_id))]))


@router.callback_query(QrCb.filter(F.action.in_({"new", "revoke"})))
async def change_code(query: CallbackQuery, callback_data: QrCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    change = deputy_codes.regenerate if callback_data.action == "new" else deputy_codes.revoke
    target = dict(deputy_id=callback_data.deputy_id or None, station_id=callback_data.station_id or None)
    await change(session, actor, ctx.now(), **target)
    await query.answer()
    if callback_data.action == "revoke":
        await query.message.answer(_("The code was withdrawn. Old posters now answer that it no longer works."))
        return
    await query.message.answer(_("A new code was issued. Print the new poster:"), reply_markup=markup(
        [button(_("Posters"), QrCb(action="posters", **{k: v or 0 for k, v in target.items()}))]))
