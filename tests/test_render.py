"""QR codes, A4 posters and charts as a resident or a staff member would see them."""
from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from services.render.chart import bar_chart_png
from services.render.fonts import FontMissingError, cjk_font_path
from services.render.poster import FONT_NAME, QR_MIN, QR_QUIET_ZONE, PosterCard, poster_pdf
from services.render.qr import qr_code, qr_png

REPO = Path(__file__).resolve().parent.parent
SHORT_LINK = "https://t.me/minsheng_bot?start=d_AbC123"
LONG_LINK = "https://t.me/minsheng_bot?start=d_" + "AbC123xyz_-" * 6  # 64-char payload
CTA = "扫码给代表写信"


def _card(name: str, station: str, link: str = SHORT_LINK, footer: str = "") -> PosterCard:
    return PosterCard(
        title=name, lines=["区人大代表", station], call_to_action=CTA, link=link, footer=footer
    )


def _decode(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def _page_qr_image(page, scale: float = 2.0) -> Image.Image:
    """Rasterise the page's filled rectangles (the vector QR code) into an image."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    image = Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    pending: list[tuple[float, float, float, float]] = []
    for operands, operator in page.get_contents().operations:
        if operator == b"re":
            pending.append(tuple(float(value) for value in operands))
        elif operator in (b"f", b"f*", b"F", b"B", b"B*"):
            for x, y, w, h in pending:
                left, top = x * scale, (height - y - h) * scale
                draw.rectangle([left, top, left + w * scale - 1, top + h * scale - 1], fill=0)
            pending = []
        elif operator in (b"n", b"S", b"s"):
            pending = []
    return image


def _text_runs(page) -> list[tuple[str, float, float, float]]:
    """(text, x, baseline y, font size) of every text run drawn on the page."""
    runs = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            runs.append((text.strip(), tm[4], tm[5], font_size * tm[0]))

    page.extract_text(visitor_text=visit)
    return runs


@pytest.mark.parametrize("link", [SHORT_LINK, LONG_LINK])
def test_qr_png_scans_back_to_the_deep_link(link: str) -> None:
    png = qr_png(link, scale=6, border=4)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert _decode(image) == [link]
    # The quiet zone is really there: the outermost 4 modules are white.
    assert image.convert("L").crop((0, 0, image.width, 4 * 6)).getextrema() == (255, 255)


def test_poster_has_one_page_per_card_with_real_text_in_an_embedded_font() -> None:
    cards = [
        _card("张伟", "城关街道人大代表联络站", footer="接待时间：每月第一个星期三 9:00–11:30"),
        _card("陳達", "臺北路社區聯絡站", link=LONG_LINK),
        _card("李娜", "东城街道人大代表联络站"),
    ]
    reader = PdfReader(io.BytesIO(poster_pdf(cards, heading="城关街道")))

    assert len(reader.pages) == len(cards)
    for card, page in zip(cards, reader.pages):
        text = page.extract_text()
        for expected in (card.title, card.lines[1], CTA, "城关街道"):
            assert expected in text
        if card.footer:
            assert card.footer in text
        fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
        assert fonts
        for font in fonts:
            subset_tag, _, family = str(font["/BaseFont"]).lstrip("/").partition("+")
            assert (len(subset_tag), family) == (6, "SimHei")  # "/AAAAAA+SimHei": a subset
            assert "/FontFile2" in font["/FontDescriptor"]
        assert not page.images  # the QR code is vector, and text is not an image either


def test_poster_qr_code_scans_to_each_deputys_link() -> None:
    links = [f"{SHORT_LINK}{index:03d}" for index in range(3)] + [LONG_LINK]
    reader = PdfReader(io.BytesIO(poster_pdf([_card("张伟", "城关街道", link) for link in links])))
    for link, page in zip(links, reader.pages):
        assert _decode(_page_qr_image(page)) == [link]
        uris = [annot.get_object()["/A"]["/URI"] for annot in page["/Annots"]]
        assert uris == [link]  # clicking the code in a PDF viewer opens the bot too


def test_very_long_texts_stay_inside_the_page_and_off_the_qr_code() -> None:
    name = "阿卜杜热合曼·买买提艾力·阿不都克里木·司马义"
    station = "伊犁哈萨克自治州察布查尔锡伯自治县孙扎齐牛录镇人大代表之家暨人大代表联络站" * 5
    card = PosterCard(
        title=name,
        lines=["新疆维吾尔自治区伊犁哈萨克自治州察布查尔锡伯自治县人大代表", station],
        call_to_action=CTA * 4,
        link=LONG_LINK,
        footer="接待时间：每月第一个星期三上午九点至十一点半；" * 8,
    )
    page = PdfReader(io.BytesIO(poster_pdf([card], heading=station))).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)

    text = "".join(page.extract_text().split())  # line breaks come back as spaces
    assert name in text  # the name wraps but is never cut
    assert "\u2026" in text  # the absurd station name is shortened, visibly

    qr = _page_qr_image(page, scale=1).point(lambda value: 255 - value).getbbox()
    modules = qr_code(LONG_LINK).symbol_size(scale=1, border=0)[0]
    assert qr is not None  # still big enough to scan from arm's length:
    assert qr[3] - qr[1] >= QR_MIN * modules / (modules + 2 * QR_QUIET_ZONE) - 2
    qr_top, qr_bottom = height - qr[1], height - qr[3]
    for run, x, baseline, size in _text_runs(page):
        right = x + pdfmetrics.stringWidth(run, FONT_NAME, size)
        assert 0 < x and right < width, run
        assert size * 0.2 < baseline and baseline + size < height, run
        assert baseline + size <= qr_bottom or baseline - size * 0.2 >= qr_top, run
    assert _decode(_page_qr_image(page)) == [LONG_LINK]


def test_poster_without_cards_is_refused() -> None:
    with pytest.raises(ValueError):
        poster_pdf([])


def test_chart_is_a_png_of_the_requested_size_without_missing_glyphs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes a failure
        png = bar_chart_png(
            "各街道民生建议数量（2025年）",
            ["城关街道", "東城街道", "西城街道人大代表联络站", "南湖镇"],
            {"已提交": [12, 7, 3, 0], "已答复": [10, 5, 3, 0], "逾期": [0, -2, 1, 0]},
            ylabel="件数",
            size=(900, 500),
        )
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (900, 500)
    assert len(image.convert("RGB").getcolors(1 << 16) or []) > 10  # bars drawn, not blank


def test_chart_refuses_a_series_that_does_not_match_the_categories() -> None:
    with pytest.raises(ValueError, match="已答复"):
        bar_chart_png("标题", ["甲", "乙"], {"已提交": [1, 2], "已答复": [1]})


def test_importing_chart_does_not_import_matplotlib() -> None:
    code = "import sys, services.render.chart; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_missing_font_is_reported_clearly() -> None:
    assert cjk_font_path().is_file()
    with pytest.raises(FontMissingError, match="NoSuchFont.ttf.*mplfonts"):
        cjk_font_path("NoSuchFont.ttf")
