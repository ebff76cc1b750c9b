"""Browser tests: Debian's Chromium driven by Playwright, against a live server.

The pytest plugin offers two fixtures from here: ``browser`` (one headless Chromium per
test module) and ``artifacts`` (the ``artifacts/`` folder, for screenshots). Without
Chromium or Playwright, browser tests skip with the reason, unless the ``CI`` environment
variable is set: there they must run, so they fail. :func:`log_in` opens a page logged in
as the administrator, whose password a test sets to :data:`PASSWORD`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM", "DESKTOP", "PASSWORD", "PHONE", "artifacts", "browser", "log_in"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: the administrator's password in browser tests
PASSWORD = "browser-secret"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def _chromium() -> str | None:
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def _missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not _chromium():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``) for the tests of one module."""
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """The folder where tests leave screenshots (``artifacts/`` at the root)."""
    path = request.config.rootpath / "artifacts"
    path.mkdir(exist_ok=True)
    return path


def log_in(browser: Any, url: str, viewport: dict[str, int]) -> Any:
    """A new page of ``browser``, logged in as ``admin`` (password :data:`PASSWORD`)."""
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(10_000)
    page.goto(f"{url}/web")
    page.get_by_label("Email or login").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/web$"))
    return page
