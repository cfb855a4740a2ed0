"""Developer tool for the gettext catalogues: `python -m bot.catalogues check|add DOMAIN [PATH...]`.

Messages are found in the code by their markers: `_()`, `N_()`, `gettext_()` and
`ngettext()` (a message passed on as an argument is wrapped in `N_()` where it is
written). Each feature keeps its own catalogue file per language
(`locales/<lang>/LC_MESSAGES/<domain>.po`); `add DOMAIN` appends the messages no
catalogue has yet to that domain's files, to be translated (only those used under the
given paths, e.g. `handlers/suggest.py services/suggestions.py`, when paths are given).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("bot", "handlers", "services", "models", "jobs", "sandbox")
LOCALES = ("zh_CN", "zh_TW", "en")
KEYWORDS = {"_": None, "N_": None, "gettext_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def used_messages() -> dict[str | tuple[str, str], str]:
    """Every marked message in the code, with one place it is used."""
    found: dict[str | tuple[str, str], str] = {}
    for directory in CODE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / directory, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            key = message if isinstance(message, str) else tuple(message[:2])
            found.setdefault(key, f"{directory}/{filename}:{lineno}")
    return found


def catalogue_files(locale: str) -> list[Path]:
    return sorted((ROOT / "locales" / locale / "LC_MESSAGES").glob("*.po"))


def load(locale: str) -> dict[str | tuple[str, str], object]:
    """msgid → translation (str, or tuple for plurals), merged over the locale's files."""
    merged: dict[str | tuple[str, str], object] = {}
    for path in catalogue_files(locale):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id:
                    key = message.id if isinstance(message.id, str) else tuple(message.id)
                    merged[key] = message.string
    return merged


def problems() -> list[str]:
    """What a reviewer would flag: untranslated, unused, mismatched placeholders, or «» quoting in
    Chinese (a back button's leading "« " is an arrow, the same in every language)."""
    used = used_messages()
    issues: list[str] = []
    for locale in LOCALES:
        catalogue = load(locale)
        for msgid, where in used.items():
            translation = catalogue.get(msgid)
            texts = translation if isinstance(translation, (tuple, list)) else (translation,)
            if not translation or not all(texts):
                issues.append(f"{locale}: untranslated {msgid!r} ({where})")
                continue
            wanted = set(PLACEHOLDER.findall(msgid if isinstance(msgid, str) else msgid[1]))
            for text in texts:
                if set(PLACEHOLDER.findall(text)) != wanted - {"n"} | (set(PLACEHOLDER.findall(text)) & {"n"}):
                    issues.append(f"{locale}: placeholders differ in {msgid!r}")
                quoted = text.removeprefix("\u00ab ").removesuffix(" \u00bb")  # an arrow on a button is no quote
                if locale.startswith("zh") and ("\u00ab" in quoted or "\u00bb" in quoted):
                    issues.append(f"{locale}: guillemets in {msgid!r}: Chinese quotes are \u201c\u201d")
        for msgid in catalogue:
            if msgid not in used:
                issues.append(f"{locale}: unused {msgid!r}")
    return issues


def add(domain: str, paths: list[str]) -> int:
    """Append messages no catalogue has yet to DOMAIN's files; only those used under `paths`, if given."""
    used = {m: where for m, where in used_messages().items() if not paths or where.startswith(tuple(paths))}
    added = 0
    for locale in LOCALES:
        known = load(locale)
        path = ROOT / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="minsheng-bot", charset="utf-8")
        for msgid, where in sorted(used.items(), key=lambda item: item[1]):
            if msgid not in known:
                catalog.add(msgid, string="" if isinstance(msgid, str) else ("", ""), locations=[(where, 0)])
                added += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False, no_location=True)
    return added


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        found = problems()
        print("\n".join(found) or "catalogues complete")
        return 1 if found else 0
    if len(argv) >= 2 and argv[0] == "add":
        print(f"added {add(argv[1], argv[2:])} entries")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
