"""A suggestion's photos keep their captions: in the preview, for staff, and where it is shared."""
from __future__ import annotations

import re

from tests.e2e.test_pool_flow import STAFF, make_staff, open_queue
from tests.e2e.test_ways_on import arrive

ALICE, NEIGHBOUR = 811, 812


async def shows(user, text: str):  # noqa: ANN001, ANN201
    return await user.wait_for(lambda m: text in (m.text or ""))


async def test_captions_of_single_photos_and_album_photos_reach_staff_and_neighbours(tg, start_bot):
    app = await start_bot()
    await make_staff(app)
    alice = tg.user(ALICE, "Alice", language_code="en")
    await arrive(alice)
    await alice.press("Suggest a project")
    await alice.press("Roads and transport", await shows(alice, "Which kind of project"))
    await shows(alice, "Describe what is needed")
    await alice.send("The lane to the primary school is dark after 6 pm; please install street lights.")
    await shows(alice, "Send photos of the place")
    await alice.send_photo(caption="The broken lamp at the school gate")
    await shows(alice, "Photos saved: 1 of 5.")
    await alice.send_album(2, caption="The lane at night")  # Telegram puts an album's caption on its first photo
    await shows(alice, "Photos saved: 3 of 5.")
    await alice.press("Done", await shows(alice, "Photos saved: 3 of 5."))
    await shows(alice, "Where exactly?")
    await alice.send("East Lane")
    await alice.press("Yes, show my name", await shows(alice, "May we show your first name"))
    preview = await shows(alice, "Please check your suggestion")
    assert "Photos: 3\n  1. The broken lamp at the school gate\n  2. The lane at night\n" in preview.text
    await alice.press("✅ Send", preview)
    done = await shows(alice, "Your suggestion is registered as")
    number = re.search(r"MS-2026-\d{6}", done.text).group(0)
    code = re.search(r"start=s_([\w-]+)", done.text).group(1)

    staff = tg.user(STAFF, "Zhou", language_code="en")
    queue = await open_queue(staff, number)
    staff.drain()
    await staff.press(number, queue)
    album = [await staff.next_message() for _ in range(3)]
    assert [m.text for m in album] == [f"Photos of {number}\nThe broken lamp at the school gate",
                                       "The lane at night", None]
    card = await staff.expect(number)
    assert "  1. The broken lamp at the school gate\n  2. The lane at night" in card.text

    neighbour = tg.user(NEIGHBOUR, "Lin", language_code="en")
    await arrive(neighbour)
    await neighbour.send(f"/start s_{code}")
    shared = [await neighbour.next_message() for _ in range(3)]
    assert [m.media_group_id is not None for m in shared] == [True] * 3
    assert [m.text for m in shared] == [m.text for m in album]
    card = await neighbour.expect(f"Suggestion {number}")
    assert "  2. The lane at night" in card.text and "👍 Support this suggestion" in card.button_texts
