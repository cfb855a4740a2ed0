"""What a poster says, already translated; `services.render.poster` lays it out.

Kept apart from the layout so that building the texts (and commands that never print)
does not load reportlab.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class PosterCard:
    """One poster page; a station card for the first page uses the same shape."""

    title: str  # the deputy's name, printed largest
    lines: Sequence[str]  # level, station, ...
    call_to_action: str  # printed right under the QR code
    link: str  # what the QR code encodes, also printed in full under the call to action
    footer: str = ""  # e.g. reception hours, at the bottom of the page
    link_note: str = ""  # under the link: which app it opens


@dataclass(frozen=True)
class StationSheet:
    """A station's notice for its wall: who its deputies are and when each receives residents."""

    title: str  # the station's name
    lines: Sequence[str]  # its address, ...
    columns: tuple[str, str]  # the headers of the name and the hours columns
    rows: Sequence[tuple[str, str]]  # (deputy, reception hours)
    call_to_action: str = ""
    link: str = ""  # the station's code; empty: no QR code is printed
    link_note: str = ""
