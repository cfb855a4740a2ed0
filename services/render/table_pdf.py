"""A4 reports of one table: title lines, the table (header repeated on each page), notes after it.

Chinese is embedded (the CJK font), lines wrap the CJK way; rendered offline.
"""
from __future__ import annotations

import io
from typing import Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.i18n import _
from services.render.poster import _font as cjk_font


def table_pdf(head: Sequence[str], columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[object]], *,
              title: str, tail: Sequence[str] = ()) -> bytes:
    """`head[0]` is the heading; `columns` are (N_-marked header, relative width); `tail` follows the
    table, a paragraph each. Text is escaped here: pass plain text."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    heading = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4)

    def para(text: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)

    story: list = [para(head[0], heading)] + [para(line) for line in head[1:]] + [Spacer(1, 6 * mm)]
    data = [[para(_(header)) for header, _width in columns]] + [[para(cell) for cell in row] for row in rows]
    widths = [width for _header, width in columns]
    scale = (A4[0] - 30 * mm) / sum(widths)
    table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    if tail:
        story.append(Spacer(1, 6 * mm))
        story += [para(line) for line in tail]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=title).build(story)
    return buffer.getvalue()
