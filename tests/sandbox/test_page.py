"""The sandbox page in Chromium: the four-order walk a newcomer makes, role by role, through the real bot.

The seeded people read the bot in Simplified Chinese, so the bot's words are looked up in
the catalogue; the page itself is in English.
"""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from models import Deputy, Station
from models.contact import Inquiry
from services import inquiries
from services.i18n import translate
from services.suggestions import AUTHOR_NOTICES

RESIDENT, NEIGHBOUR, OFFICE = 1001, 1003, 3001  # 李秀英 and 何静 of East Street; 张敏, serving every station


def zh(message: str, **params: object) -> str:
    return translate("zh_CN", message, **params)


def opening(message: str, **params: object) -> str:
    """The Chinese of `message` up to its first placeholder, without markup: what the page shows first."""
    sentinel = "\x00"
    text = zh(message, **{**dict.fromkeys(re.findall(r"\{(\w+)\}", message), sentinel), **params})
    return re.sub(r"<[^>]+>", "", text.split(sentinel)[0])


async def play(page, persona: int) -> None:  # noqa: ANN001
    await page.click(f'.persona[data-persona="{persona}"]')
    await page.locator(f'.persona.active[data-persona="{persona}"]').wait_for()


async def says(page, text: str):  # noqa: ANN001, ANN201
    """The newest bot message showing `text`, once it is on the page."""
    found = page.locator(".msg.bot", has_text=text).last
    await found.wait_for(timeout=10_000)
    return found


async def press(page, label: str) -> None:  # noqa: ANN001
    await page.locator(".inline-btn", has_text=label).last.click()


async def write(page, text: str) -> None:  # noqa: ANN001
    await page.fill("#composer-text", text)
    await page.press("#composer-text", "Enter")


async def overdue_alert(sandbox, number: str) -> str:  # noqa: ANN001
    """The overdue alert staff get for inquiry `number`, as the bot words it."""
    async with sandbox.app.ctx.db.session() as session:
        inquiry = await session.scalar(select(Inquiry).where(Inquiry.number == number))
        deputy = await session.get(Deputy, inquiry.deputy_id)
        station = await session.get(Station, inquiry.station_id)
    return zh("Overdue: message {number} to deputy {deputy} ({station}), received {received}, was due {due} and has "
              "been neither answered nor referred.", number=number, deputy=deputy.name, station=station.name,
              received=inquiries.local_day(inquiry.created_at), due=inquiry.due_on.isoformat(),
              alias=inquiry.resident_alias)


async def test_suggest_triage_scan_write_and_the_overdue_alert_a_week_later(page, sandbox, tmp_path):
    from playwright.async_api import expect

    photo = tmp_path / "street.png"
    photo.write_bytes(_png())

    # A resident suggests a project with a photo from disk and a place of the township.
    await play(page, RESIDENT)
    await write(page, "/menu")
    await says(page, zh("Main menu. What would you like to do?"))
    await press(page, zh("Suggest a project"))
    await says(page, zh("Which kind of project do you suggest?"))
    await press(page, zh("Roads and transport"))
    await says(page, zh("Describe what is needed and why, in your own words ({min} to {max} characters). "
                        "You may send a photo with the description as its caption.", min=5, max=2000))
    await write(page, "东街小学后门的路灯坏了，晚上接孩子看不见路。")
    await says(page, zh("Send photos of the place, one by one or as an album: up to {max}, you have {count}. "
                        "Press Done when you have finished; photos are optional.", max=5, count=0))
    await page.set_input_files("#file-input", str(photo))
    await says(page, zh("Photos saved: {count} of {max}.", count=1, max=5))
    await expect(page.locator(".msg.user img")).to_have_count(1)
    await press(page, zh("Done"))
    await says(page, zh("Which liaison station's area is it in?"))
    await press(page, "东街社区代表联络站")
    await says(page, zh("Where exactly? Send the location (📎 → Location, or the button below), "
                        "or type the village and street."))
    await page.locator(".reply-btn", has_text=zh("📍 Send my location")).click()
    await page.locator(".place", has_text="东街小学门口").click()
    await says(page, zh("Place: {place}", place="东街小学门口"))
    await press(page, zh("Yes, show my name"))
    await says(page, zh("<b>Please check your suggestion before sending it.</b>").replace("<b>", "").replace("</b>", ""))
    await press(page, zh("✅ Send"))
    receipt = await (await says(page, opening(
        "Thank you! Your suggestion is registered as <b>{number}</b>.\n\nWhat happens next: the congress office reviews "
        "the suggestions, merges similar ones and builds the candidate pool; the deputies then vote on the livelihood "
        "projects at the people's congress. You will get a message here at every step.\n\nAsk your neighbours to "
        "support it with this link:\n{link}"))).inner_text()
    number = re.search(r"MS-2026-\d{6}", receipt).group()

    # Staff find it in the queue and accept it into the candidate pool.
    await play(page, OFFICE)
    await write(page, "/menu")
    await press(page, zh("Suggestion queue"))
    await says(page, zh("Filter: {category} · {station} · {status}", category=zh("all categories"),
                        station=zh("all station areas"), status=zh("waiting for a decision")))
    await press(page, zh("Category"))
    await press(page, zh("Roads and transport"))
    await says(page, number)
    await press(page, number)
    await says(page, zh("Accept into the pool"))
    await expect(page.locator(".msg.bot .pictures img")).not_to_have_count(0)  # the resident's photo
    await press(page, zh("Accept into the pool"))
    await says(page, zh("New candidate project from {number}. Its title ({max} characters at most):",
                        number=number, max=120))
    await write(page, "东街小学后门路灯修复")
    await press(page, zh("Use the suggestion's description"))
    await says(page, zh("The estimated cost in yuan, as a number (for example 400000):"))
    await write(page, "30000")
    await press(page, "青溪镇城乡建设办公室")
    await says(page, zh("Accepted into the candidate pool as «{title}». The resident has been told.",
                        title="东街小学后门路灯修复"))

    # Another resident scans deputy 王芳's code on the page and writes to her.
    await play(page, NEIGHBOUR)
    await page.locator(".code[data-kind=deputy]", has_text="王芳").locator("button.qr").click()
    await says(page, zh("You can write to this deputy or ask to meet them. The deputy will not see your Telegram "
                        "name or account."))
    await press(page, zh("Write to this deputy"))
    await write(page, "东街菜场门口下水道堵了三天，污水漫到路上。")
    await press(page, zh("Continue"))
    await press(page, zh("Send without location"))
    receipt = await says(page, opening("Sent to deputy {deputy}. Your tracking number is {number}; an answer is due by "
                                       "{due}. The answer will arrive in this chat.", deputy="王芳"))
    written = re.search(r"DB-2026-\d{6}", await receipt.inner_text()).group()

    # A week later the office hears of the message an East Street deputy left unanswered; a day
    # more, of the one just written.
    async with sandbox.app.ctx.db.session() as session:  # seeded: 李秀英 wrote to 王芳 five days before
        waiting = await session.scalar(select(Inquiry.number).join(Deputy, Deputy.id == Inquiry.deputy_id)
                                       .where(Deputy.name == "王芳", Inquiry.resident_id == RESIDENT))
    await play(page, OFFICE)
    assert await page.locator(".msg.bot", has_text=waiting).count() == 0
    await page.click("[data-step=week]")
    await says(page, await overdue_alert(sandbox, waiting))
    assert await page.locator(".msg.bot", has_text=await overdue_alert(sandbox, written)).count() == 0
    await page.click("[data-step=day]")
    await says(page, await overdue_alert(sandbox, written))
    await expect(page.locator("#clock-ahead")).to_have_text("8 d 0 h ahead")

    # The first resident heard that the suggestion went into the pool.
    await play(page, RESIDENT)
    await says(page, zh(AUTHOR_NOTICES["accepted"], number=number, title="东街小学后门路灯修复"))


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(out, "PNG")
    return out.getvalue()


EMMA = 1005  # reads the bot in English; staff asked her a question about her suggestion


async def test_documents_open_links_answer_alerts_and_each_persona_keeps_its_chat(page, sandbox):
    from openpyxl import load_workbook
    from playwright.async_api import expect

    # Staff export the candidate pool: the spreadsheet opens from the chat with its own type.
    await play(page, OFFICE)
    await write(page, "/menu")
    await press(page, zh("Candidate pool"))
    await press(page, zh("Export to XLSX"))
    card = page.locator(".msg.bot a.file-card", has_text=".xlsx").last
    await card.wait_for()
    opened = await page.request.get(sandbox.url + await card.get_attribute("href"))
    assert opened.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(await opened.body())).active
    titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "东街小学周边交通安全改造" in titles

    # Emma answers the office's question; the old button, pressed again, is answered with an alert.
    await play(page, EMMA)
    await says(page, "Do you mean West Ridge primary school?")
    await press(page, "Answer the question")
    await says(page, "Type your answer:")
    await write(page, "Yes, West Ridge primary. Fifty books would be a good start.")
    await says(page, "Thank you. Your answer has been passed on to the congress office.")
    await press(page, "Answer the question")
    await expect(page.locator("#alert-text")).to_have_text("There is no open question about this suggestion any more.")
    await page.click("#alert-ok")

    # The share link on a resident's suggestion opens the bot's card, as t.me links do in Telegram.
    await play(page, RESIDENT)
    await write(page, "/menu")
    await press(page, zh("My suggestions"))
    await press(page, "MS-2026-000001")
    await page.locator(".msg.bot a", has_text="?start=s_").last.click()
    await says(page, zh("This is your own suggestion. Share the link so that neighbours can support it."))

    # Back to the office: its conversation is where it was, and the page speaks Chinese on request.
    await play(page, OFFICE)
    await expect(page.locator(".msg.bot a.file-card", has_text=".xlsx")).to_have_count(1)
    await page.select_option("#language", "zh_CN")
    await expect(page.locator("h1")).to_have_text("民生实事机器人演练场")
    await expect(page.locator("[data-step=week]")).to_have_text("快进 1 周")


async def test_decide_deliver_and_verify_as_a_deputy_and_a_department_clerk(page, sandbox):
    """The other three orders, as the seeded township has them: a deputy finds the vote ahead and
    the project they supervise with their site visit; the clerk finds the deputy's question from
    the site, and their projects with the plan and quarterly report filed."""
    from models.projects import Project

    deputy, clerk = sandbox.town.persona("deputy", "wang").id, sandbox.town.persona("department", "huang").id
    async with sandbox.app.ctx.db.session() as session:
        crossing = await session.scalar(select(Project).order_by(Project.seq))
    meeting = sandbox.town.data["vote"]["meeting"]

    await play(page, deputy)  # Decide: the session ahead, briefed
    await write(page, "/menu")
    await press(page, zh("Vote at the congress"))
    await says(page, meeting)
    await write(page, "/menu")  # Verify: the group they lead, and what they filed from the site
    await press(page, zh("My supervised projects"))
    await says(page, zh("group leader"))
    await press(page, f"{crossing.number} {crossing.title}"[:60])
    await says(page, opening("Site visits: {n}; the latest on {day}: {assessment}"))

    await play(page, clerk)  # Deliver: the issue raised on site reached the implementing department
    await says(page, sandbox.town.data["verify"]["visits"][0]["issues"])
    await write(page, "/menu")
    await press(page, zh("My projects"))
    await press(page, f"{crossing.number} {crossing.title}"[:60])
    shown = await says(page, opening("Progress: {bar}"))
    assert "%" in await shown.inner_text()
