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
from services.render.poster import (FONT_NAME, QR_MIN, QR_QUIET_ZONE, PosterCard, StationSheet, poster_pdf,
                                    station_sheet_pdf)
from services.render.qr import qr_code, qr_png

REPO = Path(__file__).resolve().parent.parent
SHORT_LINK = "https://t.me/minsheng_bot?start=d_AbC123"
LONG_LINK = "https://t.me/minsheng_bot?start=d_" + "AbC123xyz_-" * 6  # 64-char payload
CTA = "扫码给代表写信"
NOTE = "扫码或打开链接均进入 Telegram 应用。"


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


def _inside_and_off_the_code(page) -> None:  # noqa: ANN001
    """Every text run lies inside the page and clear of the QR code (if the page has one)."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    qr = _page_qr_image(page, scale=1).point(lambda value: 255 - value).getbbox()
    for run, x, baseline, size in _text_runs(page):
        right = x + pdfmetrics.stringWidth(run, FONT_NAME, size)
        assert 0 < x and right < width, run
        assert size * 0.2 < baseline and baseline + size < height, run
        if qr is not None:
            assert baseline + size <= height - qr[3] or baseline - size * 0.2 >= height - qr[1], run


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
        link_note=NOTE * 6,
    )
    page = PdfReader(io.BytesIO(poster_pdf([card], heading=station, congress=station))).pages[0]

    text = "".join(page.extract_text().split())  # line breaks come back as spaces
    assert name in text  # the name wraps but is never cut
    assert "\u2026" in text  # the absurd station name is shortened, visibly

    qr = _page_qr_image(page, scale=1).point(lambda value: 255 - value).getbbox()
    modules = qr_code(LONG_LINK).symbol_size(scale=1, border=0)[0]
    assert qr is not None  # still big enough to scan from arm's length:
    assert qr[3] - qr[1] >= QR_MIN * modules / (modules + 2 * QR_QUIET_ZONE) - 2
    _inside_and_off_the_code(page)
    assert _decode(_page_qr_image(page)) == [LONG_LINK]


def test_poster_names_the_congress_and_writes_the_link_out_under_the_code() -> None:
    cards = [PosterCard(title="张伟", lines=["区人大代表"], call_to_action=CTA, link=link, link_note=NOTE)
             for link in (SHORT_LINK, LONG_LINK)]
    reader = PdfReader(io.BytesIO(poster_pdf(cards, heading="代表码", congress="青溪镇人民代表大会")))
    for card, page in zip(cards, reader.pages):
        runs = _text_runs(page)
        baseline = {text: y for text, _x, y, _size in runs}
        assert baseline["青溪镇人民代表大会"] > baseline["代表码"] > baseline["张伟"]  # the congress tops the page
        text = "".join(page.extract_text().split())
        assert card.link in text  # whole, even where it wraps
        link_runs = [(y, size) for text, _x, y, size in runs if text.startswith("https://") or "start=" in text]
        assert link_runs and min(size for _y, size in link_runs) >= 12  # big enough to type from
        qr_bottom = float(page.mediabox.height) - _page_qr_image(page, 1).point(lambda v: 255 - v).getbbox()[3]
        assert all(y < qr_bottom for y, _size in link_runs)  # under the code
        assert "".join(NOTE.split()) in text and baseline[NOTE] < min(y for y, _s in link_runs)
        _inside_and_off_the_code(page)
        assert _decode(_page_qr_image(page)) == [card.link]


def test_station_sheet_lists_every_deputy_with_their_hours_over_as_many_pages_as_needed() -> None:
    rows = [(f"代表{index:02d}", f"每月第{index % 4 + 1}个星期三 9:00–11:30") for index in range(45)]
    rows.append(("阿卜杜热合曼·买买提艾力·阿不都克里木", "每月第一个星期三上午九点至十一点半；" * 3))
    sheet = StationSheet(title="城关街道人大代表联络站", lines=["城关街道人民路1号"], columns=("代表", "接待时间"),
                         rows=rows, call_to_action="扫码联系本站代表", link=LONG_LINK, link_note=NOTE)
    reader = PdfReader(io.BytesIO(station_sheet_pdf(sheet, heading="本站代表及接待时间", congress="城关街道")))

    assert len(reader.pages) > 1
    texts = ["".join(page.extract_text().split()) for page in reader.pages]
    for name, hours in rows[:-1]:
        assert sum(name in text for text in texts) == 1, name
        assert any(name + "".join(hours.split()) in text for text in texts), name  # on the same line
    assert any("阿卜杜热合曼·买买提艾力" in text for text in texts)  # a very long row still shows the name
    for page, text in zip(reader.pages, texts):
        assert "城关街道人大代表联络站" in text and "接待时间" in text and LONG_LINK in text
        assert _decode(_page_qr_image(page)) == [LONG_LINK]  # each page pinned up alone still leads to the bot
        _inside_and_off_the_code(page)
        sizes = {size for run, _x, _y, size in _text_runs(page) if run.startswith("代表") and run[2:4].isdigit()}
        assert sizes and min(sizes) >= 11  # readable on a notice board
        assert min(size for run, _x, _y, size in _text_runs(page) if run.startswith("https://")) >= 12


def test_station_sheet_without_a_code_has_no_qr_code() -> None:
    sheet = StationSheet(title="西岭村代表之家", lines=[""], columns=("代表", "接待时间"), rows=[("李娜", "另行公布")])
    page = PdfReader(io.BytesIO(station_sheet_pdf(sheet))).pages[0]
    text = "".join(page.extract_text().split())
    assert "李娜另行公布" in text and "https://" not in text
    assert _page_qr_image(page).getextrema() == (255, 255)  # nothing drawn where a code would be


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
