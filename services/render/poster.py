"""Printable A4 posters: one page per deputy with a QR code of their deep link, and a
station's notice listing its deputies and their reception hours.

Residents scan the poster at a liaison station to open the bot on that deputy; the link
is printed in full under the code for whoever cannot scan it. All strings arrive already
translated; this module only lays them out. Text stays real
text in a subset-embedded CJK font (searchable, copyable, prints sharp), and the QR
code is drawn as vector rectangles so it stays crisp at any print size.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas

from services.render.cards import PosterCard, StationSheet
from services.render.fonts import cjk_font_path
from services.render.qr import qr_code

FONT_NAME = "MinshengCJK"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_MIN = 90 * mm  # below this, scanning from arm's length gets unreliable
QR_MAX = 140 * mm
QR_QUIET_ZONE = 4  # modules of white around the symbol, as the QR spec requires
GAP = 8 * mm  # between the text groups and the QR code
BLOCK_GAP = 3 * mm  # between blocks of one group
LEADING = 1.25
ASCENT = 0.86  # share of the font size above the baseline for SimHei
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class _Style:
    max_size: float
    min_size: float
    max_lines: int
    gray: float  # 0 is black


_CONGRESS = _Style(24, 12, 2, 0.0)
_HEADING = _Style(18, 10, 2, 0.35)
_TITLE = _Style(72, 24, 2, 0.0)
_LINE = _Style(26, 12, 2, 0.15)
_CTA = _Style(32, 16, 2, 0.0)
_FOOTER = _Style(14, 9, 3, 0.35)
# Typed by hand by whoever cannot scan: large enough to read every character of a token.
_LINK = _Style(16, 12, 3, 0.0)
_NOTE = _Style(13, 10, 2, 0.35)


@dataclass(frozen=True)
class _Block:
    lines: list[str]
    size: float
    gray: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


@lru_cache(maxsize=None)
def _font() -> str:
    """Register the CJK font with reportlab once per process (parsing it takes ~0.15 s)."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(cjk_font_path())))
    return FONT_NAME


@lru_cache(maxsize=4096)
def _unit_width(char: str) -> float:
    # Widths scale linearly with the size and reportlab applies no kerning, so one
    # measurement per character at size 1 serves every size tried by `_fit`.
    return pdfmetrics.stringWidth(char, _font(), 1)


def _text_width(text: str) -> float:
    return sum(_unit_width(char) for char in text)


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Greedy line breaking: anywhere between CJK characters, at spaces inside Latin words."""
    limit = width / size
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for char in paragraph:
            char_width = _unit_width(char)
            if line and line_width + char_width > limit:
                cut = line.rfind(" ")
                if cut > 0 and _is_latin(char) and _is_latin(line[-1]):
                    lines.append(line[:cut].rstrip())
                    line = line[cut + 1 :]
                else:
                    lines.append(line.rstrip())
                    line = ""
                if not line and char == " ":
                    line_width = 0.0
                    continue
                line_width = _text_width(line)
            line += char
            line_width += char_width
        lines.append(line.rstrip())
    return lines


def _truncate(line: str, size: float, width: float) -> str:
    limit = width / size - _unit_width(ELLIPSIS)
    while line and _text_width(line) > limit:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def _fit(text: str, style: _Style, width: float, scale: float) -> _Block:
    """Largest size at which `text` fits `width` in few lines; truncated only as a last resort.

    Shrinking by up to 30% is preferred over an extra line, so a long name stays
    on one line while a very long one still wraps rather than becoming tiny.
    """
    top = max(style.max_size * scale, style.min_size)
    sizes = [top - step for step in range(int(top - style.min_size) + 1)]
    for line_count in range(1, style.max_lines + 1):
        floor = style.min_size if line_count == style.max_lines else top * 0.7
        for size in sizes:
            if size < floor:
                break
            lines = _wrap(text, size, width)
            if len(lines) <= line_count:
                return _Block(lines, size, style.gray)
    size = style.min_size
    lines = _wrap(text, size, width)[: style.max_lines]
    lines[-1] = _truncate(lines[-1], size, width)
    return _Block(lines, size, style.gray)


def _stack_height(blocks: Sequence[_Block]) -> float:
    return sum(block.height for block in blocks) + BLOCK_GAP * max(len(blocks) - 1, 0)


def _baseline(top: float, size: float) -> float:
    """The baseline of a line drawn in a box of size * LEADING whose top is `top`."""
    return top - (size * LEADING - size) / 2 - size * ASCENT


def _draw_blocks(canvas: Canvas, blocks: Sequence[_Block], top: float) -> None:
    """Draw centred blocks downwards from `top`, each line in a box of size * LEADING."""
    for block in blocks:
        canvas.setFillGray(block.gray)
        canvas.setFont(FONT_NAME, block.size)
        for line in block.lines:
            box = block.size * LEADING
            canvas.drawCentredString(PAGE_WIDTH / 2, _baseline(top, block.size), line)
            top -= box
        top -= BLOCK_GAP


def _draw_qr(canvas: Canvas, link: str, x: float, y: float, side: float) -> None:
    """Dark modules as one filled path of horizontal runs: no seams between modules."""
    rows = [list(row) for row in qr_code(link).matrix_iter(scale=1, border=0)]
    module = side / (len(rows) + 2 * QR_QUIET_ZONE)
    origin_x = x + QR_QUIET_ZONE * module
    origin_y = y + side - QR_QUIET_ZONE * module
    path = canvas.beginPath()
    for row_index, row in enumerate(rows):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(
                origin_x + start * module,
                origin_y - (row_index + 1) * module,
                (column - start) * module,
                module,
            )
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
    canvas.linkURL(link, (x, y, x + side, y + side), relative=0, thickness=0)


def _top_blocks(congress: str, heading: str, title: str, lines: Sequence[str], scale: float) -> list[_Block]:
    """The congress, the poster's heading, the title and its lines, as every page starts."""
    top = [_fit(congress, _CONGRESS, CONTENT_WIDTH, scale)] if congress else []
    top += [_fit(heading, _HEADING, CONTENT_WIDTH, scale)] if heading else []
    top.append(_fit(title, _TITLE, CONTENT_WIDTH, scale))
    return top + [_fit(line, _LINE, CONTENT_WIDTH, scale) for line in lines if line]


def _under_qr(call_to_action: str, link: str, link_note: str, scale: float) -> list[_Block]:
    """What sits under the QR code: the call to action, the link in full, which app opens it."""
    blocks = [_fit(call_to_action, _CTA, CONTENT_WIDTH, scale), _fit(link, _LINK, CONTENT_WIDTH, scale)]
    return blocks + ([_fit(link_note, _NOTE, CONTENT_WIDTH, scale)] if link_note else [])


def _layout(card: PosterCard, heading: str, congress: str) -> tuple[list[_Block], list[_Block], _Block | None, float]:
    """Text blocks at the largest common scale that still leaves room for a QR_MIN code."""
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
        top = _top_blocks(congress, heading, card.title, card.lines, scale)
        under = _under_qr(card.call_to_action, card.link, card.link_note, scale)
        footer = _fit(card.footer, _FOOTER, CONTENT_WIDTH, scale) if card.footer else None
        text_height = _stack_height(top) + _stack_height(under) + (footer.height + GAP if footer else 0)
        room = PAGE_HEIGHT - 2 * MARGIN - text_height - 2 * GAP
        if room >= QR_MIN:
            return top, under, footer, min(room, QR_MAX, CONTENT_WIDTH)
    raise ValueError(f"poster for {card.title!r} has too many lines to fit one page")


def _draw_card(canvas: Canvas, card: PosterCard, heading: str, congress: str) -> None:
    top, under, footer, qr_side = _layout(card, heading, congress)
    _draw_blocks(canvas, top, PAGE_HEIGHT - MARGIN)
    bottom = MARGIN
    if footer:
        _draw_blocks(canvas, [footer], MARGIN + footer.height)
        bottom += footer.height + GAP
    # The QR code and what explains it sit together, centred in the space left.
    upper = PAGE_HEIGHT - MARGIN - _stack_height(top) - GAP
    group = qr_side + BLOCK_GAP + _stack_height(under)
    qr_top = upper - (upper - bottom - group) / 2
    _draw_qr(canvas, card.link, (PAGE_WIDTH - qr_side) / 2, qr_top - qr_side, qr_side)
    _draw_blocks(canvas, under, qr_top - qr_side - BLOCK_GAP)


def _canvas(buffer: io.BytesIO, title: str) -> Canvas:
    _font()
    # The initial font is ours too, so the PDF references no unembedded font at all.
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=True, initialFontName=FONT_NAME)
    canvas.setTitle(title)
    return canvas


def poster_pdf(cards: Sequence[PosterCard], *, heading: str = "", congress: str = "") -> bytes:
    """A4 PDF with one page per card (a whole station in one file); `congress` and `heading` top every page."""
    if not cards:
        raise ValueError("poster_pdf needs at least one card")
    buffer = io.BytesIO()
    canvas = _canvas(buffer, heading or cards[0].title)
    for card in cards:
        _draw_card(canvas, card, heading, congress)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- the station's notice: its deputies and their reception hours --------------------------------


SHEET_QR = 60 * mm  # beside a list the code is smaller than on a deputy's poster, still easy to scan
SHEET_SCALE = 0.7  # of the poster's text sizes, leaving the page to the list
_ROW = _Style(18, 11, 3, 0.0)
_HEADER_SIZE, _HEADER_GRAY = 13, 0.35  # the column headers
NAME_SHARE = 0.4  # at most this share of the width for the names column
ROW_GAP = 2.5 * mm


@dataclass(frozen=True)
class _Row:
    name: list[str]
    hours: list[str]
    size: float

    @property
    def height(self) -> float:
        return max(len(self.name), len(self.hours)) * self.size * LEADING + ROW_GAP


def _cell(text: str, size: float, width: float, max_lines: int) -> list[str]:
    lines = _wrap(text, size, width)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _truncate(lines[-1], size, width)
    return lines


def _rows(sheet: StationSheet, size: float) -> tuple[float, list[_Row]]:
    """The names column's width and every row wrapped at `size`."""
    widest = max([_text_width(name) * size for name, _hours in sheet.rows] + [_text_width(sheet.columns[0]) * size])
    name_width = min(widest + 2 * mm, CONTENT_WIDTH * NAME_SHARE)
    hours_width = CONTENT_WIDTH - name_width - 4 * mm
    return name_width, [_Row(_cell(name, size, name_width, 2), _cell(hours, size, hours_width, _ROW.max_lines), size)
                        for name, hours in sheet.rows]


def _sheet_layout(sheet: StationSheet, heading: str, congress: str):  # noqa: ANN202
    """Top blocks, the blocks under the code, and the rows at the largest size where they fit one page;
    at the smallest size the rows are split over as many pages as they need."""
    top = _top_blocks(congress, heading, sheet.title, sheet.lines, SHEET_SCALE)
    under = _under_qr(sheet.call_to_action, sheet.link, sheet.link_note, SHEET_SCALE) if sheet.link else []
    bottom_height = SHEET_QR + BLOCK_GAP + _stack_height(under) + GAP if sheet.link else 0
    room = PAGE_HEIGHT - 2 * MARGIN - _stack_height(top) - GAP - _HEADER_SIZE * LEADING - bottom_height
    for step in range(int(_ROW.max_size - _ROW.min_size) + 1):
        size = _ROW.max_size - step
        name_width, rows = _rows(sheet, size)
        if sum(row.height for row in rows) <= room or size == _ROW.min_size:
            break
    pages: list[list[_Row]] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row.height > room:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row.height
    return top, under, name_width, pages


def _draw_rows(canvas: Canvas, sheet: StationSheet, rows: Sequence[_Row], name_width: float, top: float) -> None:
    hours_left = MARGIN + name_width + 4 * mm
    canvas.setFillGray(_HEADER_GRAY)
    canvas.setFont(FONT_NAME, _HEADER_SIZE)
    canvas.drawString(MARGIN, _baseline(top, _HEADER_SIZE), sheet.columns[0])
    canvas.drawString(hours_left, _baseline(top, _HEADER_SIZE), sheet.columns[1])
    top -= _HEADER_SIZE * LEADING
    canvas.setStrokeGray(0.6)
    canvas.setLineWidth(0.5)
    for row in rows:
        canvas.line(MARGIN, top, PAGE_WIDTH - MARGIN, top)
        canvas.setFillGray(0)
        canvas.setFont(FONT_NAME, row.size)
        for left, lines in ((MARGIN, row.name), (hours_left, row.hours)):
            for index, line in enumerate(lines):
                canvas.drawString(left, _baseline(top - ROW_GAP / 2 - index * row.size * LEADING, row.size), line)
        top -= row.height


def station_sheet_pdf(sheet: StationSheet, *, heading: str = "", congress: str = "") -> bytes:
    """A4 PDF: the station, a table of its deputies and their reception hours, and its code at the foot
    of every page (so each page pinned up on its own still leads to the bot)."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, sheet.title)
    top, under, name_width, pages = _sheet_layout(sheet, heading, congress)
    for rows in pages:
        _draw_blocks(canvas, top, PAGE_HEIGHT - MARGIN)
        _draw_rows(canvas, sheet, rows, name_width, PAGE_HEIGHT - MARGIN - _stack_height(top) - GAP)
        if sheet.link:
            qr_bottom = MARGIN + _stack_height(under) + BLOCK_GAP
            _draw_qr(canvas, sheet.link, (PAGE_WIDTH - SHEET_QR) / 2, qr_bottom, SHEET_QR)
            _draw_blocks(canvas, under, qr_bottom - BLOCK_GAP)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
