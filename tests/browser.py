"""A real browser for the dashboard's tests: Debian's chromium, driven by Playwright (no
browser download: Playwright is pointed at the system's chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.debian_tools import installed_debian_command

RENDERED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]') !== null
    && document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]') === null;
}"""
"""Streamlit has connected, the script has run to its end, and the page has content."""
PROBLEMS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
"""What a page shows when its script raised, or when it could not load its data."""


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = installed_debian_command("chromium", "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def wait_until_rendered(page: Any, timeout_ms: float = 60_000) -> None:
    page.wait_for_function(RENDERED, timeout=timeout_ms)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)  # charts (Vega) draw after the script's last message


def open_page(page: Any, url: str, height: int = 1000) -> list[str]:
    """Load ``url``, wait until it has rendered; the texts of its error boxes and
    exceptions (none on a healthy page)."""
    page.set_viewport_size({"width": page.viewport_size["width"], "height": height})
    page.goto(url)
    wait_until_rendered(page)
    return [str(text) for text in page.locator(PROBLEMS).all_inner_texts()]


def screenshot(page: Any, path: Path) -> Path:
    """The whole page: Streamlit scrolls inside its main area, so the window is made as
    tall as that area's content first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": int(height) + 40})
    page.wait_for_timeout(500)  # charts redraw at the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def png_height(path: Path) -> int:
    """The height in pixels of a PNG file (its IHDR chunk)."""
    return int.from_bytes(path.read_bytes()[20:24], "big")
