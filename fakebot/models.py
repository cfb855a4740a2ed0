"""Records the fake keeps: API calls, errors, files, sent messages, callback answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Call(NamedTuple):
    """One Bot API request as the fake understood it (method in spec spelling, decoded params)."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ApiError:
    """A request the fake answered with an error (validation, injected fault, blocked user...)."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str

    @property
    def status(self) -> int:
        """The HTTP status of the answer (Telegram sends the error_code as the status)."""
        return self.error_code


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as the bot uploaded it."""

    data: bytes
    filename: str | None
    content_type: str | None


@dataclass
class StoredFile:
    """A file known to the fake: ``json`` is what Telegram puts into messages for it
    (a PhotoSize list for photos, a Document/Video/... object otherwise).  ``data`` is
    None for files the bot sent by HTTP URL (the fake does not download them)."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None
    file_name: str | None
    mime_type: str | None
    file_path: str
    json: Any = None
    url: str | None = None

    @property
    def size(self) -> int | None:
        return None if self.data is None else len(self.data)


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for a press (``data`` is the callback_data pressed)."""

    query_id: str
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


MEDIA_KEYS = ("photo", "document", "video", "audio", "voice", "animation", "video_note", "sticker")
CONTENT_KEYS = (
    "text", "entities", "caption", "caption_entities", *MEDIA_KEYS,
    "location", "venue", "contact", "dice", "poll",
)


def content_kind(payload: dict[str, Any]) -> str:
    """``text``, ``photo``, ``document``, ``location``... (the first content field of a Message; a
    caption belongs to its media)."""
    return next((k for k in CONTENT_KEYS if k in payload and k not in ("entities", "caption", "caption_entities")),
                "service")


@dataclass(eq=False)
class SentMessage:
    """A message the bot sent (sendX, copyMessage, forwardMessage) and Telegram accepted.

    ``payload`` is the Message object exactly as the fake returned it, kept current:
    edits update it in place (and are listed in ``edits``), deletion sets ``deleted``.
    ``raw`` holds the parameters of the sending call; ``reply_markup`` the current
    markup (inline keyboard, reply keyboard, ReplyKeyboardRemove or ForceReply).
    """

    message_id: int
    chat_id: int
    method: str
    raw: dict[str, Any]
    payload: dict[str, Any]
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    file: StoredFile | None = None
    edits: list[Call] = field(default_factory=list)
    deleted: bool = False

    @property
    def text(self) -> str | None:
        """The visible text, or the caption of a media message (markup already parsed)."""
        return self.payload.get("text", self.payload.get("caption"))

    @property
    def entities(self) -> list[dict[str, Any]]:
        return self.payload.get("entities") or self.payload.get("caption_entities") or []

    @property
    def media_group_id(self) -> str | None:
        return self.payload.get("media_group_id")

    @property
    def reply_to_message_id(self) -> int | None:
        replied = self.payload.get("reply_to_message")
        return replied["message_id"] if replied else None

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as ``(text, callback_data or url)``; [] without one."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Reply keyboard rows as button texts, or None if the message has none."""
        rows = (self.reply_markup or {}).get("keyboard")
        if rows is None:
            return None
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    @property
    def photo_bytes(self) -> bytes | None:
        return self.file.data if self.file and self.file.kind == "photo" else None

    @property
    def document_bytes(self) -> bytes | None:
        return self.file.data if self.file and self.file.kind == "document" else None

    @property
    def document_name(self) -> str | None:
        return self.file.file_name if self.file and self.file.kind == "document" else None

    @property
    def kind(self) -> str:
        """``text``, ``photo``, ``document``, ``location``... (first content field present)."""
        return content_kind(self.payload)

    def describe(self) -> str:
        """One line for failure dumps."""
        parts = [f"#{self.message_id} {self.method} [{self.kind}]"]
        if self.text is not None:
            shown = self.text if len(self.text) <= 120 else self.text[:117] + "..."
            parts.append(repr(shown))
        if self.buttons:
            parts.append(f"buttons={[[t for t, _ in row] for row in self.buttons]}")
        if self.reply_keyboard is not None:
            parts.append(f"keyboard={self.reply_keyboard}")
        if self.edits:
            parts.append(f"edited x{len(self.edits)}")
        if self.deleted:
            parts.append("DELETED")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"<SentMessage chat={self.chat_id} {self.describe()}>"


def message_view(payload: dict[str, Any], *, from_bot: bool, edits: int = 0) -> dict[str, Any]:
    """One message as a chat client draws it, in plain JSON: who sent it, its kind, text (or caption)
    with entities, the file it carries (the largest photo size), place, contact, album, reply and
    inline keyboard. ``edits`` counts the edits a client marks as such (of the text, caption or media)."""
    view: dict[str, Any] = {
        "message_id": payload["message_id"],
        "from_bot": from_bot,
        "date": payload.get("date"),
        "kind": "venue" if "venue" in payload else content_kind(payload),
        "text": payload.get("text", payload.get("caption")),
        "entities": payload.get("entities") or payload.get("caption_entities") or [],
        "edited": edits,
    }
    for key in MEDIA_KEYS:
        media = payload.get(key)
        if media:
            item = media[-1] if isinstance(media, list) else media
            view["file"] = {"file_id": item["file_id"], "kind": key, "name": item.get("file_name"),
                            "mime_type": item.get("mime_type"), "size": item.get("file_size")}
    for key in ("location", "venue", "contact", "media_group_id"):
        if key in payload:
            view[key] = payload[key]
    if payload.get("reply_to_message"):
        view["reply_to"] = payload["reply_to_message"]["message_id"]
    markup = payload.get("reply_markup") or {}
    view["buttons"] = markup.get("inline_keyboard") or []
    return view
