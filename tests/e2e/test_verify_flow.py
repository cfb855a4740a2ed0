"""Verify end to end: staff assign a project's supervising group in the bot (two deputies, the
leader changed), a deputy sees "my supervised projects" and files a site-visit report from the
field — three photos with captions (an album and one more), the location from the reply
keyboard's button (too far at first, flagged; changed from the preview), findings typed after
the bot restarted mid-form, "problem found", an issue raised — the other group member, the
department and the station's staff hear of it, the department answers in the bot and the
deputy hears the answer; the public project page shows a summary without the location.
"""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Deputy, Role
from models.inspections import SiteVisit
from services import candidates, directory, people, projects, suggestions
from services.auth import load_actor
from tests.e2e.test_deliver_flow import notice, open_menu, press_for

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 6, 10, 0, tzinfo=TZ)
STAFF, CLERK, RESIDENT, LEADER, MEMBER = 801, 802, 803, 804, 805
SITE = (39.9100, 116.4074)  # the project's site; the deputy stands 645 m south of it
NEAR = (39.9042, 116.4074)
FAR = (39.9500, 116.4074)  # 4.4 km north


async def answer_to(user, button, message=None):  # noqa: ANN001, ANN201
    """Press and return the bot's answer to that press (an alert's text)."""
    user._answers_read = len(user.callback_answers)
    if isinstance(button, str) and ":" in button:
        await user.press_data(button, message)
    else:
        await user.press(button, message)
    return await user.next_callback_answer()


async def seed(app) -> int:  # noqa: ANN001
    """East station's project "East Lane street lights" of the Transport Bureau, sited; two deputies."""
    settings = app.ctx.settings
    async with app.ctx.db.session() as s:
        for uid, name in ((STAFF, "Zhou"), (CLERK, "Zhao"), (RESIDENT, "Chen"), (LEADER, "Wang"), (MEMBER, "Sun")):
            await people.ensure_user(s, people.Contact(uid, name, None, "en"))
        east = await directory.add_station(s, None, "East")
        roads = await directory.ensure_department(s, None, "Transport Bureau")
        await people.grant_role(s, STAFF, Role.staff, by=None, station_id=east.id)
        await people.grant_role(s, CLERK, Role.department, by=None, department_id=roads.id)
        for uid, name in ((LEADER, "Wang Fang"), (MEMBER, "Sun Li")):
            await people.grant_role(s, uid, Role.deputy, by=None)
            s.add(Deputy(name=name, station_id=east.id, user_id=uid))
        await s.flush()
        office = await load_actor(s, await s.get(people.User, STAFF))
        resident = await load_actor(s, await s.get(people.User, RESIDENT))
        made = await suggestions.submit(s, resident, suggestions.Rules(("roads",), 5, TZ), suggestions.Draft(
            category="roads", description="The lane is dark at night.", place_text="East Lane", station_id=east.id,
            latitude=SITE[0], longitude=SITE[1]), NOW)
        candidate = await candidates.accept_into_pool(s, office, made.id, candidates.CandidateFields(
            "East Lane street lights", "Twelve solar lights.", 100_000, department_id=roads.id), NOW)
        project = await projects.create_from_candidate(s, office, candidate.id, NOW,
                                                       projects.Rules.from_settings(settings))
        return project.id


async def test_a_supervising_deputy_files_a_site_visit_report_from_the_field(tg, start_bot, clock):
    clock.set(NOW)
    # This quarter's campaign opens after the test's day: its reminder cannot cut into the form's
    # questions (the campaign is tested on its own below).
    app = await start_bot(inspection_reminder_day=28)
    project_id = await seed(app)
    staff, clerk, resident = tg.user(STAFF, "Zhou"), tg.user(CLERK, "Zhao"), tg.user(RESIDENT, "Chen")
    leader, member = tg.user(LEADER, "Wang"), tg.user(MEMBER, "Sun")

    # Staff assign the group: the first deputy added leads it, until staff choose the other.
    await open_menu(staff, "Supervising groups")
    listing = await staff.wait_for(lambda m: (m.text or "").startswith("Supervising groups"))
    assert "XM-2026-001 «East Lane street lights»: 0 deputies" in listing.text
    await staff.press(lambda t: t.startswith("XM-2026-001"), listing)
    screen = await staff.wait_for(lambda m: "No deputy is in the group yet" in (m.text or ""))
    for name in ("Wang Fang", "Sun Li"):
        await staff.press("Add a deputy", screen)
        picker = await staff.wait_for(lambda m: "Which deputy joins" in (m.text or ""))
        await staff.press(name, picker)
        screen = await staff.wait_for(lambda m, name=name: f"{name} joined the group." in (m.text or ""))
    assert "★ Wang Fang (leader)" in screen.text and "• Sun Li" in screen.text
    await staff.press("★ Sun Li leads", screen)
    screen = await staff.wait_for(lambda m: "The group has a new leader." in (m.text or ""))
    assert "★ Sun Li (leader)" in screen.text and "• Wang Fang" in screen.text
    await notice(leader, "You are now in the supervising group of project XM-2026-001 «East Lane street lights» as its "
                         "leader.")
    await notice(member, "You are now in the supervising group of project XM-2026-001")

    # The deputy's Verify menu: my supervised projects, and the project with its group.
    await open_menu(leader, "My supervised projects")
    mine = await leader.wait_for(lambda m: (m.text or "").startswith("My supervised projects"))
    assert "XM-2026-001 «East Lane street lights»: plan due" in mine.text
    page = await press_for(leader, lambda t: t.startswith("XM-2026-001"), mine, "XM-2026-001")
    assert "Supervising group: Sun Li ★, Wang Fang" in page.text
    await leader.press("File a site-visit report", page)
    await leader.expect("Site-visit report on XM-2026-001")

    # Photos: nothing else is taken, Done needs one, an album of two (its caption kept) and one more.
    await leader.send_sticker()
    await leader.expect("Please send photos, or press Done.")
    assert (await answer_to(leader, "Done")).text.startswith("Please send at least one photo")
    await leader.send_album(2, caption="Poles at the north end")
    await notice(leader, "Photos saved: 2 of 10.")
    await leader.send_photo(caption="A cable left bare")
    saved = await notice(leader, "Photos saved: 3 of 10.")
    leader.drain()
    await leader.press("Done", saved)

    # The location: the reply keyboard's button; typing is answered; far away is flagged.
    await leader.expect("Where are you?")
    assert [m.message_id for m in leader.inbox if "Done" in m.button_texts] == []  # no old prompt is left live
    keyboard = leader.reply_keyboard_markup
    assert keyboard["keyboard"][0][0].get("request_location") and keyboard["keyboard"][1][0]["text"] == \
        "Without location"
    await leader.send("here")
    await leader.expect("Please press «📍 Send my location» below")
    await leader.send_location(*FAR)
    await leader.expect("⚠️ Location received: you are 4.4 km from the project's site, farther than 2.0 km.")
    await leader.expect("What did you find on site?")

    # Connection lost, bot restarted: the half-filled report is still there.
    await app.stop()
    app = await start_bot(inspection_reminder_day=28)
    await leader.send("Eight of twelve poles stand; two lights are not working.")
    await leader.expect("Your assessment of the project:")
    await leader.press("problem found")
    await leader.expect("Any issues to raise with the department?")
    await leader.send("The cable at the north end lies bare on the ground: please cover it.")

    preview = await leader.expect("Please check your site-visit report on XM-2026-001")
    assert "Photos: 3" in preview.text and "1. Poles at the north end" in preview.text
    assert "3. A cable left bare" in preview.text and "4.4 km from the site ⚠️" in preview.text
    assert "Assessment: problem found" in preview.text and "lies bare on the ground" in preview.text

    # Edit per step from the preview: the location, then the findings.
    await leader.press("Change the location", preview)
    await leader.expect("Where are you?")
    await leader.press_reply("📍 Send my location")  # the button sends where the phone is: NEAR
    await leader.expect("Location received: you are 645 m from the project's site.")
    preview = await leader.expect("Please check your site-visit report")
    assert "645 m from the site" in preview.text and "⚠️" not in preview.text
    await leader.press("Change the findings", preview)
    await leader.expect("What did you find on site?")
    await leader.send("Eight of twelve poles stand; two lights do not work at night.")
    preview = await leader.expect("Please check your site-visit report")
    assert "two lights do not work at night" in preview.text and "Photos: 3" in preview.text
    await leader.press("Submit", preview)
    await leader.expect("Your site-visit report was filed.")

    async with app.ctx.db.session() as s:
        visit = await s.scalar(select(SiteVisit))
        assert (visit.project_id, visit.distance_m, visit.far, visit.assessment) == (project_id, 645, False, "problem")
        assert [p["caption"] for p in visit.photos] == ["Poles at the north end", "", "A cable left bare"]
        assert (visit.latitude, visit.longitude, visit.quarter) == (NEAR[0], NEAR[1], "2026Q3")

    # The other member, the station's staff and the department hear of it.
    await notice(member, "Deputy Wang Fang filed a site-visit report on project XM-2026-001 «East Lane street lights»: "
                         "problem found.")
    told = await notice(staff, "Site-visit report on project XM-2026-001 «East Lane street lights» by deputy Wang Fang: "
                               "problem found.")
    assert "Issues raised: The cable at the north end" in told.text
    asked = await notice(clerk, "Deputy Wang Fang inspected project XM-2026-001")
    assert "please cover it." in asked.text and "Please answer in the bot by 2026-07-13." in asked.text

    # The department opens the report (the photos with their captions first) and answers in the bot.
    clerk.drain()
    await clerk.press("Open the report", asked)
    shown = await clerk.wait_for(lambda m: "Answer the issues" in m.button_texts)
    assert "Sent 645 m from the project's site." in shown.text and "By deputy Wang Fang" in shown.text
    assert {"Poles at the north end", "A cable left bare"} <= {m.text for m in clerk.inbox if m.payload.get("photo")}
    clerk.drain()
    await clerk.press("Answer the issues", shown)
    await clerk.expect("Your answer to the issues deputy Wang Fang raised")
    await clerk.send("Covered on 7 July; the two lights get new batteries this week.")
    await clerk.expect("Your answer was sent to the deputy")
    await notice(leader, "Transport Bureau answered the issues raised on project XM-2026-001 «East Lane street "
                         "lights»:\nCovered on 7 July")
    await notice(staff, "Transport Bureau answered the issues raised on project XM-2026-001")
    assert "answer these issues, once" in (await answer_to(clerk, "Answer the issues", shown)).text  # once only

    # The group reads the report with the answer.
    member.drain()
    await open_menu(member, "My supervised projects")
    mine = await member.wait_for(lambda m: (m.text or "").startswith("My supervised projects"))
    page = await press_for(member, lambda t: t.startswith("XM-2026-001"), mine, "XM-2026-001")
    assert "Site visits: 1; the latest on 2026-07-06: problem found" in page.text
    reports = await press_for(member, "Site-visit reports", page, "Site-visit reports")
    assert "2026-07-06 · Wang Fang · problem found ⚠️" in reports.text
    await member.press(lambda t: t.startswith("2026-07-06"), reports)
    report = await member.wait_for(lambda m: "The department's answer" in (m.text or ""))
    assert "Covered on 7 July" in report.text

    # The public page of Deliver: a summary, no location, no reports to open.
    await open_menu(resident, "This year's projects")
    listing = await resident.wait_for(lambda m: (m.text or "").startswith("This year's projects"))
    card = await press_for(resident, lambda t: t.startswith("XM-2026-001"), listing, "XM-2026-001")
    assert "Site visits: 1; the latest on 2026-07-06: problem found" in card.text
    assert "645" not in card.text and "39.90" not in card.text
    assert (await answer_to(resident, f"vp:reports:{project_id}:0", card)).show_alert


async def test_each_quarter_every_supervising_deputy_is_reminded_once_and_a_missing_report_is_chased(
        tg, start_bot, clock):
    import asyncio

    from jobs.registry import JOBS, JobContext
    from models import Deadline
    from models.inspections import VISIT_DEADLINE
    from services import deadlines, verify

    clock.set(NOW.replace(month=6, day=20))
    app = await start_bot()
    project_id = await seed(app)
    async with app.ctx.db.session() as s:
        staff_actor = await load_actor(s, await s.get(people.User, STAFF))
        for deputy in await s.scalars(select(Deputy).order_by(Deputy.id)):
            await verify.add_member(s, staff_actor, project_id, deputy.id, clock())
    staff, leader, member = tg.user(STAFF, "Zhou"), tg.user(LEADER, "Wang"), tg.user(MEMBER, "Sun")
    campaign = "The liaison station's inspection of Q3 2026 has begun"

    async def run_campaign(when: datetime) -> list[str]:
        clock.set(when)
        job = JOBS["inspection_campaign"].fn
        return await asyncio.gather(job(JobContext(app.ctx), clock()), job(JobContext(app.ctx), clock()))

    assert all(r.startswith("waiting") for r in await run_campaign(datetime(2026, 7, 1, 8, 59, tzinfo=TZ)))
    results = await run_campaign(datetime(2026, 7, 1, 9, 0, tzinfo=TZ))  # two workers at the same moment
    assert sorted(r.split(":")[0] for r in results) == ["opened 2026Q3", "this quarter's round is open already"]
    await run_campaign(datetime(2026, 7, 2, 9, 0, tzinfo=TZ))
    reminder = await notice(leader, campaign)
    assert "by 2026-09-15" in reminder.text and "• XM-2026-001 «East Lane street lights»" in reminder.text
    await notice(member, campaign)

    # The reminder's button opens the report form on that project.
    leader.drain()
    await leader.press("📝 XM-2026-001 East Lane street lights", reminder)
    await leader.expect("Site-visit report on XM-2026-001")
    await leader.press("Cancel")
    await leader.expect("Cancelled. Nothing was saved.")

    # No report by Tue 15 September: the group is reminded (Fri 11th: the 13th is a Sunday), then staff alerted.
    async with app.ctx.db.session() as s:
        due = await s.scalar(select(Deadline).where(Deadline.kind == VISIT_DEADLINE))
    assert due.remind_at.astimezone(TZ) == datetime(2026, 9, 11, 9, tzinfo=TZ)
    for when in (due.remind_at, datetime(2026, 9, 16, 10, tzinfo=TZ), datetime(2026, 9, 17, 10, tzinfo=TZ)):
        clock.set(when)
        await asyncio.gather(deadlines.sweep(app.ctx.db, clock()), deadlines.sweep(app.ctx.db, clock()))
        app.ctx.ring_outbox()
    await notice(leader, "Reminder: project XM-2026-001 «East Lane street lights» has no site-visit report from its "
                         "supervising group for Q3 2026 yet; it is due by 2026-09-15.")
    alert = await notice(staff, "Overdue: the supervising group of project XM-2026-001 «East Lane street lights»")
    assert "(Sun Li, Wang Fang)" in alert.text or "(Wang Fang, Sun Li)" in alert.text

    # Q4: one more reminder each; a group member's report meets the quarter's duty, so nobody is chased.
    await run_campaign(datetime(2026, 10, 1, 9, 30, tzinfo=TZ))
    await notice(member, "The liaison station's inspection of Q4 2026 has begun")
    async with app.ctx.db.session() as s:
        await verify.submit_visit(s, await load_actor(s, await s.get(people.User, MEMBER)), project_id,
                                  verify.VisitDraft([("photo", "")], "All lights work.", "on_track"), clock(),
                                  verify.Rules.from_settings(app.ctx.settings))
    clock.set(datetime(2026, 12, 20, 10, tzinfo=TZ))
    await deadlines.sweep(app.ctx.db, clock())
    app.ctx.ring_outbox()
    await asyncio.sleep(1)
    for user in (leader, member):
        assert sum("inspection of Q3 2026 has begun" in (m.text or "") for m in user.inbox) == 1
        assert sum("inspection of Q4 2026 has begun" in (m.text or "") for m in user.inbox) == 1
    assert sum("has no site-visit report" in (m.text or "") for m in leader.inbox) == 1
    assert sum("Today is the last day" in (m.text or "") for m in leader.inbox) == 0  # passed over, not sent late
    assert sum("filed no site-visit report" in (m.text or "") for m in staff.inbox) == 1  # Q3 only


async def test_the_year_end_evaluation_is_rated_once_per_person_and_published_with_the_hand_counted_rate(
        tg, start_bot, clock):
    from models import AuditEvent
    from models.evaluations import Rating
    from services import deadlines, evaluation

    clock.set(datetime(2026, 12, 1, 10, tzinfo=TZ))
    app = await start_bot()
    await seed(app)
    async with app.ctx.db.session() as s:  # the whole office, not a station's clerk, opens it
        await people.ensure_user(s, people.Contact(806, "Qian", None, "en"))
        await people.ensure_user(s, people.Contact(807, "Ma", None, "en"))
        await people.grant_role(s, 806, Role.staff, by=None)
    office, leader, member = tg.user(806, "Qian"), tg.user(LEADER, "Wang"), tg.user(MEMBER, "Sun")
    resident, stranger = tg.user(RESIDENT, "Chen"), tg.user(807, "Ma")

    await open_menu(office, "Year-end evaluation")
    screen = await office.wait_for(lambda m: "has not been opened" in (m.text or ""))
    await office.press("Open the evaluation", screen)
    await office.expect("Until which day may people rate?")
    await office.send("2026-11-30")
    await office.expect("The close day must be after today.")
    await office.send("2026-12-20")
    await office.expect("May residents who follow a project rate it too?")
    await office.press("Yes, deputies and followers")
    await office.expect("The evaluation of 2026 is open until 2026-12-20")

    # The deputy rates from the notice; a second rating is refused; a change replaces it, with a comment.
    opened = await notice(leader, "The year-end evaluation of 2026's livelihood projects is open until 2026-12-20")
    leader.drain()
    await leader.press("Rate the projects", opened)
    listing = await leader.wait_for(lambda m: "XM-2026-001 «East Lane street lights»: not rated yet" in (m.text or ""))
    await leader.press(lambda t: "XM-2026-001" in t, listing)
    asked = await leader.wait_for(lambda m: "How satisfied are you" in (m.text or ""))
    forged_again = [b for row in asked.buttons for _t, b in row if b and b.endswith(":satisfied")][0]
    await leader.press("satisfied", asked)
    await leader.wait_for(lambda m: "Saved: satisfied" in (m.text or ""))
    await leader.press("Skip")
    listing = await leader.wait_for(lambda m: "XM-2026-001 «East Lane street lights»: satisfied" in (m.text or ""))
    assert "already (satisfied)" in (await answer_to(leader, forged_again, listing)).text
    await leader.press(lambda t: "XM-2026-001" in t, listing)
    asked = await leader.wait_for(lambda m: "Change my rating" in (m.text or ""))
    await leader.press("basically satisfied", asked)
    await leader.wait_for(lambda m: "Saved: basically satisfied" in (m.text or ""))
    await leader.send("Good, but two lights were late.")
    await leader.wait_for(lambda m: "Your comment was saved." in (m.text or ""))

    # The other deputy is dissatisfied; the resident who follows rates; someone who follows nothing cannot.
    async with app.ctx.db.session() as s:
        evaluation_id = (await evaluation.current(s, 2026)).id
        await evaluation.rate(s, await load_actor(s, await s.get(people.User, MEMBER)), evaluation_id, 1,
                              "dissatisfied", clock())
    opened = await notice(resident, "The year-end evaluation of 2026's livelihood projects is open")
    resident.drain()
    await resident.press("Rate the projects", opened)
    listing = await resident.wait_for(lambda m: "not rated yet" in (m.text or ""))
    await resident.press(lambda t: "XM-2026-001" in t, listing)
    await resident.press("satisfied", await resident.wait_for(lambda m: "How satisfied" in (m.text or "")))
    await resident.wait_for(lambda m: "Saved: satisfied" in (m.text or ""))
    await stranger.send("/menu")
    await stranger.expect("Main menu")
    assert "for deputies and for residents following a project" in (
        await answer_to(stranger, f"ve:list:{evaluation_id}:0:")).text

    async with app.ctx.db.session() as s:
        ratings = sorted((r.as_deputy, r.answer) for r in await s.scalars(select(Rating)))
        changed = await s.scalar(select(AuditEvent).where(AuditEvent.action == "rating.change"))
    assert ratings == [(False, "satisfied"), (True, "basic"), (True, "dissatisfied")]
    assert changed.detail["previous"]["answer"] == "satisfied"

    # The end of the close day: closed by the sweep (two at once) and published, once, with the rate.
    clock.set(datetime(2026, 12, 21, 0, 5, tzinfo=TZ))
    await asyncio.gather(deadlines.sweep(app.ctx.db, clock()), deadlines.sweep(app.ctx.db, clock()))
    app.ctx.ring_outbox()
    for user in (leader, member, resident):
        published = await notice(user, "Year-end evaluation of 2026's projects: results")
        assert "XM-2026-001 «East Lane street lights»: 66.7% satisfied" in published.text  # (0 + 1 + 1) / 3
        assert "Deputies: 50.0% (2 ratings: 0 satisfied, 1 basically satisfied, 1 dissatisfied)" in published.text
        assert "Residents: 100.0% (1 ratings: 1 satisfied, 0 basically satisfied, 0 dissatisfied)" in published.text
        assert "“Good, but two lights were late.”" in published.text
    await asyncio.sleep(0.5)
    assert sum("Year-end evaluation of 2026's projects: results" in (m.text or "") for m in leader.inbox) == 1
    assert "is closed" in (await answer_to(leader, f"ve:rate:{evaluation_id}:1:satisfied")).text
