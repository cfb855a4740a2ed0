"""The sandbox's township as data (township.json) and the personas a visitor of the page can play.

Names, places and texts are data, not code: a congress office can rewrite township.json to
show its own county. Every persona is a Telegram user of the fake server; its id tells its
role (residents 1001…, deputies 2001…, staff 3001…, department clerks 4001…).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "township.json"
FIRST_ID = {"resident": 1001, "deputy": 2001, "staff": 3001, "department": 4001}
ROLES = tuple(FIRST_ID)
OFFICE_LANGUAGE = "zh-hans"  # deputies, staff and clerks read the bot in Simplified Chinese


@dataclass(frozen=True)
class Persona:
    """Someone the page can be: a Telegram user with one role in the township."""

    id: int
    role: str  # resident | deputy | staff | department
    key: str  # the person's key in township.json
    name: str
    language: str  # Telegram's language_code
    detail: str  # home, station or department, as written in township.json ("" for staff of every station)


@dataclass(frozen=True)
class Place:
    """A named place of the township, offered by the page's location picker."""

    name: str
    address: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Township:
    data: dict[str, Any]
    personas: tuple[Persona, ...]
    places: tuple[Place, ...]

    def persona(self, role: str, key: str) -> Persona:
        return next(p for p in self.personas if p.role == role and p.key == key)

    def by_id(self, persona_id: int) -> Persona | None:
        return next((p for p in self.personas if p.id == persona_id), None)

    def name_of(self, section: str, key: str | None) -> str:
        """The name of a station, department... by its key ("" for none)."""
        return next((row["name"] for row in self.data[section] if row["key"] == key), "")


def load(path: Path = DATA) -> Township:
    data = json.loads(path.read_text(encoding="utf-8"))

    def people(role: str, rows: list[dict[str, Any]], detail: str, section: str | None = None) -> list[Persona]:
        return [Persona(FIRST_ID[role] + n, role, row["key"], row["name"], row.get("language", OFFICE_LANGUAGE),
                        row.get(detail) if section is None else next(
                            (s["name"] for s in data[section] if s["key"] == row.get(detail)), ""))
                for n, row in enumerate(rows)]

    personas = (people("resident", data["residents"], "home")
                + people("deputy", [d for d in data["deputies"] if d["persona"]], "station", "stations")
                + people("staff", data["staff"], "station", "stations")
                + people("department", data["clerks"], "department", "departments"))
    places = tuple(Place(p["name"], p.get("address", ""), p["latitude"], p["longitude"]) for p in data["places"])
    return Township(data, tuple(personas), places)
