"""Printable A4 posters: one page per deputy with a QR code of their deep link.

Residents scan the poster at a liaison station to open the bot on that deputy. All
strings arrive already translated; this module only lays them out. Text stays real
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
class PosterCard:
    """One poster page; a station card for the first page uses the same shape."""

    title: str  # the deputy's name, printed largest
    lines: Sequence[str]  # level, station, ...
    call_to_action: str  # printed right under the QR code
    link: str  # what the QR code encodes
    footer: str = ""  # e.g. reception hours, at the bottom of the page


@dataclass(frozen=True)
class _Style:
    max_size: float
    min_size: float
    max_lines: int
    gray: float  # 0 is black


_HEADING = _Style(18, 10, 2, 0.35)
_TITLE = _Style(72, 24, 2, 0.0)
_LINE = _Style(26, 12, 2, 0.15)
_CTA = _Style(32, 16, 2, 0.0)
_FOOTER = _Style(14, 9, 3, 0.35)


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


def _draw_blocks(canvas: Canvas, blocks: Sequence[_Block], top: float) -> None:
    """Draw centred blocks downwards from `top`, each line in a box of size * LEADING."""
    for block in blocks:
        canvas.setFillGray(block.gray)
        canvas.setFont(FONT_NAME, block.size)
        for line in block.lines:
            box = block.size * LEADING
            baseline = top - (box - block.size) / 2 - block.size * ASCENT
            canvas.drawCentredString(PAGE_WIDTH / 2, baseline, line)
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


def _layout(card: PosterCard, heading: str) -> tuple[list[_Block], _Block, _Block | None, float]:
    """Text blocks at the largest common scale that still leaves room for a QR_MIN code."""
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
        top = [_fit(heading, _HEADING, CONTENT_WIDTH, scale)] if heading else []
        top.append(_fit(card.title, _TITLE, CONTENT_WIDTH, scale))
        top += [_fit(line, _LINE, CONTENT_WIDTH, scale) for line in card.lines if line]
        cta = _fit(card.call_to_action, _CTA, CONTENT_WIDTH, scale)
        footer = _fit(card.footer, _FOOTER, CONTENT_WIDTH, scale) if card.footer else None
        text_height = _stack_height(top) + cta.height + (footer.height + GAP if footer else 0)
        room = PAGE_HEIGHT - 2 * MARGIN - text_height - 2 * GAP
        if room >= QR_MIN:
            return top, cta, footer, min(room, QR_MAX, CONTENT_WIDTH)
    raise ValueError(f"poster for {card.title!r} has too many lines to fit one page")


def _draw_card(canvas: Canvas, card: PosterCard, heading: str) -> None:
    top, cta, footer, qr_side = _layout(card, heading)
    _draw_blocks(canvas, top, PAGE_HEIGHT - MARGIN)
    bottom = MARGIN
    if footer:
        _draw_blocks(canvas, [footer], MARGIN + footer.height)
        bottom += footer.height + GAP
    # The QR code and its call to action sit together, centred in the space left.
    upper = PAGE_HEIGHT - MARGIN - _stack_height(top) - GAP
    group = qr_side + BLOCK_GAP + cta.height
    qr_top = upper - (upper - bottom - group) / 2
    _draw_qr(canvas, card.link, (PAGE_WIDTH - qr_side) / 2, qr_top - qr_side, qr_side)
    _draw_blocks(canvas, [cta], qr_top - qr_side - BLOCK_GAP)


def poster_pdf(cards: Sequence[PosterCard], *, heading: str = "") -> bytes:
    """A4 PDF with one page per card (a whole station in one file); `heading` tops every page."""
    if not cards:
        raise ValueError("poster_pdf needs at least one card")
    _font()
    buffer = io.BytesIO()
    # The initial font is ours too, so the PDF references no unembedded font at all.
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=True,
        pageCompression=True,
        initialFontName=FONT_NAME,
    )
    canvas.setTitle(heading or cards[0].title)
    for card in cards:
        _draw_card(canvas, card, heading)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
