"""Staff triage suggestions into the candidate pool, end to end: each resident hears it in their language."""
from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from handlers.pool import ItemCb, QueueCb
from models import AuditEvent, Notification, NotificationStatus, Role, User
from models.suggestions import Candidate, ReasonTemplate, Suggestion
from services import directory, people, suggestions
from services.auth import load_actor
from services.i18n import translate
from services.suggestions import DEFAULT_REASONS, Draft, Rules
from fakebot import make_png
from tests.support.waiting import eventually

STAFF, CN, TW, EN, DEPUTY = 801, 802, 803, 804, 805


async def becomes(user, message, text: str):
    """`message` once it has been edited into a screen showing `text`."""
    return await user.wait_for(lambda m: m is message and text in (m.text or ""))


async def seed(app, author: int, lang: str, **changes) -> Suggestion:
    settings = app.ctx.settings
    rules = Rules(tuple(settings.suggestion_categories), settings.suggestions_per_day, settings.tz)
    async with app.ctx.db.session() as s:
        user, _ = await people.ensure_user(s, people.Contact(author, f"Author{author}", None, lang))
        draft = Draft(**{"category": "roads", "description": f"Suggestion of {author}: lights on East Lane.",
                         "place_text": "East Lane", **changes})
        return await suggestions.submit(s, await load_actor(s, user), rules, draft, app.ctx.now())


async def make_staff(app, uid: int = STAFF) -> None:
    async with app.ctx.db.session() as s:
        await people.ensure_user(s, people.Contact(uid, "Zhou", None, "en"))
        await people.grant_role(s, uid, Role.staff, by=None)


async def open_queue(staff, expect: str = "oldest first"):
    """The queue screen, once it shows `expect`."""
    staff.drain()
    await staff.send("/menu")
    menu = await staff.expect("Main menu")
    await staff.press("Suggestion queue")
    return await staff.wait_for(lambda m: m is menu and "oldest first" in (m.text or "") and expect in m.text)


async def open_item(staff, number: str) -> None:
    queue = await open_queue(staff, number)
    await staff.press(number, queue)
    await staff.expect(number)


def photo_ids(tg, n: int) -> list[tuple[str, str]]:
    stored = [tg.files.store("photo", make_png(4, 3, (i * 40, 90, 160))) for i in range(n)]
    return [(f.file_id, f.file_unique_id) for f in stored]


async def test_staff_accept_merge_and_reject_each_resident_hears_it_in_their_language(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    cn = await seed(app, CN, "zh-hans", photos=photo_ids(tg, 2), latitude=22.35, longitude=110.95)
    tw = await seed(app, TW, "zh-hant", category="other")
    en = await seed(app, EN, "en", category="culture_sports")
    residents = {uid: tg.user(uid, language_code=code) for uid, code in ((CN, "zh-hans"), (TW, "zh-hant"), (EN, "en"))}
    async with app.ctx.db.session() as s:  # the English resident supports the Traditional-Chinese one's
        await suggestions.support(s, await load_actor(s, await s.get(User, EN)), tw.share_code, app.ctx.now())
    staff = tg.user(STAFF, "Zhou", language_code="en")

    # the queue, oldest first, with support counts; opening one shows photos, the place and the card
    listing = await open_queue(staff, "3 found")
    assert listing.text.index(cn.number) < listing.text.index(tw.number) < listing.text.index(en.number)
    assert "supporters: 1" in listing.text
    await staff.press(cn.number)
    album = [await staff.next_message(), await staff.next_message()]
    assert all(m.photo_bytes for m in album) and album[0].media_group_id == album[1].media_group_id
    assert (await staff.next_message()).kind == "location"
    card = await staff.expect(cn.number)
    assert "under review" in card.text and "Suggestion of 802" in card.text
    await residents[CN].expect(translate("zh_CN", suggestions.AUTHOR_NOTICES["under_review"], number=cn.number))

    # accept into the pool: a small form with a bad cost on the way
    await staff.press("Accept into the pool")
    await staff.expect("Its title")
    await staff.send("East Lane street lights")
    await staff.expect("A summary for the deputies")
    await staff.press("Use the suggestion's description")
    await staff.expect("estimated cost in yuan")
    await staff.send("about forty thousand")
    await staff.expect("as a number, for example 400000")
    await staff.send("40,000")
    await staff.expect("implementing unit")
    await staff.send("County Transport Bureau")
    await staff.expect("Accepted into the candidate pool as «East Lane street lights»")
    await residents[CN].expect(translate("zh_CN", suggestions.AUTHOR_NOTICES["accepted"], number=cn.number,
                                         title="East Lane street lights"))

    # merge the Traditional-Chinese resident's suggestion; its supporter hears it too, in English
    await open_item(staff, tw.number)
    await staff.press("Merge into a candidate")
    await staff.expect("into which candidate project")
    await staff.press("East Lane street lights")
    await staff.expect("Merged into «East Lane street lights»")
    under_review, merged = await residents[TW].next_message(), await residents[TW].next_message()
    assert under_review.text == translate("zh_TW", suggestions.AUTHOR_NOTICES["under_review"], number=tw.number)
    assert merged.text == translate("zh_TW", suggestions.AUTHOR_NOTICES["merged"], number=tw.number,
                                    title="East Lane street lights")
    await residents[EN].expect(f"Update on suggestion {tw.number}, which you support: merged into a candidate project.")

    # not adopted, with a built-in reason translated for the English resident
    await open_item(staff, en.number)
    await staff.press("Not adopt")
    reasons = await staff.expect("Why is")
    assert DEFAULT_REASONS["budget"] in reasons.text
    await staff.press("1")
    await staff.expect(f"{en.number} is not adopted")
    await residents[EN].expect(en.number)  # under review
    notice = await residents[EN].expect(f"Your suggestion {en.number} was not adopted.")
    assert DEFAULT_REASONS["budget"] in notice.text

    # the pool shows who stands behind the candidate; staff edit it
    await staff.send("/menu")
    screen = await staff.expect("Main menu")
    await staff.press("Candidate pool")
    pool = await becomes(staff, screen, "1 candidates.")
    assert "County Transport Bureau" in pool.text and "40,000 yuan" in pool.text and "supporters: 1" in pool.text
    await staff.press("East Lane street lights", screen)
    candidate = await becomes(staff, screen, "Behind it: 2 suggestions, 1 supporters, 2 residents")
    assert cn.number in candidate.text and tw.number in candidate.text
    await staff.press("Edit cost")
    await staff.expect("estimated cost in yuan")
    await staff.send("120000")
    assert "120,000 yuan" in (await staff.expect("Saved.")).text

    # exports: the pool and the whole queue, opened as spreadsheets
    await staff.press("« Candidate pool")
    await staff.wait_for(lambda m: "1 candidates." in (m.text or "") and "Export to XLSX" in m.button_texts)
    await staff.press("Export to XLSX")
    document = await staff.expect("Candidate pool")
    sheet = load_workbook(BytesIO(document.document_bytes)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Candidate no.", "Title", "Summary", "Estimated cost (yuan)", "Implementing unit")
    assert rows[1][1] == "East Lane street lights" and rows[1][3] == 120000 and rows[1][4] == "County Transport Bureau"
    assert rows[1][6:9] == (2, 1, 2) and rows[1][9] == f"{cn.number}, {tw.number}"

    queue = await open_queue(staff)
    await staff.press("Status", queue)
    await becomes(staff, queue, "Show which suggestions?")
    await staff.press("all statuses", queue)
    await becomes(staff, queue, "3 found")
    await staff.press("Export to XLSX", queue)
    exported = await staff.expect("Suggestions")
    rows = list(load_workbook(BytesIO(exported.document_bytes)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Number", "Received", "Status", "Category")
    assert [(r[0], r[2]) for r in rows[1:]] == [(cn.number, "accepted into the candidate pool"),
                                                (tw.number, "merged into a candidate project"),
                                                (en.number, "not adopted")]
    assert rows[3][15] == DEFAULT_REASONS["budget"] and rows[1][12] == 2 and rows[2][11] == 1

    async def audited() -> bool:  # the last handler commits just after its answer went out
        async with app.ctx.db.session() as s:
            actions = set(await s.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == STAFF)))
        return {"suggestion.review", "candidate.create", "suggestion.accept", "suggestion.merge", "suggestion.reject",
                "candidate.edit", "suggestion.export", "candidate.export"} <= actions

    await eventually(audited)


async def test_question_relayed_both_ways_and_a_blocked_resident_gets_the_verdict_later(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    made = await seed(app, TW, "zh-hant")
    resident = tg.user(TW, "Chen", language_code="zh-hant")
    staff = tg.user(STAFF, "Zhou", language_code="en")

    def tw(message: str, **params) -> str:
        return translate("zh_TW", message, **params)

    await open_item(staff, made.number)
    await resident.expect(made.number)  # under review
    await staff.press("Ask for information")
    await staff.expect("without revealing who asks")
    await staff.send("Which end of East Lane is darkest?")
    await staff.expect("The question has been sent")
    question = await resident.expect("Which end of East Lane is darkest?")
    assert "Zhou" not in question.text
    await resident.press(tw("Answer the question"))
    prompt = tw("Question about your suggestion {number}:\n<i>{question}</i>\n\nType your answer:",
                number=made.number, question="Which end of East Lane is darkest?")
    await resident.expect(prompt.replace("<i>", "").replace("</i>", ""))
    await resident.send_sticker()
    await resident.expect(tw("Please send your answer as text (or use the buttons above), or send /cancel."))
    await resident.send("靠近小學的那一頭，大約兩百米。")
    await resident.expect(tw("Thank you. Your answer has been passed on to the congress office."))
    relayed = await staff.expect(f"Answer about suggestion {made.number}")
    assert "靠近小學的那一頭" in relayed.text and "Chen" not in relayed.text
    await staff.press("Open the suggestion")
    card = await staff.expect(made.number)
    assert "Which end of East Lane" in card.text and "靠近小學" in card.text

    await staff.press("Internal note")
    await staff.expect("the resident never sees it")
    await staff.send("Checked on site: three lamps missing.")
    await staff.expect("Note saved.")
    await resident.no_message(within=0.3)

    resident.block_bot()
    await open_item(staff, made.number)
    await staff.press("Not adopt")
    await staff.expect("Why is")
    await staff.press("Write another reason")
    await staff.expect("Type the reason")
    await staff.send("The village committee will repair the lamps this month.")
    await staff.expect("Reason given to the resident")
    await staff.press("Not adopt, and keep the reason as a template")
    await staff.expect(f"{made.number} is not adopted")

    async def held() -> bool:
        async with app.ctx.db.session() as s:
            rows = await s.scalars(select(Notification.status).where(Notification.chat_id == TW))
            return NotificationStatus.blocked in list(rows)

    await eventually(held)
    resident.unblock_bot()
    await resident.send("/menu")
    verdict = await resident.wait_for(lambda m: "The village committee will repair" in (m.text or ""))
    assert tw("Your suggestion {number} was not adopted.\nReason: {reason}", number=made.number,
              reason="x").split("\n")[0] in verdict.text
    async with app.ctx.db.session() as s:
        assert await s.scalar(select(ReasonTemplate.text).where(ReasonTemplate.key.is_(None))) == \
            "The village committee will repair the lamps this month."


async def test_residents_pressing_staff_buttons_are_refused_and_nothing_changes(tg, start_bot):
    app = await start_bot()
    made = await seed(app, CN, "zh-hans")
    intruder = tg.user(EN, "Eve", language_code="en")
    await intruder.send("/menu")
    await intruder.expect("Welcome to Minsheng bot")  # its first contact
    await intruder.expect("Main menu")
    for forged in (ItemCb(act="accept", id=made.id), ItemCb(act="reason", id=made.id, arg=1),
                   QueueCb(act="view", id=made.id), QueueCb(act="export")):
        await intruder.press_data(forged.pack())
        answer = await intruder.next_callback_answer()
        assert answer.show_alert and "not allowed" in answer.text
    await intruder.no_message(within=0.3)
    async with app.ctx.db.session() as s:
        assert (await s.get(Suggestion, made.id)).status == "received"
        assert await s.scalar(select(Candidate.id)) is None


async def test_a_deputy_logs_a_station_suggestion_that_staff_see_with_its_source(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    async with app.ctx.db.session() as s:
        await people.ensure_user(s, people.Contact(DEPUTY, "Wang", None, "en"))
        station = await directory.add_station(s, None, "West Village Station")
        deputy = await directory.add_deputy(s, None, directory.DeputyFields("Wang Fang", station_id=station.id))
        deputy.user_id = DEPUTY
        await people.grant_role(s, DEPUTY, Role.deputy, by=None)
    wang = tg.user(DEPUTY, "Wang", language_code="en")
    await wang.send("/menu")
    await wang.expect("Main menu")
    await wang.press("Log a visit suggestion")
    await wang.expect("Where did residents raise it?")
    await wang.press("At the liaison station")
    await wang.expect("Source: collected by a deputy at a liaison station")
    await wang.expect("How many residents raised it")
    await wang.send("a dozen")
    await wang.expect("digits, from 1 to 100000")
    await wang.send("12")
    await wang.expect("Which kind of project")
    await wang.press("Elderly care")
    await wang.expect("Category: Elderly care")
    await wang.expect("Describe what is needed")
    await wang.send("Residents of West Village ask for a day-care room for the elderly.")
    await wang.expect("Send photos of the place")
    await wang.press("Done")
    await wang.expect("Where exactly?")  # the station area is the deputy's own station: not asked
    await wang.send("West Village committee building")
    await wang.expect("Place: West Village committee building")
    preview = await wang.expect("Please check your suggestion")
    assert "collected by a deputy at a liaison station, raised by 12 residents" in preview.text
    assert "Station area: West Village Station" in preview.text and "your name" not in preview.text.lower()
    await wang.press("Edit number of residents")
    await wang.expect("How many residents raised it?")
    await wang.send("15")
    await wang.expect("raised by 15 residents")
    await wang.press("✅ Send")
    await wang.expect("Logged as")

    staff = tg.user(STAFF, "Zhou", language_code="en")
    listing = await open_queue(staff, "1 found")
    assert "West Village Station" in listing.text
    assert "collected by a deputy at a liaison station, 15 residents" in listing.text
