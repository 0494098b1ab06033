"""The key journey, end to end in two real browsers: a citizen writes in French on the demo page, a French-speaking
agent working from home sees it live, replies, and the citizen reads the reply.

The citizen uses the real widget on /fr/ (inbox "demo-web": the virtual agent answers first, so the citizen asks
for a person, which hands the conversation to the "general" queue). The agent (agent_fr: French, team "general")
has signed in and is available, so routing assigns the conversation to them and their desk shows it live.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
LOG = f"{WIDGET} ol.log"


# agent_fr works with the desk in French: the agent's controls are found by their form ids, whatever the language.
def go_available(agent) -> None:  # type: ignore[no-untyped-def]
    agent.goto("/desk/")
    agent.locator("#connection-status[data-state=open]").wait_for()  # the desk's live socket is connected
    agent.locator("#presence-box select#id_presence").select_option("available")
    agent.locator("#presence-box button[type=submit]").click()
    agent.locator(".presence-current[data-presence=available]").wait_for()


def test_citizen_in_french_and_agent_at_home_talk_live(new_page, live_server):
    agent = new_page(locale="fr-CA")
    login(agent, live_server, "agent_fr")
    go_available(agent)

    citizen = new_page(locale="fr-CA")
    citizen.goto("/fr/")
    citizen.get_by_role("button", name="Clavarder avec nous").click()
    marker = secrets.token_hex(4)
    citizen.get_by_label("Votre message").fill(
        f"Bonjour, je voudrais parler à un agent au sujet de ma demande de prestations {marker}")
    citizen.get_by_role("button", name="Envoyer", exact=True).click()
    citizen.locator(f"{LOG} li.msg--contact[data-state=sent]", has_text=marker).wait_for()

    # The citizen is given a reference number; the agent's desk shows that conversation live, without reloading.
    reference_note = citizen.locator(WIDGET).get_by_text("Votre numéro de référence")
    expect(reference_note).to_be_visible()
    reference = reference_note.inner_text().split(":")[-1].strip()
    row = agent.locator(f"#list-mine tr[data-reference='{reference}']")
    row.wait_for()
    assert "FR" in row.inner_text()
    row.get_by_role("link", name=reference).click()
    agent.wait_for_url(f"**/desk/c/{reference}/")
    expect(agent.locator("#transcript")).to_contain_text(marker)

    reply = f"Bonjour! Je m'occupe de votre demande {marker}."
    agent.locator("#reply-box textarea#reply_body").fill(reply)
    agent.locator("#reply-box button[type=submit]").click()
    expect(agent.locator("#transcript")).to_contain_text(reply)

    # The citizen reads the agent's reply in the widget, live.
    expect(citizen.locator(f"{LOG} li.msg--agent", has_text=reply)).to_be_visible()
    expect(citizen.locator(f"{WIDGET}")).to_contain_text(reference)
