"""The sandbox as its visitors and its operator meet it: the planted township, the page's API over
the fake Telegram (and what it refuses), the clock, and `minsheng sandbox` started and stopped."""
from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import socket
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import aiohttp
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from fakebot import make_png
from models import Deadline, Deputy, Department, Notification, Role, RoleGrant, Station
from models.contact import Inquiry, ReceptionSlot
from models.delivery import Filing
from models.projects import Project
from models.proposals import Proposal
from models.suggestions import Candidate, Suggestion
from models.votes import VoteItem, VoteRegister, VoteSession
from services.i18n import translate
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent.parent
RESIDENT, WEST_STAFF = 1001, 3002


async def _count(session, column, *where):  # noqa: ANN001, ANN202
    return await session.scalar(select(func.count(column)).where(*where))


async def test_the_township_is_planted_through_the_services(sandbox):
    async with sandbox.app.ctx.db.session() as s:
        assert await _count(s, Station.id) == 2 and await _count(s, Department.id) == 2
        deputies = list(await s.scalars(select(Deputy)))
        assert len(deputies) == 6 and all(d.reception_hours for d in deputies)
        assert sum(d.user_id is not None for d in deputies) == 5  # one has not joined the bot
        roles = Counter(await s.scalars(select(RoleGrant.role)))
        assert roles == {Role.deputy: 5, Role.staff: 2, Role.department: 2}
        statuses = Counter(await s.scalars(select(Suggestion.status)))
        # Two candidates were voted (on paper, in the Deliver seed): their suggestions, merged ones too, say so.
        assert statuses == {"received": 4, "under_review": 1, "info_requested": 1, "accepted": 2, "voted": 3,
                            "not_adopted": 1}
        assert await _count(s, Candidate.id) == 4
        assert Counter(await s.scalars(select(Inquiry.status))) == {"open": 4, "answered": 1, "referred": 1}
        assert await _count(s, ReceptionSlot.id) == 6
        assert Counter(await s.scalars(select(Proposal.status))) == {"filed": 1, "assigned": 1, "answered": 1}
        # Deliver: one project with its plan and a quarterly report accepted, one still owing its plan.
        assert Counter(await s.scalars(select(Project.status))) == {"in_progress": 1, "plan_due": 1}
        assert Counter(await s.scalars(select(Filing.kind).where(Filing.status == "accepted"))) == {
            "plan": 1, "progress": 1}
        vote = await s.scalar(select(VoteSession))  # the congress's vote, ready for check-in to open
        assert (vote.status, vote.slots, vote.briefed_at is not None) == ("draft", 1, True)
        assert await _count(s, VoteItem.id) == 2 and await _count(s, VoteRegister.id) == 6
        assert all(item.plan and item.safeguards for item in await s.scalars(select(VoteItem)))
    # What those acts queued reached the personas: the west station's staff heard at once of the message
    # its deputy who is not on the bot left unanswered twelve days ago.
    staff = sandbox.tg.user(WEST_STAFF)
    # The station's staff own it while the deputy is not on the bot: they hear it is overdue, as its owner.
    overdue = translate("zh_CN", "You handle it for deputy {deputy}, who has not joined the bot yet.", deputy="周德明")
    await staff.wait_for(lambda m: overdue in (m.text or "") and translate("zh_CN", "Resident #{alias}", alias="")
                         in m.text)


async def test_the_page_and_its_world_in_each_language(sandbox):
    async with aiohttp.ClientSession(sandbox.url) as web:
        async with web.get("/") as page:
            assert page.status == 200 and "/static/app.js" in await page.text()
        for name in ("app.js", "style.css"):  # nothing is fetched from the network: it works offline
            async with web.get(f"/static/{name}") as static:
                assert static.status == 200
                assert not re.search(r"""(src|href)\s*=\s*["']?https?:|url\(\s*["']?https?:|@import""",
                                     await static.text())
        for locale, title in (("en", "Minsheng bot sandbox"), ("zh_CN", "民生实事机器人演练场"),
                              ("zh_TW", "民生實事機器人演練場"), ("xx", "民生实事机器人演练场")):
            async with web.get("/api/world", params={"lang": locale}) as answer:
                world = await answer.json()
            assert world["texts"]["title"] == title
        assert Counter(p["role"] for p in world["personas"]) == {"resident": 5, "deputy": 5, "staff": 2,
                                                                   "department": 2}
        assert len(world["places"]) == 6 and world["bot"]["username"] == "minsheng_sandbox_bot"
    assert {address[0] for address in sandbox._web.addresses} == {"127.0.0.1"}


async def test_codes_scan_to_their_deep_links_and_posters_are_pdfs(sandbox):
    async with aiohttp.ClientSession(sandbox.url) as web:
        async with web.get("/api/codes") as answer:
            codes = await answer.json()
        assert Counter(c["kind"] for c in codes) == {"station": 2, "deputy": 6}
        assert sandbox.app.ctx.settings.congress_name == sandbox.town.data["congress"]  # printed on every poster
        deputy = next(c for c in codes if c["name"] == "王芳")
        async with web.get(f"/api/qr/{deputy['payload']}.png") as image:
            assert image.content_type == "image/png"
            decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(await image.read())))
        assert [b.text for b in decoded] == [f"https://t.me/minsheng_sandbox_bot?start={deputy['payload']}"]
        async with web.get(f"/api/poster/deputy/{deputy['id']}.pdf", params={"lang": "en"}) as poster:
            assert poster.content_type == "application/pdf" and (await poster.read()).startswith(b"%PDF")
        async with web.get("/api/poster/station/999.pdf") as missing:
            assert missing.status == 404

        async with web.post(f"/api/chat/{RESIDENT}/start", json={"payload": deputy["payload"]}) as scanned:
            assert scanned.status == 200
    resident = sandbox.tg.user(RESIDENT)
    assert resident.sent[-1]["text"] == f"/start {deputy['payload']}"
    await resident.wait_for(lambda m: "王芳" in (m.text or "") and m.buttons)


async def test_what_a_phone_sends_and_what_the_page_refuses(sandbox):
    resident = sandbox.tg.user(RESIDENT)
    chat = f"/api/chat/{RESIDENT}"
    async with aiohttp.ClientSession(sandbox.url) as web:
        async def post(action: str, **kwargs: object) -> int:
            async with web.post(f"{chat}/{action}", **kwargs) as answer:
                return answer.status

        assert await post("text", json={"text": "x" * 10_000}) == 200  # sent in parts, as a client does
        assert [len(m["text"]) for m in resident.sent[-3:]] == [4096, 4096, 1808]
        form = aiohttp.FormData()
        form.add_field("file", make_png(40, 30), filename="a.png", content_type="image/png")
        form.add_field("file", make_png(30, 40), filename="b.png", content_type="image/png")
        form.add_field("caption", "two photos")
        assert await post("photos", data=form) == 200
        first, second = resident.sent[-2:]
        assert first["media_group_id"] == second["media_group_id"] and first["caption"] == "two photos"
        form = aiohttp.FormData()
        form.add_field("file", b"%PDF-1.4 a plan", filename="plan.pdf", content_type="application/pdf")
        assert await post("photos", data=form) == 200  # not a photo: a document, for the bot to answer
        document = resident.sent[-1]["document"]
        async with web.get(f"/files/{document['file_id']}") as opened:
            assert opened.content_type == "application/pdf" and await opened.read() == b"%PDF-1.4 a plan"
        assert await post("photos", data=aiohttp.FormData({"caption": ""})) == 200  # the sample photo
        assert "photo" in resident.sent[-1]
        assert await post("place", json={"index": 0}) == 200
        assert resident.sent[-1]["venue"]["title"] == "东街小学门口"
        sent = len(resident.sent)

        refused = [
            await post("text", json={"text": "   "}),
            await post("text", data="not json"),
            await post("place", json={"index": 99}),
            await post("start", json={"payload": "<b>x</b>"}),
            await post("start", json={"payload": "x" * 65}),
            await post("press", json={"message_id": 10**6, "row": 0, "column": 0}),
            await post("tap", json={"row": 0, "column": 0}),
        ]
        assert refused == [400] * 7 and len(resident.sent) == sent
        async with web.post("/api/chat/42/text", json={"text": "hi"}) as stranger:
            assert stranger.status == 404
        async with web.post("/api/clock", json={"step": "year"}) as leap:
            assert leap.status == 400
        async with web.get("/files/nothing") as missing:
            assert missing.status == 404
        for headers in ({"Origin": "http://evil.example"}, {"Host": "evil.example"}):
            async with web.post(f"{chat}/text", json={"text": "hi"}, headers=headers) as forbidden:
                assert forbidden.status == 403
        assert len(resident.sent) == sent


async def test_the_chat_long_polls_until_something_happens(sandbox):
    async def delivered() -> bool:  # the township's own notifications have all gone out
        async with sandbox.app.ctx.db.session() as s:
            return not await _count(s, Notification.id, Notification.status.in_(("pending", "sending")))

    await eventually(delivered, timeout=15)
    async with aiohttp.ClientSession(sandbox.url) as web:
        async with web.get(f"/api/chat/{RESIDENT}") as answer:
            now = await answer.json()
        waiting = asyncio.ensure_future(web.get(f"/api/chat/{RESIDENT}", params={"seen": now["digest"]}))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # nothing changed in this chat
        async with web.post(f"/api/chat/{RESIDENT}/text", json={"text": "/help"}):
            pass
        async with await waiting as answer:
            moved = await answer.json()
    assert moved["digest"] != now["digest"]
    assert any(m["text"] == "/help" and not m["from_bot"] for m in moved["messages"])
    assert ("menu", translate("zh_CN", "Main menu")) in [tuple(c) for c in moved["commands"]]


async def test_the_clock_jumps_and_what_falls_due_runs_at_once(sandbox):
    before = sandbox.clock()
    async with aiohttp.ClientSession(sandbox.url) as web:
        async with web.post("/api/clock", json={"step": "day"}) as answer:
            assert answer.status == 200
        async with web.get(f"/api/chat/{RESIDENT}") as answer:
            clock = (await answer.json())["clock"]
    assert clock["ahead"] == 86400 and sandbox.clock() - before >= timedelta(days=1)
    async with sandbox.app.ctx.db.session() as s:  # the sweep ran at the new time: the reminder of the
        reminded = await s.scalar(select(func.count(Deadline.id)).where(Deadline.reminded_at >= before))
    assert reminded >= 1  # message written five days before the start, due two days after it


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _command(port: int) -> asyncio.subprocess.Process:
    """`minsheng sandbox` as a user starts it. An asyncio child, so no thread is left blocked
    on its pipes whatever happens to it (a blocked thread would hold up the loop's shutdown)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "SANDBOX_"))}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", str(port), cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _ended(process: asyncio.subprocess.Process, seconds: float) -> tuple[int, str]:
    """Its exit code and what it wrote on stderr, killing it if it has not ended within `seconds`."""
    try:
        _out, errors = await asyncio.wait_for(process.communicate(), seconds)
    except TimeoutError:
        process.kill()
        _out, errors = await process.communicate()
    return process.returncode, errors.decode()


async def test_minsheng_sandbox_prints_its_address_and_stops_cleanly_on_ctrl_c():
    port = _free_port()
    process = await _command(port)
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert f"http://127.0.0.1:{port}" in line
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as web, web.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200
        process.send_signal(signal.SIGINT)
    finally:
        returncode, errors = await _ended(process, 30)
    assert returncode == 0 and "stopped" in errors and "Traceback" not in errors


async def test_a_taken_port_is_named_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = await _command(taken.getsockname()[1])
        returncode, errors = await _ended(process, 60)
    assert returncode == 2 and "Traceback" not in errors
    assert "SANDBOX_PORT" in errors.strip().splitlines()[-1]
