"""Translations without aiogram: gettext catalogues read from `locales/*/LC_MESSAGES/*.po`.

Every `.po` file of a language is merged into one catalogue, so each feature keeps its
own catalogue file (`core.po`, `suggest.po`, ...) and nobody edits a shared one. The
current locale lives in a context variable: the update middleware sets it for the
user who wrote, and `use_locale` switches it while rendering for someone else (a
notification in the recipient's language).

Mark strings with `_("English source")`; mark strings translated later with `N_()`.
"""
from __future__ import annotations

import contextlib
import gettext
import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "zh_TW", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

# No default: unset means nobody has said whose language this is yet (DEFAULT_LOCALE applies).
_current: ContextVar[str] = ContextVar("minsheng_locale")


def set_default_locale(locale: str) -> None:
    global DEFAULT_LOCALE
    DEFAULT_LOCALE = locale


@lru_cache(maxsize=None)
def translations(locale: str) -> gettext.NullTranslations:
    """All catalogue files of `locale`, merged and compiled in memory."""
    merged = None
    for po_path in sorted((LOCALES_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        if merged is None:
            merged = catalog
        else:
            for message in catalog:
                if message.id:
                    merged[message.id] = message
    if merged is None:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_locale() -> str:
    return _current.get(DEFAULT_LOCALE)


def locale_known() -> bool:
    """Whether the current person's language has been set (else DEFAULT_LOCALE is spoken)."""
    return _current.get(None) is not None


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


@contextlib.contextmanager
def use_locale(locale: str | None) -> Iterator[None]:
    token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext_(message: str, **params: object) -> str:
    text = translations(_current.get(DEFAULT_LOCALE)).gettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(_current.get(DEFAULT_LOCALE)).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with `_()`."""
    return message


_ = gettext_


def translate(locale: str | None, message: str, **params: object) -> str:
    with use_locale(locale):
        return gettext_(message, **params)


def locale_from_telegram(language_code: str | None) -> str:
    """Telegram's IETF tag to one of our locales: Chinese script decides, else English."""
    code = (language_code or "").lower().replace("_", "-")
    if not code:
        return DEFAULT_LOCALE
    if code.startswith("zh"):
        if any(tag in code for tag in ("hant", "tw", "hk", "mo")):
            return "zh_TW"
        return "zh_CN"
    return "en"
