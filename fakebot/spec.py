"""The official Bot API method list, loaded once from the spec JSON shipped with this package.

``spec_data/bot-api-10.1.json`` is the Bot API 10.1 method and type list scraped from
Telegram's documentation by PaulSonOfLars/telegram-bot-api-spec (MIT licence, see
``spec_data/LICENSE``). Set ``TELEGRAM_SPEC_JSON`` to use another copy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_ENV_VAR = "TELEGRAM_SPEC_JSON"
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "spec_data" / "bot-api-10.1.json"

SCALAR_TYPES = frozenset({"String", "Integer", "Float", "Boolean", "InputFile"})


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method: its name, accepted types and whether it is required."""

    name: str
    types: tuple[str, ...]
    required: bool

    @property
    def is_json(self) -> bool:
        """True when the value is an object or array (sent JSON-serialized in forms)."""
        return any(t.startswith("Array of ") or t not in SCALAR_TYPES for t in self.types)

    @property
    def accepts_file(self) -> bool:
        return "InputFile" in self.types


@dataclass(frozen=True)
class MethodSpec:
    """One Bot API method: canonical name, parameters and return types."""

    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]


@dataclass(frozen=True)
class TypeSpec:
    """One Bot API object type; abstract types (e.g. ChatMember) list ``subtypes`` instead of fields."""

    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]


_SCALAR_CHECKS: dict[str, Callable[[Any], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
}


@dataclass(frozen=True)
class Spec:
    """The parsed spec; method lookup is case-insensitive, as on Telegram's servers."""

    version: str
    methods: dict[str, MethodSpec]  # keyed by lower-cased name
    types: dict[str, TypeSpec]

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name.lower())

    def problems(self, type_name: str, value: Any, path: str = "$") -> list[str]:
        """Where ``value`` breaks the spec of ``type_name`` (missing required fields, wrong kinds)."""
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected an array"]
            inner = type_name.removeprefix("Array of ")
            return [p for i, item in enumerate(value) for p in self.problems(inner, item, f"{path}[{i}]")]
        if type_name in _SCALAR_CHECKS:
            return [] if _SCALAR_CHECKS[type_name](value) else [f"{path}: expected {type_name}, got {value!r}"]
        spec = self.types[type_name]
        if spec.subtypes:  # a union: fine if any variant fits; else report the closest
            return _closest([self.problems(sub, value, path) for sub in spec.subtypes])
        if not isinstance(value, dict):
            return [f"{path}: expected a {type_name} object"]
        found: list[str] = []
        for field in spec.fields.values():
            if field.name not in value:
                if field.required:
                    found.append(f"{path}.{field.name}: required by {type_name} but missing")
                continue
            found.extend(_closest([self.problems(t, value[field.name], f"{path}.{field.name}") for t in field.types]))
        return found

    def canonical(self, name: str) -> str:
        """The spec spelling of ``name``; raises ``ValueError`` for unknown methods."""
        method = self.method(name)
        if method is None:
            raise ValueError(f"{name!r} is not a Bot API method ({self.version})")
        return method.name


def _closest(alternatives: list[list[str]]) -> list[str]:
    """The problem list of the best-fitting alternative type (empty if one fits)."""
    return min(alternatives, key=len)


def spec_path() -> Path:
    override = os.environ.get(SPEC_ENV_VAR)
    return Path(override) if override else DEFAULT_SPEC_PATH


@lru_cache(maxsize=4)
def _load(path: Path) -> Spec:
    if not path.is_file():
        raise FileNotFoundError(
            f"Telegram Bot API spec not found at {path}. "
            f"Put bot-api-10.1.json there or set {SPEC_ENV_VAR} to its path."
        )
    raw = json.loads(path.read_text(encoding="utf-8"))

    def fields(body: dict[str, Any]) -> dict[str, FieldSpec]:
        return {f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"])) for f in body.get("fields", [])}

    methods = {
        name.lower(): MethodSpec(name, fields(body), tuple(body.get("returns", ())))
        for name, body in raw["methods"].items()
    }
    types = {name: TypeSpec(name, fields(body), tuple(body.get("subtypes", ()))) for name, body in raw["types"].items()}
    return Spec(version=raw.get("version", "unknown"), methods=methods, types=types)


def load_spec() -> Spec:
    """The spec at :func:`spec_path`, parsed once per path and cached."""
    return _load(spec_path())
