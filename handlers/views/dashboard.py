"""The evaluation report's buttons, shown on the staff dashboard (handlers.dashboard, which answers
them) and on the closed evaluation's screen (handlers.evaluation)."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.keyboards import Id, Row, button
from services.i18n import _


class ReportCb(CallbackData, prefix="er"):
    """The year-end evaluation report of `year` as `fmt` (pdf | xlsx)."""

    year: Id
    fmt: str


def report_row(year: int) -> Row:
    return [button(_("Evaluation report (PDF)"), ReportCb(year=year, fmt="pdf")),
            button(_("Evaluation report (XLSX)"), ReportCb(year=year, fmt="xlsx"))]
