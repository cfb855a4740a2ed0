"""The main menu follows the four orders; each feature registers its own entries.

An entry shows only to users holding one of its roles. Pressing it sends
`MenuCb(key=entry.key)`, which the feature's router handles.
"""
from __future__ import annotations

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.keyboards import Row, button, markup
from services.auth import Actor
from services.i18n import N_, _

SECTIONS = {
    "suggest": N_("Suggest"),
    "decide": N_("Decide"),
    "deliver": N_("Deliver"),
    "verify": N_("Verify"),
    "office": N_("Office"),
    "settings": N_("Settings"),
}


# Each order (and the office) is also a command that opens just that part of the menu.
SECTION_COMMANDS = {
    "suggest": N_("Suggest projects, write to your deputy"),
    "decide": N_("Suggestions, candidate pool, votes"),
    "deliver": N_("Plans, progress, answers to proposals"),
    "verify": N_("Inspections and evaluations"),
    "office": N_("Office work"),
    "settings": N_("Language and your data"),
}


class MenuCb(CallbackData, prefix="menu"):
    key: str


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str  # gettext id
    section: str
    roles: tuple[str, ...]
    order: int = 50


_entries: dict[str, MenuEntry] = {}


def register(key: str, label: str, section: str, roles: tuple[str, ...], order: int = 50) -> None:
    if section not in SECTIONS:
        raise ValueError(f"unknown menu section {section}")
    _entries[key] = MenuEntry(key, label, section, roles, order)


def visible(actor: Actor) -> list[MenuEntry]:
    section_rank = {name: i for i, name in enumerate(SECTIONS)}
    shown = [e for e in _entries.values() if actor.has(*e.roles)]
    return sorted(shown, key=lambda e: (section_rank[e.section], e.order, e.key))


def sections_for(actor: Actor) -> list[str]:
    """The sections with at least one entry this user may open, in menu order."""
    shown = {entry.section for entry in visible(actor)}
    return [name for name in SECTIONS if name in shown]


def menu_text(actor: Actor) -> str:
    lines = [_("Main menu. What would you like to do?")]
    current = None
    for entry in visible(actor):
        if entry.section != current:
            current = entry.section
            lines.append(f"\n<b>{_(SECTIONS[current])}</b>")
        lines.append("• " + _(entry.label))
    return "\n".join(lines)


def menu_markup(actor: Actor, section: str | None = None) -> InlineKeyboardMarkup:
    entries = [e for e in visible(actor) if section is None or e.section == section]
    rows: list[Row] = []
    for entry in entries:
        entry_button = button(_(entry.label), MenuCb(key=entry.key))
        if rows and len(rows[-1]) == 1 and len(_(entry.label)) <= 12 and len(rows[-1][0].text) <= 12:
            rows[-1].append(entry_button)
        else:
            rows.append([entry_button])
    if section is not None:
        rows.append(home_row())
    return markup(*rows)


def home_row() -> Row:
    """« Main menu: the way back from any screen (handled by handlers.start)."""
    return [button(_("« Main menu"), MenuCb(key="home"))]


def back_to_menu_markup() -> InlineKeyboardMarkup:
    return markup(home_row())
