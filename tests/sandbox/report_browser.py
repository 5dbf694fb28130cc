"""Open an HTML report in a real browser: Debian's headless Chromium, driven by Debian's chromedriver.

Both come from one Debian source package (``chromium``, ``chromium-driver``), so their versions always
match; the driver is given by path, so Selenium Manager downloads nothing. ``.ci/run`` installs them when
they are missing; without them the browser tests skip, saying how to install them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless, and nothing that reaches out of the machine (updates, sync, QUIC probes, first-run pages).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def require_chromium() -> None:
    """Skip, with the reason, when Debian's Chromium or its driver is not installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not (p.is_file() and shutil.which(str(p)))]
    if missing:
        pytest.skip(
            f"no Chromium installed ({', '.join(missing)} missing): apt-get install chromium chromium-driver "
            "(.ci/run installs them)"
        )


@dataclass(frozen=True, slots=True)
class OpenedPage:
    driver: Any  # selenium.webdriver.Chrome

    def console_errors(self) -> list[str]:
        """Console messages at error level and uncaught script errors, as the browser logged them."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def run(self, script: str) -> Any:
        return self.driver.execute_script(script)

    def screenshot(self, name: str) -> Path:
        """The whole page as a PNG under ``test-artifacts/`` (gitignored; CI keeps it)."""
        height = int(self.run("return document.documentElement.scrollHeight"))
        self.driver.set_window_size(1280, min(max(height, 600), 16000))
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def opened(page: Path) -> Iterator[OpenedPage]:
    """``page`` opened in headless Chromium, with the browser's console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(page.resolve().as_uri())
        yield OpenedPage(driver)
    finally:
        driver.quit()
