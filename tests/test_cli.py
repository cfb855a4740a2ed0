"""The `minsheng` command as an operator meets it: clear one-line errors, help everywhere, no aiogram tax."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "ADMIN_", "TIMEZONE"))}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=60)


def test_run_without_token_says_how_to_get_one(tmp_path):
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("name, value", [("TIMEZONE", "Nowhere/City"), ("ADMIN_IDS", "12,abc"),
                                         ("BOT_TOKEN", "not-a-token"), ("DATABASE_URL", "mysql://x/y")])
def test_a_malformed_setting_is_named(tmp_path, name, value):
    result = run_cli("db", "upgrade", env={name: value}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"minsheng: {name} is invalid")
    assert "Traceback" not in result.stderr


def test_webhook_without_a_secret_is_refused(tmp_path):
    result = run_cli("db", "upgrade", env={"WEBHOOK_URL": "https://bot.example.org", "WEBHOOK_SECRET": "short"},
                     cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("minsheng: WEBHOOK_SECRET is invalid")


def test_help_everywhere():
    parser = build_parser()
    actions = [a for a in parser._actions if a.dest == "command"][0]
    for name, sub in actions.choices.items():
        assert sub.format_help().startswith("usage: minsheng " + name)
        for inner in [a for a in sub._actions if a.dest == "subcommand"]:
            for sub_name, leaf in inner.choices.items():
                assert leaf.format_help().startswith(f"usage: minsheng {name} {sub_name}")


def test_offline_commands_do_not_import_aiogram(tmp_path):
    code = (
        "import sys; from bot.cli import main; "
        "rc = main(['db', 'upgrade']); rc |= main(['admin', 'add', '42']); "
        "rc |= main(['export', 'suggestions', '--out', 'all.xlsx']); "
        "rc |= main(['export', 'projects', '--out', 'projects.xlsx']); "
        "rc |= main(['export', 'filings', '--out', 'filings.xlsx']); "
        "rc |= main(['export', 'site-visits', '--out', 'site-visits.xlsx']); "
        "rc |= main(['export', 'evaluations', '--out', 'evaluations.xlsx']); "
        "assert 'aiogram' not in sys.modules, 'aiogram imported'; sys.exit(rc)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "ADMIN_"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "42 is now an administrator" in result.stdout
    assert (tmp_path / "data" / "minsheng.sqlite3").exists()
    for name in ("all", "projects", "filings", "site-visits", "evaluations"):
        assert (tmp_path / f"{name}.xlsx").stat().st_size > 0


def test_invite_from_the_cli_is_a_working_link(tmp_path):
    result = run_cli("invite", "create", "--role", "department", "--department", "Water bureau",
                     env={"BOT_USERNAME": "minsheng_bot"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith("https://t.me/minsheng_bot?start=inv_")
    payload = link.split("start=", 1)[1]
    assert len(payload) <= 64 and payload.replace("_", "").replace("-", "").isalnum()
    bad = run_cli("invite", "create", "--role", "president", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_jobs_run_at_a_given_time(tmp_path):
    ok = run_cli("jobs", "run", "deadlines", "--at", "2026-03-10T09:00+08:00", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "deadlines: fired nothing, skipped 0"
    unknown = run_cli("jobs", "run", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown job 'nope'" in unknown.stderr
    garbage = run_cli("jobs", "run", "deadlines", "--at", "tomorrow", cwd=tmp_path)
    assert garbage.returncode == 2 and "--at" in garbage.stderr
