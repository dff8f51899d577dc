"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API against the live server."""

import os
from pathlib import Path

import pytest
from django.test import override_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HTTP_ONLY = {"SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False}


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, but one of our own that speaks plain http with DEBUG off.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server thread builds its
    handler, so the override must be in force before this server starts; owning the server
    (rather than wrapping the shared session one) means no earlier test can have started it
    with the redirect on.
    """
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    with override_settings(**HTTP_ONLY):
        server = LiveServer(address)
        yield server
        server.stop()


@pytest.fixture(scope="module", autouse=True)
def _async_unsafe_allowed():
    # Playwright's sync API runs an event loop in the test thread; Django's ORM would then refuse
    # every query from the test code as "async unsafe" although nothing here is concurrent.
    # Only for these modules: elsewhere the guard stays on.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _plain_http_cookies(settings):
    for name, value in HTTP_ONLY.items():
        setattr(settings, name, value)


def launch_chromium(playwright):
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing, so the browser tests cannot run. "
            "Install Debian's browser with: apt-get install -y chromium"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser(_async_unsafe_allowed):
    """One Chromium per module: its event loop must be gone before other async tests run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(width=1280, height=800) -> a page in its own browser context (own cookies)."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(
            viewport={"width": width, "height": height}, timezone_id="UTC", locale="en-GB"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def log_in(live_server):
    """log_in(page, username, password): through the real sign-in form, as a person would."""

    def sign_in(page, username: str, password: str) -> None:
        page.goto(f"{live_server.url}/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return sign_in
