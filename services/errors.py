"""Domain errors carry a gettext message id; handlers translate and show them."""
from __future__ import annotations

from html import escape

from services.i18n import N_, gettext_


class DomainError(Exception):
    """A rule said no. `message` is an English gettext id, `params` fill its placeholders.

    Params are plain text; `localized(html=True)` escapes them for an HTML message.
    """

    default = N_("That cannot be done.")

    def __init__(self, message: str | None = None, **params: object) -> None:
        self.message = message or self.default
        self.params = params
        super().__init__(self.message)

    def localized(self, html: bool = False) -> str:
        params = {k: escape(v, quote=False) if html and isinstance(v, str) else v for k, v in self.params.items()}
        return gettext_(self.message, **params)


class PermissionDenied(DomainError):
    default = N_("You are not allowed to do that.")


class NotFound(DomainError):
    default = N_("That item no longer exists.")


class InvalidInput(DomainError):
    default = N_("That input is not valid.")
