"""The demo's guided flow in a real browser: the citizen checks an application status in the widget and the
answer comes from the built-in demo government API (seed_demo points the flows at it), not a hand-off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
LOG = f"{WIDGET} ol.log"
BOT_TIMEOUT_MS = 90_000  # the first question loads the embedding model and indexes the demo articles


def send(citizen, text: str) -> None:  # type: ignore[no-untyped-def]
    citizen.get_by_label("Your message").fill(text)
    citizen.get_by_role("button", name="Send", exact=True).click()


def test_application_status_flow_answers_from_the_demo_api(new_page):
    citizen = new_page()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat with us").click()
    send(citizen, "What is the status of my application?")
    citizen.locator(f"{LOG} li.msg--bot", has_text="What is your application reference number?").wait_for(
        timeout=BOT_TIMEOUT_MS)
    send(citizen, "ab123456")
    citizen.locator(f"{LOG} li.msg--bot", has_text="date of birth").wait_for()
    send(citizen, "1980-04-23")
    answer = citizen.locator(f"{LOG} li.msg--bot", has_text="Application AB123456:")
    answer.wait_for(timeout=30_000)  # the embedded worker runs the signed call to /bot/demo-api/
    expect(answer).to_contain_text("(Demonstration data, not a real government record.)")
    expect(citizen.locator(f"{LOG} li.msg--bot", has_text="passing your conversation to an agent")).to_have_count(0)
