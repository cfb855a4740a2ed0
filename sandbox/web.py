"""The page's server: one static page and a small JSON API over the fake Telegram, on loopback only.

Every action plays a persona in the fake Telegram exactly as a phone would (a text, a press,
a photo, a place, a scanned code); the bot sees ordinary updates. The page long-polls
`/api/chat/<persona>?seen=<digest>` and redraws when that chat has changed.
A request from another site (Origin) or for another host name (DNS rebinding) is refused.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from handlers.start import LANGUAGE_NAMES
from services import deputy_codes, directory
from services.errors import DomainError
from services.i18n import LOCALES, translate, use_locale
from services.render.qr import qr_png
from sandbox import texts
from sandbox.township import Persona

if TYPE_CHECKING:
    from fakebot import FakeUser
    from sandbox.runner import Sandbox

HOST = "127.0.0.1"
STATIC = Path(__file__).resolve().parent / "static"
LONG_POLL_SECONDS = 25.0
MAX_UPLOAD = 20 * 1024 * 1024  # a phone's photo; Telegram's own limit for bots' downloads
TEXT_PART = 4096  # a Telegram client sends a longer text in parts of this size
ANSWERS_SHOWN = 10
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Telegram's deep-link payload

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(sandbox: Sandbox, port: int) -> web.AppRunner:
    """Listen on 127.0.0.1:`port` (0: a free one); OSError when the port is taken."""
    runner = web.AppRunner(build(sandbox), access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner


def build(sandbox: Sandbox) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD, middlewares=[_same_origin])
    page = Page(sandbox)
    app.router.add_get("/", page.index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/world", page.world)
    app.router.add_get("/api/codes", page.codes)
    app.router.add_get(r"/api/qr/{payload:[A-Za-z0-9_-]{1,64}}.png", page.qr)
    app.router.add_get(r"/api/poster/{kind:deputy|station}/{id:\d+}.pdf", page.poster)
    app.router.add_get(r"/api/chat/{persona:\d+}", page.chat)
    for action in ("text", "press", "tap", "photos", "place", "start"):
        app.router.add_post(rf"/api/chat/{{persona:\d+}}/{action}", getattr(page, action))
    app.router.add_post("/api/clock", page.jump)
    app.router.add_get("/files/{file_id}", page.file)
    return app


@web.middleware
async def _same_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
    host = request.host.rsplit(":", 1)[0]
    origin = request.headers.get("Origin")
    if host not in (HOST, "localhost") or (origin is not None and origin != f"http://{request.host}"):
        raise web.HTTPForbidden(text="the sandbox answers its own page only")
    return await handler(request)


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=message)


class Page:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._qr_cache: dict[str, bytes] = {}

    @property
    def tg(self):  # noqa: ANN201
        return self.sandbox.tg

    # --- reading ----------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    def _locale(self, request: web.Request) -> str:
        wanted = request.query.get("lang", "")
        return wanted if wanted in LOCALES else self.sandbox.app.ctx.settings.default_locale

    async def world(self, request: web.Request) -> web.Response:
        """Everything the page shows around the chats, in the page's language."""
        locale = self._locale(request)
        ctx = self.sandbox.app.ctx
        return web.json_response({
            "locale": locale,
            "languages": [{"code": code, "name": translate(code, name)} for code, name in LANGUAGE_NAMES.items()],
            "texts": texts.page_texts(locale),
            "personas": [self._persona(p, locale) for p in self.sandbox.town.personas],
            "places": [{"name": p.name, "address": p.address} for p in self.sandbox.town.places],
            "bot": {"username": ctx.bot_username, "name": self.tg.bot_user["first_name"]},
            "timezone": ctx.settings.timezone,
        })

    @staticmethod
    def _persona(persona: Persona, locale: str) -> dict[str, Any]:
        detail = persona.detail or (translate(locale, texts.EVERY_STATION) if persona.role == "staff" else "")
        return {"id": persona.id, "role": persona.role, "name": persona.name, "detail": detail}

    async def codes(self, request: web.Request) -> web.Response:
        """The posters a resident can scan: each station's and each active deputy's code."""
        ctx = self.sandbox.app.ctx
        found = []
        async with ctx.db.session() as session:
            stations = {s.id: s.name for s in await directory.stations(session)}
            for station_id, name in stations.items():
                code = await deputy_codes.code_for(session, None, ctx.now(), station_id=station_id)
                found.append({"kind": "station", "id": station_id, "name": name, "detail": "",
                              "payload": deputy_codes.payload(code)})
            for deputy in await directory.deputies(session):
                code = await deputy_codes.code_for(session, None, ctx.now(), deputy_id=deputy.id)
                found.append({"kind": "deputy", "id": deputy.id, "name": deputy.name,
                              "detail": stations.get(deputy.station_id, ""), "payload": deputy_codes.payload(code)})
        return web.json_response(found)

    async def qr(self, request: web.Request) -> web.Response:
        payload = request.match_info["payload"]
        if payload not in self._qr_cache:
            link = self.sandbox.app.ctx.deep_link(payload)
            self._qr_cache[payload] = await asyncio.to_thread(qr_png, link)
        return web.Response(body=self._qr_cache[payload], content_type="image/png")

    async def poster(self, request: web.Request) -> web.Response:
        """The printable A4 poster (PDF) of a deputy or a station, as staff print it, in the page's language."""
        ctx = self.sandbox.app.ctx
        owner = {f"{request.match_info['kind']}_id": int(request.match_info["id"])}
        with use_locale(self._locale(request)):
            async with ctx.db.session() as session:
                try:
                    posters = await deputy_codes.poster_set(session, None, ctx.now(), ctx.deep_link,
                                                            congress=ctx.settings.congress_name, **owner)
                except DomainError as error:  # an unknown station, an unknown or inactive deputy
                    raise web.HTTPNotFound(text=translate("en", error.message, **error.params)) from error
            _pngs, pdf = await asyncio.to_thread(deputy_codes.render_posters, posters)
        return web.Response(body=pdf, content_type="application/pdf",
                            headers={"Content-Disposition": f'inline; filename="{posters.name}.pdf"'})

    async def chat(self, request: web.Request) -> web.Response:
        """The persona's chat as soon as it differs from what the page last showed (`seen`, a digest),
        or after a long-poll timeout. Other personas' message counts are part of it (the badges)."""
        user = self._user(request)
        seen = request.query.get("seen", "")
        loop = asyncio.get_running_loop()
        until = loop.time() + LONG_POLL_SECONDS
        while True:
            revision = self.tg.revision
            shown = self._chat_state(user)
            digest = hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]
            if digest != seen or loop.time() >= until:
                break
            await self.tg.wait_changed(revision, until - loop.time())
        clock = self.sandbox.clock
        return web.json_response({**shown, "digest": digest,
                                  "clock": {"now": clock().isoformat(), "ahead": int(clock.ahead.total_seconds())}})

    def _chat_state(self, user: FakeUser) -> dict[str, Any]:
        markup = user.reply_keyboard_markup
        return {
            "messages": user.transcript(),
            "keyboard": markup["keyboard"] if markup else None,
            "answers": [{"n": n, "text": a.text, "alert": a.show_alert}
                        for n, a in enumerate(user.callback_answers) if a.text][-ANSWERS_SHOWN:],
            "counts": {p.id: sum(not m.deleted for m in self.tg.user(p.id).inbox) for p in self.sandbox.town.personas},
            "commands": self.tg.menu_commands(user),
        }

    async def file(self, request: web.Request) -> web.Response:
        """A file of a chat (photo, QR code, poster, spreadsheet, chart), opened by the browser."""
        stored = self.tg.files.get(request.match_info["file_id"])
        if stored is None or stored.data is None:
            raise web.HTTPNotFound()
        name = quote(stored.file_name or stored.file_path.rsplit("/", 1)[-1])
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream",
                            headers={"Content-Disposition": f"inline; filename*=UTF-8''{name}"})

    # --- acting -----------------------------------------------------------------------------

    def _user(self, request: web.Request) -> FakeUser:
        persona = self.sandbox.town.by_id(int(request.match_info["persona"]))
        if persona is None:
            raise web.HTTPNotFound(text="no such persona")
        return self.tg.user(persona.id)

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise _bad("send JSON") from None
        if not isinstance(body, dict):
            raise _bad("send a JSON object")
        return body

    async def text(self, request: web.Request) -> web.Response:
        user = self._user(request)
        text = str((await self._json(request)).get("text", ""))
        if not text.strip():
            raise _bad("empty message")
        for start in range(0, len(text), TEXT_PART):  # as a client splits a long text
            await user.send(text[start:start + TEXT_PART])
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        """Press an inline button: the one at (row, column) of one of the bot's messages."""
        user = self._user(request)
        body = await self._json(request)
        message = next((m for m in user.inbox if m.message_id == body.get("message_id") and not m.deleted), None)
        rows = (message.reply_markup or {}).get("inline_keyboard") if message else None
        button = _cell(rows, body)
        if "callback_data" not in button:
            raise _bad("not a callback button")
        await user.press_data(button["callback_data"], message.message_id)
        return web.json_response({"ok": True})

    async def tap(self, request: web.Request) -> web.Response:
        """Tap a reply-keyboard button (its text, or the user's own contact); a location button
        opens the page's place picker instead."""
        user = self._user(request)
        markup = user.reply_keyboard_markup
        button = _cell(markup["keyboard"] if markup else None, await self._json(request))
        button = button if isinstance(button, dict) else {"text": button}
        if button.get("request_location"):
            raise _bad("choose a place instead")
        await user.press_reply(lambda text: text == button["text"])
        return web.json_response({"ok": True})

    async def photos(self, request: web.Request) -> web.Response:
        """Files from disk, as a phone sends them: images as photos (several as an album), anything
        else as a document. With no file, the bundled sample photo."""
        user = self._user(request)
        form = await request.post()
        caption = str(form.get("caption") or "").strip() or None
        files = [f for f in form.getall("file", []) if isinstance(f, web.FileField)]
        if not files:
            from sandbox.samples import sample_photo

            await user.send_photo(sample_photo(random.randrange(100)), caption=caption)
            return web.json_response({"ok": True})
        album = str(random.randrange(10**17, 10**18)) if len(files) > 1 else None
        for index, upload in enumerate(files):
            data = upload.file.read()
            if not data:
                raise _bad("empty file")
            said = caption if index == 0 else None
            if upload.content_type in IMAGE_TYPES:
                try:
                    await user.send_photo(data, caption=said, media_group_id=album)
                    continue
                except ValueError:  # not an image after all: sent as a file, as a client would
                    pass
            await user.send_document(data, upload.filename or "file", upload.content_type, caption=said)
        return web.json_response({"ok": True})

    async def place(self, request: web.Request) -> web.Response:
        """Share one of the township's named places, as a client's location picker does."""
        user = self._user(request)
        index = (await self._json(request)).get("index")
        places = self.sandbox.town.places
        if not isinstance(index, int) or not 0 <= index < len(places):
            raise _bad("no such place")
        place = places[index]
        await user.send_venue(place.latitude, place.longitude, place.name, place.address)
        return web.json_response({"ok": True})

    async def start(self, request: web.Request) -> web.Response:
        """Open a t.me deep link to the bot (a scanned code, a link in a message): `/start <payload>`."""
        user = self._user(request)
        payload = str((await self._json(request)).get("payload", ""))
        if not _PAYLOAD.fullmatch(payload):
            raise _bad("not a deep-link payload")
        await user.send(f"/start {payload}")
        return web.json_response({"ok": True})

    async def jump(self, request: web.Request) -> web.Response:
        step = STEPS.get(str((await self._json(request)).get("step")))
        if step is None:
            raise _bad(f"step is one of {', '.join(STEPS)}")
        await self.sandbox.jump(step)
        return web.json_response({"now": self.sandbox.clock().isoformat()})


def _cell(rows: Any, body: dict[str, Any]) -> Any:
    """The button at body's (row, column) of a keyboard, or 400."""
    row, column = body.get("row"), body.get("column")
    if not rows or not isinstance(row, int) or not isinstance(column, int) \
            or not 0 <= row < len(rows) or not 0 <= column < len(rows[row]):
        raise _bad("no such button")
    return rows[row][column]
