"""Fixtures for the playground: a real server on a loopback port, and a real headless Chromium
driven by Playwright (Debian's ``chromium`` through ``executable_path``; Playwright's own
browser download is not used).

Without a browser the browser tests are skipped with one line saying how to install one; with
``CHAINRULE_REQUIRE_BROWSER=1`` (CI) a missing browser, Playwright or web stack fails them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from dataclasses import dataclass

import pytest

from .live import running

REQUIRE = os.environ.get("CHAINRULE_REQUIRE_BROWSER") == "1"
INSTALL = (
    "no browser for the playground tests: install one with `apt-get install -y chromium` (as "
    "root) and `pip install playwright '.[playground]'`"
)


def missing() -> str | None:
    """What is missing to run the browser tests, or None."""
    for module in ("starlette", "uvicorn", "playwright"):
        if importlib.util.find_spec(module) is None:
            return f"{INSTALL} ({module} is not installed)"
    if shutil.which("chromium") is None:
        return f"{INSTALL} (no chromium on PATH)"
    return None


def need_web_stack():
    """Skip (or under CHAINRULE_REQUIRE_BROWSER=1 fail) when the web stack is not installed."""
    for module in ("starlette", "uvicorn", "websockets"):
        if importlib.util.find_spec(module) is None:
            message = f"the playground's web stack is missing ({module}); pip install ."
            if REQUIRE:
                pytest.fail(message)
            pytest.skip(message)


@dataclass
class Running:
    url: str
    app: object  # the Starlette app: app.state.sessions holds the open sessions


@pytest.fixture(scope="session")
def playground():
    """A playground server on 127.0.0.1 and a free port, for the whole test session."""
    need_web_stack()
    with running() as (port, app):
        yield Running(f"http://127.0.0.1:{port}/", app)


@contextlib.contextmanager
def chromium(*args: str):
    """A headless Chromium launched with ``args`` (skipped, or failed in CI, when there is
    none)."""
    problem = missing()
    if problem:
        if REQUIRE:
            pytest.fail(problem)
        pytest.skip(problem)
    launched = _driver().chromium.launch(
        executable_path=shutil.which("chromium"), args=["--no-sandbox", *args]
    )
    try:
        yield launched
    finally:
        launched.close()


_DRIVER: list = []  # one Playwright driver per test process: a second sync one cannot start


def _driver():
    """This process's Playwright driver, started on first use and stopped at the session's end."""
    if not _DRIVER:
        from playwright.sync_api import sync_playwright  # (an optional test dependency)

        _DRIVER.append(sync_playwright().start())
    return _DRIVER[0]


def pytest_sessionfinish(session, exitstatus):
    if _DRIVER:
        _DRIVER.pop().stop()


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the session."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, playground):
    """A fresh tab on the playground (its own session); fails the test on any console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 820}, accept_downloads=True)
    tab = context.new_page()
    errors = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.errors = errors
    tab.goto(playground.url)
    tab.wait_for_function("window.playground && window.playground.state.frame")
    yield tab
    context.close()
    assert errors == [], f"console errors: {errors}"
