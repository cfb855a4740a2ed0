"""Staff through the fake Telegram: deadlines, statistics (table, chart, XLSX), QR posters, reassigning."""
from __future__ import annotations

import io
from datetime import timedelta

import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from jobs.contact import overdue_digest
from jobs.registry import JobContext
from models import Deputy
from services import inquiries
from services.i18n import translate
from tests.e2e.test_contact_flow import due, zh
from tests.e2e.test_deputy_inbox import sh
from tests.test_contact import MONDAY, World, actor, build_world, write


def en(message: str, **params: object) -> str:
    return translate("en", message, **params)


async def _open_menu(user, label: str):  # noqa: ANN001, ANN202
    await user.send("/menu")
    await user.press(label, await user.expect())
    return await user.expect()


async def test_deadlines_statistics_chart_and_export(tg, db, start_bot, clock):
    world = await build_world(db)
    late = await write(db, world, "路面塌陷")
    await write(db, world, "楼道灯", deputy=world.far_deputy)
    answered = await write(db, world, "公交站牌", at=MONDAY + timedelta(days=5))
    async with db.session() as s:
        await inquiries.answer(s, await actor(s, World.DEPUTY_USER), answered.id, "已处理", MONDAY + timedelta(days=6))
    clock.set(sh(2026, 3, 13, 8))  # before the daily digest's hour
    await start_bot(send_rate_per_chat=100)
    staff = tg.user(World.CENTRAL_STAFF, "Chen", language_code="en")
    # The sweep runs as the bot starts: the west station has no staff of its own, so staff of all stations hear.
    await staff.wait_for(lambda m: "赵强" in (m.text or "") and "西村代表之家" in m.text)
    staff.drain()

    listing = await _open_menu(staff, en("Deadlines"))
    overdue, soon = listing.text.split(en("Nothing else is due within {days} days.", days=2))[0], listing.text
    assert late.number in overdue and "王芳" in overdue and due("en", -4) in overdue
    assert answered.number not in soon

    await staff.press(en("« Main menu"), listing)
    await staff.press(en("Deputy statistics"), await staff.expect())
    table = await staff.expect(en("Deputies: messages from residents, last 12 months"))
    assert table.entities and any(e["type"] == "pre" for e in table.entities)
    row = next(line for line in table.text.splitlines() if line.startswith("王芳"))
    assert row.split()[1:] == ["2", "1", "0", "1", "1", "0", "0", "0"]  # received, in time, referred, overdue,
    # median days, and the residents' verdicts (solved, partly, unsolved)
    await staff.press(en("Chart"), table)
    chart = await staff.expect()
    assert Image.open(io.BytesIO(chart.photo_bytes)).format in ("PNG", "JPEG")
    await staff.press(en("XLSX"), table)
    export = await staff.expect()
    book = load_workbook(io.BytesIO(export.document_bytes))
    rows = {r[0]: r[1:] for r in book["Deputies"].iter_rows(min_row=2, values_only=True)}
    assert rows["王芳"] == (2, 1, 0, 1, 1, 0, 0, 0) and rows["赵强"] == (1, 0, 0, 1, None, 0, 0, 0)
    assert {r[0] for r in book["Stations"].iter_rows(min_row=2, values_only=True)} == {"东街联络站", "西村代表之家"}
    await staff.press(en("By station"), table)
    assert "东街联络站" in (await staff.expect(en("Stations: messages from residents, last 12 months"))).text


async def test_posters_scan_back_and_a_new_code_retires_the_old_one(tg, db, start_bot):
    world = await build_world(db)
    await start_bot(send_rate_per_chat=100)
    staff = tg.user(World.STATION_STAFF, "Zhou", language_code="zh-hans")
    resident = tg.user(World.RESIDENT, "Li", language_code="zh-hans")

    stations = await _open_menu(staff, zh("QR codes"))
    await staff.press("东街联络站", stations)
    station_menu = await staff.expect()
    await staff.press(zh("Posters for the whole station"), station_menu)
    files = [await staff.next_message() for _ in range(5)]  # station + 3 deputies (PNG) and the PDF
    links = {m.document_name: m.text for m in files[:4]}
    for message in files[:4]:
        decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(message.document_bytes)))]
        assert decoded == [message.text] and message.text.startswith("https://t.me/minsheng_test_bot?start=")
    pdf = PdfReader(io.BytesIO(files[4].document_bytes))
    assert len(pdf.pages) == 4 and any("王芳" in page.extract_text() for page in pdf.pages)

    old_link = links[f"deputy-{world.deputy}.png"]
    await staff.press("王芳", station_menu)
    png, poster = await staff.next_message(), await staff.next_message()
    assert png.text == old_link and "王芳" in PdfReader(io.BytesIO(poster.document_bytes)).pages[0].extract_text()
    await staff.press(zh("New code"), await staff.expect())
    await staff.press(zh("Yes, new code"), await staff.expect())
    await staff.press(zh("Posters"), await staff.expect())
    new_link = (await staff.next_message()).text
    assert new_link != old_link

    await resident.send("/start " + old_link.split("start=")[1])
    withdrawn = await resident.expect(zh("This code was withdrawn or replaced and no longer works."))
    assert links[f"station-{world.station}.png"] in withdrawn.text
    await resident.send("/start " + new_link.split("start=")[1])
    assert zh("Write to this deputy") in (await resident.expect("王芳")).button_texts


async def test_staff_print_the_station_notice_and_posters_name_the_congress(tg, db, start_bot):
    world = await build_world(db)
    async with db.session() as s:
        (await s.get(Deputy, world.deputy)).reception_hours = "每周三 9:00-11:30"
    await start_bot(send_rate_per_chat=100, congress_name="青溪镇人民代表大会")
    staff = tg.user(World.STATION_STAFF, "Zhou", language_code="zh-hans")

    stations = await _open_menu(staff, zh("QR codes"))
    await staff.press("东街联络站", stations)
    station_menu = await staff.expect()
    await staff.press(zh("Notice: deputies and reception hours"), station_menu)
    notice = await staff.expect(zh("Printable A4 notice, without a QR code: the station has no active code "
                                   "(issue one with “New station code”)."))
    text = "".join(PdfReader(io.BytesIO(notice.document_bytes)).pages[0].extract_text().split())
    for expected in ("青溪镇人民代表大会", "东街联络站", "王芳每周三9:00-11:30", "李明", "钱多"):
        assert expected in text
    assert "赵强" not in text and "t.me" not in text

    await staff.press(zh("Posters for the whole station"), station_menu)  # issues the station's code
    files = [await staff.next_message() for _ in range(5)]
    station_link = next(m.text for m in files if m.document_name == f"station-{world.station}.png")
    poster = "".join(PdfReader(io.BytesIO(files[4].document_bytes)).pages[1].extract_text().split())
    assert "青溪镇人民代表大会" in poster and "Telegram" in poster
    await staff.press(zh("Notice: deputies and reception hours"), station_menu)
    notice = await staff.expect(zh("Printable A4 notice with the station's code."))
    page = PdfReader(io.BytesIO(notice.document_bytes)).pages[0]
    assert station_link in "".join(page.extract_text().split())


async def test_staff_reassign_an_inquiry_by_its_number(tg, db, start_bot):
    world = await build_world(db)
    inquiry = await write(db, world, "河道垃圾")
    await start_bot(send_rate_per_chat=100)
    staff = tg.user(World.CENTRAL_STAFF, "Chen", language_code="en")
    far = tg.user(World.FAR_USER, "Zhao", language_code="zh-hans")
    owner = tg.user(World.DEPUTY_USER, "Wang", language_code="zh-hans")

    listing = await _open_menu(staff, en("Deadlines"))
    await staff.press(en("Find a message by its number"), listing)
    await staff.expect()
    await staff.send("DB-2026-999999")
    await staff.expect(en("No message has the tracking number {number}.", number="DB-2026-999999"))
    await staff.send(inquiry.number.lower())
    view = await staff.expect(inquiry.number)
    assert "河道垃圾" in view.text
    await staff.press(en("Reassign to another deputy"), view)
    await staff.press("西村代表之家", await staff.expect())
    await staff.press("赵强", await staff.expect())
    await staff.expect(en("{number} now belongs to deputy {deputy}, who has been told.", number=inquiry.number,
                          deputy="赵强"))
    notice = await far.expect(inquiry.number)
    assert "河道垃圾" in notice.text
    await owner.press_data(f"ibx:open:{inquiry.id}", await owner.expect(inquiry.number))  # the old notice
    assert (await owner.next_callback_answer()).text == zh("You are not allowed to do that.")


async def test_the_daily_overdue_digest_is_sent_once_a_day(tg, db, start_bot, clock):
    world = await build_world(db)
    inquiry = await write(db, world)
    clock.set(sh(2026, 3, 11, 8, 30))
    app = await start_bot(send_rate_per_chat=100)
    staff = tg.user(World.STATION_STAFF, "Zhou", language_code="zh-hans")
    await staff.wait_for(lambda m: "东街联络站" in (m.text or ""))  # the overdue alert of the start-up sweep
    staff.drain()
    job = JobContext(app.ctx, app.sender)
    assert "waiting" in await overdue_digest(job, clock())
    for _ in range(2):
        await overdue_digest(job, clock.set(sh(2026, 3, 11, 9, 15)))
    digest = await staff.expect(inquiry.number)
    assert due("zh_CN", -2) in digest.text
    await staff.no_message()
    await overdue_digest(job, clock.set(sh(2026, 3, 12, 9, 15)))
    assert due("zh_CN", -3) in (await staff.expect(inquiry.number)).text
