"""The `minsheng` command as an operator meets it: clear one-line errors, help everywhere, no aiogram tax."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.cli import build_parser
from models import Deputy, Invite
from services import deputy_codes
from services.i18n import translate
from services.text import display_width
from tests.test_contact import build_world
from tests.test_render import _page_qr_image

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


# --- the roster, posters and invites (issue 11) --------------------------------------------------

OFFLINE = ("import sys; from bot.cli import main; rc = main(sys.argv[2:]); "
           "heavy = [name for name in sys.argv[1].split(',') if name in sys.modules]; "
           "assert not heavy, f'{heavy} imported'; sys.exit(rc)")


def run_offline(*args: str, database_url: str, cwd: Path, unused: tuple[str, ...] = ("aiogram",),
                **env: str) -> subprocess.CompletedProcess[str]:
    """A command run as the operator runs it, which must not pay for importing what it does not use."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("BOT_", "DATABASE_", "ADMIN_", "TIMEZONE", "CONGRESS_", "DEFAULT_LOCALE"))}
    return subprocess.run([sys.executable, "-c", OFFLINE, ",".join(unused), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={**clean, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
                                                      **env})


def _columns(table: str) -> list[list[str]]:
    """A plain table back into cells: columns are separated by two spaces or more."""
    return [re.split(r" {2,}", line.strip()) for line in table.strip().splitlines()]


async def test_deputy_and_station_lists_show_who_joined_and_which_codes_work(db, database_url, tmp_path):
    world = await build_world(db)
    async with db.session() as s:
        await deputy_codes.code_for(s, None, datetime(2026, 3, 2, tzinfo=timezone.utc), deputy_id=world.deputy)
        await deputy_codes.code_for(s, None, datetime(2026, 3, 2, tzinfo=timezone.utc), station_id=world.station)
        await deputy_codes.code_for(s, None, datetime(2026, 3, 2, tzinfo=timezone.utc), deputy_id=world.far_deputy)
        await deputy_codes.revoke(s, None, datetime(2026, 3, 3, tzinfo=timezone.utc), deputy_id=world.far_deputy)

    lists_import = ("aiogram", "reportlab", "openpyxl")  # a list prints text: no Telegram, no documents
    deputies = run_offline("deputy", "list", database_url=database_url, cwd=tmp_path, unused=lists_import)
    assert deputies.returncode == 0, deputies.stderr
    rows = _columns(deputies.stdout)
    assert rows[0] == ["id", "name", "station", "active", "on the bot", "active code"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["王芳"] == [str(world.deputy), "王芳", "东街联络站", "yes", "yes", "yes"]
    assert by_name["钱多"] == [str(world.offline_deputy), "钱多", "东街联络站", "yes", "no", "no"]
    assert by_name["赵强"] == [str(world.far_deputy), "赵强", "西村代表之家", "yes", "yes", "no"]  # withdrawn
    assert len(by_name) == 4
    lines = deputies.stdout.strip().splitlines()
    # Columns line up in a terminal although the names are Chinese: each column starts at one place.
    starts = {display_width(line[:line.index(" yes")]) for line in lines[1:]}
    assert len(starts) == 1

    stations = run_offline("station", "list", database_url=database_url, cwd=tmp_path, unused=lists_import)
    assert stations.returncode == 0, stations.stderr
    rows = _columns(stations.stdout)
    assert rows[0] == ["id", "name", "deputies", "on the bot", "active code"]
    assert [str(world.station), "东街联络站", "3", "2", "yes"] in rows
    assert [str(world.other_station), "西村代表之家", "1", "1", "no"] in rows


def test_lists_of_an_empty_directory_say_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert run_offline("deputy", "list", database_url=url, cwd=tmp_path).stdout.strip() == "no deputy yet"
    assert run_offline("station", "list", database_url=url, cwd=tmp_path).stdout.strip() == "no station yet"


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW", "en"])
async def test_deputy_poster_names_the_congress_writes_the_link_out_and_says_it_opens_telegram(
        db, database_url, tmp_path, locale):

    world = await build_world(db)
    congress = "青溪镇人民代表大会"
    result = run_offline("deputy", "qr", "--deputy", str(world.deputy), "--out", str(tmp_path),
                         database_url=database_url, cwd=tmp_path, BOT_USERNAME="minsheng_test_bot",
                         CONGRESS_NAME=congress, DEFAULT_LOCALE=locale)
    assert result.returncode == 0, result.stderr
    async with db.session() as s:
        token = (await deputy_codes.active_code(s, deputy_id=world.deputy)).token
    link = f"https://t.me/minsheng_test_bot?start=d_{token}"
    png = Image.open(tmp_path / f"deputy-{world.deputy}.png")
    assert [code.text for code in zxingcpp.read_barcodes(png)] == [link]
    text = "".join(PdfReader(tmp_path / f"deputy-{world.deputy}.pdf").pages[0].extract_text().split())
    assert congress in text and "王芳" in text
    assert link in text  # typed by hand by whoever cannot scan
    opens = "".join(translate(locale, deputy_codes.OPENS_IN).split())
    assert "Telegram" in opens and opens in text
    assert "".join(translate(locale, "Scan to write to your deputy or book a meeting").split()) in text


async def test_station_poster_lists_deputies_and_hours_with_the_station_code(db, database_url, tmp_path):

    world = await build_world(db)
    async with db.session() as s:
        (await s.get(Deputy, world.deputy)).reception_hours = "每周三 9:00-11:30"
        (await s.get(Deputy, world.colleague)).reception_hours = "每月第一个周六 14:00-16:00"
        code = await deputy_codes.code_for(s, None, datetime(2026, 3, 2, tzinfo=timezone.utc), station_id=world.station)
        token = code.token
    out = tmp_path / "east.pdf"
    env = dict(BOT_USERNAME="minsheng_test_bot", CONGRESS_NAME="青溪镇人民代表大会")
    result = run_offline("station", "poster", "--station", str(world.station), "--out", str(out),
                         database_url=database_url, cwd=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    page = PdfReader(out).pages[0]
    text = "".join(page.extract_text().split())
    link = f"https://t.me/minsheng_test_bot?start=st_{token}"
    for expected in ("青溪镇人民代表大会", "东街联络站", "王芳", "每周三9:00-11:30", "李明", "每月第一个周六14:00-16:00",
                     "钱多", translate("zh_CN", "to be announced"), link):
        assert expected in text
    assert "赵强" not in text  # the other station's deputy
    assert [code.text for code in zxingcpp.read_barcodes(_page_qr_image(page))] == [link]

    async with db.session() as s:  # the code withdrawn: the notice still lists the deputies, without a code
        await deputy_codes.revoke(s, None, datetime(2026, 3, 3, tzinfo=timezone.utc), station_id=world.station)
    result = run_offline("station", "poster", "--station", str(world.station), "--out", str(out),
                         database_url=database_url, cwd=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "no active code" in result.stderr
    page = PdfReader(out).pages[0]
    text = "".join(page.extract_text().split())
    assert "王芳" in text and "t.me" not in text and not zxingcpp.read_barcodes(_page_qr_image(page))

    missing = run_offline("station", "poster", "--station", "99", database_url=database_url, cwd=tmp_path, **env)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == "minsheng: no station has id 99 (`minsheng station list` shows them)"


def test_deputy_qr_for_an_id_that_never_existed_says_so(tmp_path):
    result = run_offline("deputy", "qr", "--deputy", "99", "--out", str(tmp_path / "posters"),
                         database_url=f"sqlite:///{tmp_path / 'm.sqlite3'}", cwd=tmp_path, BOT_USERNAME="minsheng_bot")
    assert result.returncode == 2
    assert result.stderr.strip() == "minsheng: no deputy has id 99 (`minsheng deputy list` shows them)"
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "posters").exists()  # nothing half-written


async def test_invite_expiry_is_printed_in_the_congress_time_zone(db, database_url, tmp_path):

    result = run_offline("invite", "create", "--role", "staff", database_url=database_url, cwd=tmp_path,
                         BOT_USERNAME="minsheng_bot", TIMEZONE="America/New_York")
    assert result.returncode == 0, result.stderr
    async with db.session() as s:
        expires_at = (await s.scalars(select(Invite))).one().expires_at
    local = expires_at.astimezone(ZoneInfo("America/New_York"))
    assert result.stderr.strip() == f"expires {local:%Y-%m-%d %H:%M} America/New_York"
    assert f"{expires_at.astimezone(timezone.utc):%Y-%m-%d %H:%M}" not in result.stderr  # not UTC in disguise
