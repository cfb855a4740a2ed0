"""Files as Telegram stores them: ids, download paths and the media objects put into messages."""

from __future__ import annotations

import mimetypes
import secrets
from pathlib import PurePosixPath
from typing import Any

from .errors import TelegramError, bad_request
from .media import image_size, photo_sizes
from .models import StoredFile, UploadedFile

MAX_UPLOAD = 50 * 1024 * 1024
# Defaults for the required fields of each media object when the sender gives none.
MEDIA_DEFAULTS: dict[str, dict[str, Any]] = {
    "photo": {},
    "document": {},
    "video": {"width": 640, "height": 360, "duration": 5, "mime_type": "video/mp4"},
    "animation": {"width": 320, "height": 240, "duration": 2, "mime_type": "video/mp4"},
    "audio": {"duration": 30, "mime_type": "audio/mpeg"},
    "voice": {"duration": 3, "mime_type": "audio/ogg"},
    "video_note": {"length": 240, "duration": 5},
    "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False},
}
# Send parameters that describe the media (sendVideo's width, sendAudio's title...).
MEDIA_PARAMS = ("duration", "width", "height", "length", "performer", "title", "emoji")
TYPE_NAMES = {
    "photo": "Photo", "document": "Document", "video": "Video", "audio": "Audio", "voice": "Voice",
    "animation": "Animation", "video_note": "VideoNote", "sticker": "Sticker",
}
_ID_PREFIXES = {
    "photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "video": "BAACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI", "voice": "AwACAgIAAxkBAAI", "animation": "CgACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI", "sticker": "CAACAgIAAxkBAAI",
}
_FOLDERS = {
    "photo": "photos", "document": "documents", "video": "videos", "audio": "music", "voice": "voice",
    "animation": "animations", "video_note": "video_notes", "sticker": "stickers",
}
_IMAGE_MIME = {b"\x89P": "image/png", b"GI": "image/gif", b"RI": "image/webp", b"BM": "image/bmp"}


class FileStore:
    """Every file the bot or the users sent, by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def store(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        attributes: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> StoredFile:
        """Register a file; its ``json`` is the object Telegram puts into messages.

        ``kind`` is a message media field (photo, document, video, voice, sticker...);
        ``data`` is None for files given by URL.  Photos get Telegram's size ladder,
        every size resolving to the same bytes.  Bad images → 400 like Telegram."""
        if kind not in _FOLDERS:
            raise ValueError(f"unknown file kind {kind!r}; use one of {sorted(_FOLDERS)}")
        if kind == "photo":
            return self._store_photo(data, file_name, url)
        defaults = MEDIA_DEFAULTS[kind]
        mime = mime_type or (mimetypes.guess_type(file_name)[0] if file_name else None) or defaults.get("mime_type")
        stored = self._register(kind, data, file_name, mime, url)
        obj: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        obj.update({k: v for k, v in defaults.items() if k != "mime_type"})
        obj.update(attributes or {})
        if file_name and kind in ("document", "video", "audio", "animation"):
            obj["file_name"] = file_name
        if mime and kind not in ("sticker", "video_note"):
            obj["mime_type"] = mime
        if data is not None:
            obj["file_size"] = len(data)
        stored.json = obj
        return stored

    def resolve(self, value: Any, kind: str, params: dict[str, Any]) -> StoredFile:
        """The file a send parameter refers to: an upload, an HTTP URL or a known file_id."""
        attributes = {k: params[k] for k in MEDIA_PARAMS if k in params}
        if isinstance(value, UploadedFile):
            if len(value.data) > MAX_UPLOAD:
                raise TelegramError(413, "Request Entity Too Large")
            if not value.data:
                raise bad_request("file must be non-empty")
            mime = value.content_type if value.content_type != "application/octet-stream" else None
            return self.store(kind, value.data, file_name=value.filename, mime_type=mime, attributes=attributes)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = PurePosixPath(value.split("?", 1)[0]).name or None
            return self.store(kind, None, file_name=name, attributes=attributes, url=value)
        stored = self._by_id.get(value) if isinstance(value, str) else None
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if (stored.kind == "photo") != (kind == "photo"):
            raise bad_request(f"can't use file of type {TYPE_NAMES[stored.kind]} as {TYPE_NAMES[kind]}")
        return stored

    def _register(
        self, kind: str, data: bytes | None, file_name: str | None, mime_type: str | None, url: str | None
    ) -> StoredFile:
        suffix = PurePosixPath(file_name).suffix if file_name else ""
        suffix = suffix or (mimetypes.guess_extension(mime_type) if mime_type else None) or ""
        stored = StoredFile(
            file_id=_ID_PREFIXES[kind] + secrets.token_urlsafe(40),
            file_unique_id="AQAD" + secrets.token_urlsafe(9),
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{_FOLDERS[kind]}/file_{len(self._by_id)}{suffix}",
            url=url,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def _store_photo(self, data: bytes | None, file_name: str | None, url: str | None) -> StoredFile:
        size = image_size(data) if data is not None else (800, 600)  # URL photos are not downloaded
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10000 or max(width, height) > 20 * max(min(width, height), 1):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        mime = _IMAGE_MIME.get((data or b"")[:2], "image/jpeg")
        ladder = photo_sizes(width, height)
        stored = [self._register("photo", data, file_name, mime, url) for _ in ladder]
        sizes = [
            {"file_id": s.file_id, "file_unique_id": s.file_unique_id, "width": w, "height": h,
             **({"file_size": len(data)} if data is not None else {})}
            for s, (w, h) in zip(stored, ladder, strict=True)
        ]
        for size_file in stored:
            size_file.json = sizes
        return stored[-1]
