"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright; no browser download."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import ARTIFACTS, PASSWORD

CHROMIUM = "/usr/bin/chromium"
SHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is missing: apt-get install chromium chromium-driver (make test does it)."
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


# Every page records what its Content-Security-Policy refused, from its first script on; a test
# fails after its last step if anything was refused (config/security_headers.py has the policy).
CSP_RECORDER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def csp_violations(page: Page) -> list[str]:
    """What the page now shown recorded, and what any page of the test logged in the console."""
    recorded = page.evaluate("window.__csp || []") if not page.is_closed() else []
    return [*page.csp_console, *(f"{page.url}: {v}" for v in recorded)]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    # Chromium logs each refusal in the console too, which also covers pages navigated away from.
    page.csp_console = []
    page.on(
        "console",
        lambda msg: (
            "Content Security Policy" in msg.text and page.csp_console.append(f"{page.url}: {msg.text}")
        ),
    )
    yield page
    try:
        violations = csp_violations(page)
    except Exception:
        violations = list(page.csp_console)
    context.close()
    if violations:
        pytest.fail(
            "Content-Security-Policy violations:\n" + "\n".join(dict.fromkeys(violations)), pytrace=False
        )


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("nav.mainnav", state="attached")
