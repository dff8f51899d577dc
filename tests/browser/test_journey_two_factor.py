"""An engineer turns on two-factor sign-in in a real browser, then signs in with a code from the key."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, EngineerFactory
from tests.support.totp import code_for

pytestmark = pytest.mark.browser


def test_an_engineer_enrols_an_app_and_signs_in_with_its_code(
    live_server, new_page, log_in, transactional_db, tmp_path
):
    engineer = EngineerFactory(username="erin")
    page = new_page()
    csp_errors = []
    page.on(
        "console",
        lambda message: csp_errors.append(message.text) if "Content Security" in message.text else None,
    )
    log_in(page, engineer.username, PASSWORD)

    page.goto(f"{live_server.url}/profile/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    expect(page.locator("#totp-uri")).to_contain_text(f"otpauth://totp/Pledge%3Aerin?secret={secret}")
    page.screenshot(path=str(tmp_path / "two-factor-enrol.png"), full_page=True)
    page.get_by_label("Code from your authenticator app").fill(code_for(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, engineer.username, PASSWORD)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    page.screenshot(path=str(tmp_path / "two-factor-code.png"), full_page=True)
    # Each code signs in once: the next step's code (a phone a little ahead), not the one just used.
    page.get_by_label("Code from your authenticator app").fill(code_for(secret, steps_ahead=1))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/queue/")
    assert csp_errors == []
