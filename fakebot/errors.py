"""Error answers of the fake Bot API, shaped like Telegram's."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class TelegramError(Exception):
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}`` with that HTTP status."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.code)


def bad_request(description: str) -> TelegramError:
    """400 "Bad Request: <description>"."""
    return TelegramError(400, f"Bad Request: {description}")
