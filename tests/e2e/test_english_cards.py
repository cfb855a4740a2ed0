"""Cards read in English start every line with a capital, whatever label a line begins with."""
from __future__ import annotations

import re

from models import User
from services import suggestions
from services.auth import load_actor
from services.suggestions import Draft, Rules
from tests.e2e.test_contact_flow import deputy_link, tracking_number
from tests.test_contact import World, build_world

READER = 7101


def lowercase_lines(text: str) -> list[str]:
    """The lines of a card whose first visible character is a lowercase letter."""
    lines = (re.sub(r"<[^>]+>", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line and line[0].islower()]


async def shows(user, text: str):  # noqa: ANN001, ANN201
    return await user.wait_for(lambda m: text in (m.text or ""))


async def test_a_deputy_card_and_a_thread_read_in_english_start_each_line_with_a_capital(tg, db, start_bot):
    world = await build_world(db)
    payload = await deputy_link(db, world)
    await start_bot()
    reader = tg.user(READER, "Reader", language_code="en")
    await reader.send(f"/start {payload}")
    card = await shows(reader, "or ask to meet them")
    assert lowercase_lines(card.text) == [] and "Deputy to the county people's congress" in card.text

    await reader.press("Write to this deputy", card)
    await shows(reader, "Write your opinion to deputy")
    await reader.send("The street lamp at the village gate has been broken for a month.")
    await reader.press("Continue", await shows(reader, "Press Continue"))
    await reader.press("Send without location", await shows(reader, "Send without location"))
    number = tracking_number((await shows(reader, "Your tracking number is")).text)
    await reader.press("My messages to deputies")
    await reader.press(lambda text: text.startswith(number), await shows(reader, "newest first"))
    thread = await shows(reader, "Received")
    assert thread.text.splitlines()[1].startswith("Opinion · Received")
    assert lowercase_lines(thread.text) == []


async def test_a_suggestion_a_deputy_logged_reads_with_capitals_in_english(tg, db, start_bot):
    await build_world(db)
    app = await start_bot()
    settings = app.ctx.settings
    async with db.session() as s:
        deputy = await load_actor(s, await s.get(User, World.DEPUTY_USER))
        made = await suggestions.submit(
            s, deputy, Rules(tuple(settings.suggestion_categories), settings.suggestions_per_day, settings.tz),
            Draft(category="roads", description="Street lights on East Lane, please.", place_text="East Lane",
                  source="visit", raised_by=3), app.ctx.now())
    reader = tg.user(READER, "Reader", language_code="en")
    await reader.send(f"/start s_{made.share_code}")
    card = await shows(reader, f"Suggestion {made.number}")
    assert "Source: collected by a deputy on a visit, deputy 王芳, raised by 3 residents" in card.text
    assert lowercase_lines(card.text) == []
