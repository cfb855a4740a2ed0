"""The sandbox, started as `make sandbox` starts it, and its page in a real browser (Debian's Chromium, Playwright).

Playwright's own browser download is not used (it needs the internet): the tests launch
the Chromium at MINSHENG_CHROMIUM (default /usr/bin/chromium; `make test` installs it when
run as root). Without it, or without Playwright, the tests fail saying so; they never skip.
A failing test leaves a screenshot of the page under tests/artifacts/.
"""
from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from sandbox.runner import Sandbox
from tests.support.clock import SHANGHAI

CHROMIUM = os.environ.get("MINSHENG_CHROMIUM", "/usr/bin/chromium")
# What works as root on a machine with no network beyond the package registries.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
START = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday morning, as in the other tests


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """The sandbox as `make sandbox` runs it, on a free port, its clock starting on a fixed Monday."""
    running = Sandbox(port=0, start=START, timezone="Asia/Shanghai", default_locale="zh_CN",
                      send_rate_per_chat=50)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def browser():  # noqa: ANN201
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is needed for the browser tests and was not found at {CHROMIUM}: install Debian's "
                    "chromium package (apt-get install chromium; `make test` does it when run as root), or set "
                    "MINSHENG_CHROMIUM to a Chromium binary.", pytrace=False)
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("Playwright for Python is needed for the browser tests: pip install -e '.[test]'", pytrace=False)
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser, sandbox: Sandbox, request: pytest.FixtureRequest):  # noqa: ANN001, ANN201
    """The sandbox page, in English, at a desktop size; screenshot on failure."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    await context.add_init_script("localStorage.setItem('sandbox.lang', 'en')")
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    await opened.goto(sandbox.url)
    yield opened
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        await opened.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    await context.close()
    assert errors == [], f"the page raised: {errors}"
