"""The staff dashboard (验单): every open duty overdue or due soon, by owner and by station, the
lists page by page with a button to each item's card; charts of progress and satisfaction; the
XLSX exports; the year-end evaluation report. Thin: services.dashboard, services.project_export
and services.evaluation_report authorise (station scope included) and count."""
from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.keyboards import Id, Row, button, markup, page_line, pager_row
from bot.menu import MenuCb, home_row
from bot.screens import replace
from bot.text import CAPTION_LIMIT, clip, h
from handlers.views.dashboard import ReportCb, report_row
from services import contact_stats, dashboard, evaluation_report, project_export
from services.auth import Actor
from services.i18n import N_, _

router = Router(name="dashboard")
menu.register("dashboard", N_("Dashboard"), "office", ("staff",), order=29)

EXPORT_LABELS = {"projects": N_("Projects"), "filings": N_("Filings"), "site-visits": N_("Site visits"),
                 "evaluations": N_("Ratings")}


class DashCb(CallbackData, prefix="sd"):
    act: str  # home | overdue | soon | chart (what: progress | satisfaction) | xlsx (what: an export)
    what: str = ""
    page: Id = 0


def _counts(count: dashboard.Count) -> str:
    return _("{label}: {overdue} overdue, {soon} due soon", label=h(count.label), overdue=count.overdue,
             soon=count.soon)


@router.callback_query(MenuCb.filter(F.key == "dashboard"))
@router.callback_query(DashCb.filter(F.act == "home"))
async def home(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
               state: FSMContext) -> None:
    await state.clear()
    board = await dashboard.board(session, actor, ctx.now(), ctx.settings.tz, ctx.settings.dashboard_soon_days)
    lines = [_("<b>Dashboard</b> · {day}", day=ctx.now().astimezone(ctx.settings.tz).date().isoformat()),
             _("Overdue: {overdue} · due within {days} days: {soon}", overdue=board.overdue, days=board.soon_days,
               soon=board.soon)]
    if board.flagged:
        lines.append("⚠️ " + _("Site-visit reports that found a problem, still to be answered: {n}", n=board.flagged))
    for title, counts in ((_("By owner"), board.by_owner), (_("By station"), board.by_station)):
        if counts:
            lines += ["", f"<b>{title}</b>"] + ["• " + _counts(c) for c in counts[:dashboard.GROUPS_SHOWN]]
            if len(counts) > dashboard.GROUPS_SHOWN:
                lines.append(_("…and {count} more.", count=len(counts) - dashboard.GROUPS_SHOWN))
    closed = await dashboard.closed_evaluation(session, actor)
    await replace(query, "\n".join(lines), markup(
        [button(_("Overdue ({n})", n=board.overdue), DashCb(act="overdue")),
         button(_("Due soon ({n})", n=board.soon), DashCb(act="soon"))],
        [button(_("Chart: progress"), DashCb(act="chart", what="progress")),
         button(_("Chart: satisfaction"), DashCb(act="chart", what="satisfaction"))],
        *([button(_("XLSX: {what}", what=_(EXPORT_LABELS[a])), DashCb(act="xlsx", what=a)),
           button(_("XLSX: {what}", what=_(EXPORT_LABELS[b])), DashCb(act="xlsx", what=b))]
          for a, b in (("projects", "filings"), ("site-visits", "evaluations"))),
        report_row(closed.year) if closed else [], home_row()))


@router.callback_query(DashCb.filter(F.act.in_({"overdue", "soon"})))
async def listing(query: CallbackQuery, callback_data: DashCb, session: AsyncSession, actor: Actor,
                  ctx: AppContext) -> None:
    late, days = callback_data.act == "overdue", ctx.settings.dashboard_soon_days
    shown = await dashboard.listing(session, actor, ctx.now(), ctx.settings.tz, days, late, callback_data.page)
    title = (_("Overdue ({count})", count=shown.total) if late
             else _("Due within {days} days ({count})", days=days, count=shown.total))
    lines = [f"<b>{title}</b>"]
    opens: Row = []
    for number, item in enumerate(shown.items, start=shown.number * dashboard.PAGE_SIZE + 1):
        owner = f" · {h(item.place.owner)}" if item.place.owner else ""
        lines.append(f"{number}. " + ("⚠️ " if item.flagged else "")
                     + contact_stats.watched_line(item.watched, ctx.settings.tz) + owner)
        if item.place.card:
            opens.append(InlineKeyboardButton(text=_("Open {n}", n=number), callback_data=item.place.card))
    if not shown.items:
        lines.append(_("Nothing is overdue.") if late else _("Nothing else is due within {days} days.", days=days))
    if line := page_line(shown):
        lines.append(line)
    await replace(query, "\n".join(lines), markup(
        *(opens[i:i + 4] for i in range(0, len(opens), 4)),
        pager_row(shown.number, shown.has_next, lambda n: DashCb(act=callback_data.act, page=n)),
        [button(_("« Dashboard"), DashCb(act="home"))], home_row()))


@router.callback_query(DashCb.filter(F.act == "chart"))
async def chart(query: CallbackQuery, callback_data: DashCb, session: AsyncSession, actor: Actor,
                ctx: AppContext) -> None:
    if callback_data.what == "satisfaction":
        found = await dashboard.satisfaction_chart(session, actor)
        empty = _("No year-end evaluation has been published yet.")
    else:
        year = await dashboard.latest_year(session, actor)
        found = await dashboard.progress_chart(session, actor, year) if year else None
        empty = _("No project has been voted yet.")
    if found is None:
        await query.answer(empty, show_alert=True)
        return
    await query.answer()
    png = await asyncio.to_thread(found.png)
    day = ctx.now().astimezone(ctx.settings.tz).date().isoformat()
    await query.message.answer_photo(BufferedInputFile(png, f"{callback_data.what}-{day}.png"),
                                     caption=clip(h(found.title), CAPTION_LIMIT))


@router.callback_query(DashCb.filter((F.act == "xlsx") & F.what.in_(set(project_export.EXPORTS))))
async def export(query: CallbackQuery, callback_data: DashCb, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    render = project_export.EXPORTS[callback_data.what]
    content = await render(session, actor, locale=actor.locale, tz=ctx.settings.tz)
    await query.answer()
    day = ctx.now().astimezone(ctx.settings.tz).date().isoformat()
    await query.message.answer_document(BufferedInputFile(content, f"{callback_data.what}-{day}.xlsx"),
                                        caption=_("{what}, {day}", what=_(EXPORT_LABELS[callback_data.what]), day=day))


@router.callback_query(ReportCb.filter(F.fmt.in_({"pdf", "xlsx"})))
async def evaluation_document(query: CallbackQuery, callback_data: ReportCb, session: AsyncSession, actor: Actor,
                              ctx: AppContext) -> None:
    found = await evaluation_report.report(session, actor, callback_data.year)
    render = evaluation_report.xlsx if callback_data.fmt == "xlsx" else evaluation_report.pdf
    content = await asyncio.to_thread(render, found, ctx.settings.tz)
    await query.answer()
    await query.message.answer_document(BufferedInputFile(content, evaluation_report.filename(found, callback_data.fmt)),
                                        caption=_("Year-end evaluation report of {year}", year=callback_data.year))
