"""The result sheet of a vote for the notice board: PDF (Chinese embedded, rendered offline) and XLSX.

Both are drawn from services.votes.Sheet in the current language; numbers stay numbers.
"""
from __future__ import annotations

import io
from datetime import tzinfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.i18n import N_, _
from services.render.poster import _font as cjk_font
from services.votes import Sheet, verdict

COLUMNS = ((N_("No."), 6), (N_("Candidate project"), 36), (N_("Implementing unit"), 22), (N_("For"), 8),
           (N_("Against"), 8), (N_("Abstain"), 9), (N_("Run-off: for"), 11), (N_("Rank"), 7), (N_("Result"), 20))


def filename(result: Sheet, kind: str) -> str:
    return f"vote-{result.session.id}-{result.session.held_on.isoformat()}.{kind}"


def _head(result: Sheet, tz: tzinfo) -> list[str]:
    vote = result.session
    lines = [_("Result of the vote on livelihood projects"),
             _("{meeting} · {day} · {place}", meeting=vote.meeting, day=vote.held_on.isoformat(), place=vote.place),
             _("Deputies present: {present} · needed to pass (more than half): {threshold}",
               present=result.present, threshold=result.threshold)]
    if vote.slots is not None:
        lines.append(_("Slots: {slots}, filled: {filled}", slots=vote.slots, filled=result.adopted))
    for rnd in result.rounds:
        lines.append(_("Round {round}: ballots in the bot {electronic}, on paper {paper}, blank {blank}, "
                       "invalid {invalid}", round=rnd.round, electronic=rnd.electronic, paper=rnd.paper,
                       blank=rnd.electronic_blank + rnd.paper_blank, invalid=rnd.paper_invalid))
    if vote.closed_at is not None:
        lines.append(_("Announced {when}", when=vote.closed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    return lines


def _rows(result: Sheet) -> list[list[object]]:
    return [[line.position, line.title, line.unit, line.tally.yes, line.tally.no, line.tally.abstain,
             line.runoff.yes if line.runoff else "", line.rank or "", verdict(line)] for line in result.lines]


def xlsx(result: Sheet, tz: tzinfo) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Result")[:31]
    for text in _head(result, tz):
        sheet.append([text])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([_(header) for header, _width in COLUMNS])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for number, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    for row in _rows(result):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # titles are text, never formulas
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf(result: Sheet, tz: tzinfo) -> bytes:
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4)
    head = _head(result, tz)
    story: list = [Paragraph(head[0], title)] + [Paragraph(line, body) for line in head[1:]] + [Spacer(1, 6 * mm)]
    data = [[Paragraph(_(header), body) for header, _width in COLUMNS]]
    data += [[Paragraph(str(cell), body) for cell in row] for row in _rows(result)]
    widths = [width for _header, width in COLUMNS]
    scale = (A4[0] - 30 * mm) / sum(widths)
    table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=result.session.meeting).build(story)
    return buffer.getvalue()
