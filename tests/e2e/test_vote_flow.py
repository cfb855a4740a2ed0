"""A whole vote session through the bot: staff prepare and brief, deputies ask, check in with the hall's
code and vote from their phones, staff reconcile with the paper tally, a tie is settled by a run-off,
and the result reaches deputies, the residents behind each candidate (in their languages) and the
public channel; the result sheet opens as PDF and XLSX with the hand-counted numbers.

9 eligible deputies, 7 present (deputy 7 checked in by staff, deputy 6 votes on paper), 4 candidates
for 3 slots.
"""
from __future__ import annotations

import re
from io import BytesIO

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from handlers.views.votes import BallotCb
from models.projects import Project
from models.votes import VoteBallot, VoteSession
from services import votes
from services.i18n import translate
from tests.support.voting import RESIDENT_BASE, congress

CHANNEL = -1001234567890
MEETING = "Shuikou 18th congress, 3rd session"
LABELS = {"y": "For", "n": "Against", "a": "Abstain"}


async def becomes(user, message, text: str):  # noqa: ANN001, ANN201
    return await user.wait_for(lambda m: m is message and text in (m.text or ""))


async def seen(user, text: str):  # noqa: ANN001, ANN201
    """The newest message (sent or edited) that shows `text`."""
    return await user.wait_for(lambda m: text in (m.text or ""))


async def staff_screen(staff, button: str, expect: str, message=None):  # noqa: ANN001, ANN201
    """Press `button` on the staff's screen and wait until that screen shows `expect`."""
    target = message or staff.last_message
    await staff.press(button, target)
    return await staff.wait_for(lambda m: expect in (m.text or "") and (m is target or m.message_id > target.message_id))


async def vote(deputy, marks: str, positions: list[int]) -> None:  # noqa: ANN001
    """Open the ballot from its notice, mark it press by press, review and submit."""
    notice = await deputy.wait_for(lambda m: "Open my ballot" in m.button_texts)
    await deputy.press("Open my ballot", notice)
    ballot = await becomes(deputy, notice, "Secret ballot")
    for position, mark in zip(positions, marks):
        if mark in LABELS:
            label = f"{position} {LABELS[mark]}"
            await deputy.press(label, ballot)
            await deputy.wait_for(lambda m, label=label: m is ballot and f"● {label}" in m.button_texts)
    await deputy.press("Review and submit", ballot)
    await becomes(deputy, ballot, "Check your ballot")
    await deputy.press("Submit my ballot", ballot)
    receipt = await becomes(deputy, ballot, "received and counted")
    assert not receipt.buttons or receipt.button_texts == ["« Main menu"]
    assert not any(LABELS[m] in receipt.text for m in marks if m in LABELS)  # the receipt says not how


async def refused(user, data: str, message, why: str) -> None:  # noqa: ANN001
    await user.press_data(data, message)
    await user.wait_for(lambda: any(a.data == data and why in (a.text or "") for a in user.callback_answers))


async def test_a_whole_session_from_briefing_to_announced_results(tg, start_bot):
    app = await start_bot(announce_chat_id=CHANNEL, send_rate_per_chat=50.0, send_rate_global=500.0)
    channel = tg.group(CHANNEL, "Shuikou congress notices")
    c = await congress(app.ctx.db, deputies=9)
    staff = tg.user(c.staff, "Staff", language_code="en")
    deputies = [tg.user(uid, f"Deputy{n}", language_code="en") for n, uid in enumerate(c.deputies, start=1)]
    residents = [tg.user(uid, language_code=lang) for uid, lang in zip(c.residents, ("zh-hans", "zh-hant", "en",
                                                                                      "zh-hans"))]
    for deputy in deputies:  # they have used the bot before, so their chats exist
        await deputy.send("/start")
        await deputy.wait_for(lambda m: "Main menu" in (m.text or ""))
        deputy.drain()

    # --- staff prepare the session in the bot
    await staff.send("/menu")
    await staff.expect("Main menu")
    await staff.press("Vote sessions")
    await staff.wait_for(lambda m: "Vote sessions" in (m.text or "") and "New vote session" in m.button_texts)
    await staff.press("New vote session")
    await staff.expect("The meeting")
    await staff.send(MEETING)
    await staff.expect("The date")
    await staff.send("2026-03-02")
    await staff.expect("The place")
    await staff.send("Town hall")
    screen = await staff.expect("Session created.")
    await staff_screen(staff, "Candidates", "Candidates on the ballot", screen)
    for title in ("East Lane street lights", "Village bridge railings", "Clinic ramp", "Market drainage"):
        await staff_screen(staff, "Add from the pool", "Which candidate", screen)
        await staff_screen(staff, title, "Added.", screen)
        await staff_screen(staff, "« Candidates", "Candidates on the ballot", screen)
    await staff_screen(staff, "« Session", "Eligible deputies: 0 ·", screen)
    await staff.press("Slots", screen)
    await staff.expect("How many projects")
    await staff.send("3")
    screen = await staff.expect("Saved.")
    assert "fill 3 slots" in screen.text
    await staff_screen(staff, "Eligible deputies", "Add them all", screen)
    await staff_screen(staff, "All deputies", "9 deputies added", screen)
    await staff_screen(staff, "« Session", "Eligible deputies: 9 ·", screen)
    async with app.ctx.db.session() as s:
        sid = (await s.scalar(select(VoteSession.id)))

    # --- the briefing, a question and its answer for everyone
    await staff.press("Send the briefing", screen)
    await staff.wait_for(lambda: any("36 messages" in (a.text or "") for a in staff.callback_answers))
    first = deputies[0]
    explanation = await first.wait_for(lambda m: "East Lane street lights" in (m.text or "")
                                       and "Ask a question" in m.button_texts)
    assert "Implementing unit" in explanation.text and "Safeguards" in explanation.text
    await first.press("Ask a question", explanation)
    await first.wait_for(lambda m: "Your question on «East Lane street lights»" in (m.text or ""))
    await first.send("How many lights, and who maintains them?")
    await first.wait_for(lambda m: "passed on" in (m.text or ""))
    asked = await staff.wait_for(lambda m: "A deputy asks" in (m.text or ""))
    await staff.press("Answer", asked)
    await seen(staff, "Your answer goes to every deputy")
    await staff.send("Twelve solar lights; the village committee maintains them.")
    await seen(staff, "sent to every deputy")
    for deputy in deputies:
        await deputy.wait_for(lambda m: "Twelve solar lights" in (m.text or "") and "How many lights" in m.text)

    # --- check-in in the hall
    staff.drain()
    await staff.send("/menu")
    menu = await seen(staff, "Main menu")
    await staff.press("Vote sessions", menu)
    await staff.wait_for(lambda m: m is menu and "New vote session" in m.button_texts)
    await staff.press(lambda text: MEETING in text, menu)
    screen = await staff.wait_for(lambda m: m is menu and "Open check-in" in m.button_texts)
    await staff_screen(staff, "Open check-in", "Check-in is open", screen)
    shown = await staff_screen(staff, "Show the check-in code", "Check-in code", screen)
    code = re.search(r"Check-in code: ([\d ]+)", shown.text).group(1).replace(" ", "")
    for n, deputy in enumerate(deputies[:6]):
        notice = await deputy.wait_for(lambda m: "Check-in is open" in (m.text or ""))
        await deputy.press("Check in", notice)
        await deputy.wait_for(lambda m: "digit code shown in the hall" in (m.text or ""))
        if n == 0:  # a wrong code first: counted, and the deputy may try again
            await deputy.send(str((int(code) + 1) % 10 ** 6).zfill(6))
            await deputy.wait_for(lambda m: "Attempts left: 4" in (m.text or ""))
        await deputy.send(code)
        await deputy.wait_for(lambda m: "You are checked in" in (m.text or ""))
    await staff_screen(staff, "« Session", "· check-in open", screen)
    hall = await staff_screen(staff, "The hall", "Present 6 of 9", screen)
    await staff.press("Deputy 07", hall)
    await becomes(staff, hall, "Deputy 07")
    await staff.press("Present", hall)
    await becomes(staff, hall, "Present 7 of 9")
    await staff.press(lambda text: text.endswith("Deputy 06"), hall)
    await staff.wait_for(lambda m: m is hall and "Votes on paper" in m.button_texts)
    await staff.press("Votes on paper", hall)
    await staff.wait_for(lambda m: m is hall and "✅ 📄 Deputy 06" in m.button_texts)
    await staff_screen(staff, "« Session", "on paper: 1", hall)
    screen = await staff_screen(staff, "Open voting", "Voting is open with 7 deputies present", hall)

    # --- round 1: candidates 1 and 2 clear, 3 and 4 tie with 4 yes each (of 7 present, 4 needed)
    electronic = {0: "yyy-", 1: "yyy-", 2: "yy-y", 3: "yy-y", 4: "yyy-", 6: "yy-y"}  # deputy 6 votes on paper
    for index, marks in electronic.items():
        await vote(deputies[index], marks, [1, 2, 3, 4])
    forged = BallotCb(a="s", s=sid, r=1, m="yyy-").pack()
    await refused(deputies[0], forged, deputies[0].last_message, "already been counted")
    await refused(deputies[7], forged, deputies[7].last_message, "did not check in")
    await refused(deputies[5], forged, deputies[5].last_message, "vote on paper")
    await residents[0].send("/start")
    await residents[0].wait_for(lambda m: m.buttons)
    await refused(residents[0], forged, residents[0].last_message,
                  translate("zh_CN", "You are not allowed to do that."))
    async with app.ctx.db.session() as s:
        assert len(list(await s.scalars(select(VoteBallot)))) == 6
    await staff.press("Refresh", screen)
    await staff.wait_for(lambda m: "ballots cast in the bot: 6" in (m.text or ""))
    await staff_screen(staff, "Close voting", "Voting is closed", screen)
    await refused(deputies[8], BallotCb(a="s", s=sid, r=1, m="yyy-").pack(), deputies[8].last_message,
                  "no longer open")
    await staff.press("Enter the paper tally", screen)
    await seen(staff, "The paper tally of round 1")
    await staff.send("1 0 0\n0 0\n0 0\n1 0\n1 0")
    screen = await seen(staff, "Paper tally saved.")
    assert "Present 7 · ballots issued in the bot 6 · cast in the bot 6 · on paper 1 · blank 0" in screen.text
    tied = await staff_screen(staff, "Confirm the result", "Tie at the last slot", screen)
    assert "3. Clinic ramp: yes 4, no 0, abstain 3 — tied at the last slot" in tied.text

    # --- the run-off between 3 and 4 for the last slot; an old round-1 ballot is refused
    stale = BallotCb(a="m", s=sid, r=1, m="----", i=0, c="y").pack()
    await staff_screen(staff, "Run-off between the tied", "Run-off round 2 is open", tied)
    await refused(deputies[1], stale, deputies[1].last_message, "no longer open")
    runoff = {0: "y-", 1: "y-", 2: "-y", 3: "y-", 4: "-y", 6: "y-"}
    for index, marks in runoff.items():
        await vote(deputies[index], marks, [3, 4])
    screen = staff.last_message
    await staff_screen(staff, "Close voting", "Voting is closed", screen)
    await staff.press("Enter the paper tally", screen)
    await seen(staff, "The paper tally of round 2")
    await staff.send("1 0 0\n0 0\n1 0")
    screen = await seen(staff, "Paper tally saved.")
    final = await staff_screen(staff, "Confirm the result", "confirmed and announced", screen)

    # --- the hand count: round 1 yes 6, 6, 4, 4 (no 0, abstain 1, 1, 3, 3); run-off 4 against 3
    expected = ["1. East Lane street lights: yes 6, no 0, abstain 1 — adopted",
                "2. Village bridge railings: yes 6, no 0, abstain 1 — adopted",
                "3. Clinic ramp: yes 4, no 0, abstain 3 — adopted (run-off: yes 4)",
                "4. Market drainage: yes 4, no 0, abstain 3 — passed, outside the slots (run-off: yes 3)"]
    for line in expected:
        assert line in final.text
    assert "Deputies present: 7. A project needs more than half of them: 4 yes votes." in final.text
    for deputy in deputies:
        announced = await deputy.wait_for(lambda m: "Result of the vote" in (m.text or ""))
        assert all(line in announced.text for line in expected)
    public = translate("zh_CN", "{number}. {title}: yes {yes}, no {no}, abstain {abstain} — {verdict}", number=1,
                       title="East Lane street lights", yes=6, no=0, abstain=1, verdict=translate("zh_CN", "adopted"))
    await channel.wait_for(lambda m: public in (m.text or ""))  # in the congress's default language
    async with app.ctx.db.session() as s:
        result = await votes.sheet(s, None, sid)
        numbers = {line.position: line for line in result.lines}
        assert [p.candidate_id for p in await s.scalars(select(Project).order_by(Project.id))] == c.candidates[:3]
    for n, (resident, locale) in enumerate(zip(residents[:3], ("zh_CN", "zh_TW", "en"))):
        line = numbers[n + 1]
        with_locale = translate(locale, "adopted")
        told = translate(locale, "The congress has voted on «{title}», the project your suggestion {number} is "
                                 "behind: {verdict}. Yes {yes} of {present} deputies present.",
                         title=line.title, number=f"MS-2026-{n + 1:06d}", verdict=with_locale, yes=line.tally.yes,
                         present=7)
        await resident.wait_for(lambda m, told=told: m.text == told)
    assert RESIDENT_BASE + 3 == c.residents[3]

    # --- a deputy finds the result again under Decide; one who was absent too
    absent = deputies[8]
    absent.drain()
    await absent.send("/decide")
    section = await seen(absent, "Decide")
    await absent.press("Vote at the congress", section)
    await absent.wait_for(lambda m: m is section and "Results: " + MEETING in m.button_texts)
    await absent.press("Results: " + MEETING, section)
    await absent.wait_for(lambda m: m is section and expected[3] in (m.text or ""))

    # --- the result sheet for the notice board
    await staff.press("Result sheet (PDF)", final)
    document = await staff.wait_for(lambda m: m.document_bytes and (m.file.file_name or "").endswith(".pdf"))
    pdf_text = "".join(page.extract_text() for page in PdfReader(BytesIO(document.document_bytes)).pages)
    assert "East Lane street lights" in pdf_text and "Market drainage" in pdf_text
    await staff.press("Result sheet (XLSX)", final)
    document = await staff.wait_for(lambda m: m.document_bytes and (m.file.file_name or "").endswith(".xlsx"))
    rows = list(load_workbook(BytesIO(document.document_bytes)).active.iter_rows(values_only=True))
    table = rows[[r[0] for r in rows].index("No.") + 1:]
    assert [r[3:8] for r in table] == [(6, 0, 1, None, 1), (6, 0, 1, None, 1), (4, 0, 3, 4, 3), (4, 0, 3, 3, 3)]


async def test_a_ballot_survives_a_restart_and_check_in_takes_what_phones_type(tg, start_bot):
    from tests.support.voting import NOW, RULES, actor, prepared_session

    app = await start_bot(send_rate_per_chat=50.0)
    c = await congress(app.ctx.db, deputies=3, titles=("A road", "A bridge"))
    sid = await prepared_session(app.ctx.db, c)
    deputy = tg.user(c.deputies[0], language_code="en")
    async with app.ctx.db.session() as s:
        staff = await actor(s, c.staff)
        await votes.open_checkin(s, staff, sid, app.ctx.now(), lambda n: f"dv:checkin:{n}")
        code, _ = await votes.current_code(s, staff, sid, app.ctx.now(), RULES)
    notice = await deputy.wait_for(lambda m: "Check-in is open" in (m.text or ""))
    await deputy.press("Check in", notice)
    await seen(deputy, "digit code shown in the hall")
    await deputy.send_sticker()
    await seen(deputy, "Please send your answer as text")
    await deputy.send("  " + " ".join(chr(0xFF10 + int(d)) for d in code) + "  ")  # full-width, spaced
    await seen(deputy, "You are checked in")
    async with app.ctx.db.session() as s:
        staff = await actor(s, c.staff)
        for deputy_id in c.deputy_ids[1:]:
            await votes.staff_check_in(s, staff, sid, deputy_id, NOW)
        await votes.open_voting(s, staff, sid, app.ctx.now(), RULES, lambda n, r: BallotCb(a="o", s=n, r=r).pack())

    notice = await deputy.wait_for(lambda m: "Open my ballot" in m.button_texts)
    await deputy.press("Open my ballot", notice)
    ballot = await becomes(deputy, notice, "Secret ballot")
    await deputy.press("1 For", ballot)
    await deputy.wait_for(lambda m: m is ballot and "● 1 For" in m.button_texts)
    await app.stop()  # the marks so far are in the message's buttons, not on the server
    await start_bot(send_rate_per_chat=50.0)
    await deputy.press("2 Against", ballot)
    await deputy.wait_for(lambda m: m is ballot and "● 2 Against" in m.button_texts and "● 1 For" in m.button_texts)
    await deputy.press("Review and submit", ballot)
    review = await becomes(deputy, ballot, "Check your ballot")
    submit_data = dict(review.buttons[0])["Submit my ballot"]
    await deputy.press("Submit my ballot", ballot)
    await becomes(deputy, ballot, "received and counted")
    await refused(deputy, submit_data, ballot, "already been counted")
    async with app.ctx.db.session() as s:
        assert list(await s.scalars(select(VoteBallot.marks))) == ["yn"]
