"""The one way a table becomes a spreadsheet staff download (the bot and the CLI alike).

Headers in the current language, bold, the header row frozen; cells wrapped; text that
looks like a formula (a resident's "=1+1") stays text.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.i18n import _


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name (cut to Excel's 31 characters)
    columns: Sequence[tuple[str, int]]  # (header, in the source language, N_-marked; width)
    rows: Iterable[Sequence[object]]
    head: Sequence[str] = ()  # lines above the table: a report's title and notes


def workbook(*tables: Table) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        for line in table.head:
            sheet.append([line])
        if table.head:
            sheet["A1"].font = Font(bold=True, size=14)
            sheet.append([])
        sheet.append([_(header) for header, _width in table.columns])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for number, (_header, width) in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = width
        for row in table.rows:
            sheet.append(list(row))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # typed text is never a formula
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = f"A{header_row + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
