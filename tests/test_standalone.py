"""The repository stands alone: a copy with nothing beside it collects and runs the suite.

A user clones the project from its public repository; nothing at install, run or test
time may read a path outside the checkout (a sibling `shared/` folder, say). This test
copies what a clone holds into an empty temporary folder and runs the collection of
the whole suite there, and the fake Telegram's self-check, which loads the Bot API spec.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".git", ".venv", "data", "__pycache__", "build", "artifacts"}
OUTSIDE = re.compile(r"\.\./shared|parents\[\d+\]\s*/\s*[\"']shared")


def _clone_files() -> list[Path]:
    """What a clone of this checkout holds: git's tracked files, or (without git) the tree."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]
    return [path for path in ROOT.rglob("*")
            if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)]


def test_a_copy_with_nothing_beside_it_collects_and_runs(tmp_path: Path) -> None:
    clone = tmp_path / "lonely" / "minsheng-bot"
    for path in _clone_files():
        target = clone / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    env = {key: value for key, value in os.environ.items() if key not in ("TELEGRAM_SPEC_JSON", "PYTHONPATH")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                               cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    assert re.search(r"\d+ tests? collected", collected.stdout), collected.stdout[-2000:]
    selfcheck = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                                "tests/test_fakebot.py"], cwd=clone, env=env, capture_output=True, text=True,
                               timeout=300)
    assert selfcheck.returncode == 0, selfcheck.stdout[-3000:] + selfcheck.stderr[-3000:]


def test_no_code_reads_a_path_outside_the_checkout() -> None:
    suffixes = {".py", ".toml", ".cfg", ".ini", ".mako"}
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in _clone_files() if path.suffix in suffixes or path.name == "Makefile"
                 for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                 if OUTSIDE.search(line) and path != Path(__file__).resolve()]
    assert offenders == []
