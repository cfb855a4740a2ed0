"""The project record's buttons that the project page (handlers.deliver) and the staff's record
screens (handlers.projects) share."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.keyboards import Id


class RecordCb(CallbackData, prefix="dr"):
    """Staff on one project's record.

    act: menu | edit (field) | dept (arg: department; 0 lists them, at `page`) | status (field) | done."""

    act: str
    pid: Id
    field: str = ""
    arg: Id = 0
    page: Id = 0
