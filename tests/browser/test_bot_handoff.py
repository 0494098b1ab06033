"""The virtual agent in a real browser: a French citizen gets a cited answer, then a person for what it cannot
answer; the agent sees the bot's transcript and candidates; the editor finds the question on /bot/insights/.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import describe_violations, login, run_axe

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
LOG = f"{WIDGET} ol.log"
BOT_TIMEOUT_MS = 90_000  # the first question loads the embedding model and indexes the demo articles


def go_available(agent) -> None:  # type: ignore[no-untyped-def]
    agent.goto("/desk/")
    agent.locator("#connection-status[data-state=open]").wait_for()
    agent.locator("#presence-box select#id_presence").select_option("available")  # the desk may be in French
    agent.locator("#presence-box button[type=submit]").click()
    agent.locator(".presence-current[data-presence=available]").wait_for()


def test_french_citizen_gets_a_cited_answer_then_a_person_with_context(new_page, live_server):
    agent = new_page(locale="fr-CA")
    login(agent, live_server, "agent_fr")
    go_available(agent)

    citizen = new_page(locale="fr-CA")
    citizen.goto("/fr/")
    citizen.get_by_role("button", name="Clavarder avec nous").click()
    citizen.get_by_label("Votre message").fill("Comment renouveler mon passeport?")
    citizen.get_by_role("button", name="Envoyer", exact=True).click()
    answer = citizen.locator(f"{LOG} li.msg--bot", has_text="PPTC 054")
    answer.wait_for(timeout=BOT_TIMEOUT_MS)
    source = answer.locator("a[href^='https://www.canada.ca/fr/']")
    expect(source).to_have_text("Comment renouveler mon passeport?")
    expect(citizen.locator(f"{LOG} li.msg--bot button").first).to_be_visible()  # "Did this answer...?" buttons

    marker = "m" + secrets.token_hex(3)  # the leading letter keeps it from ever looking like a postal code
    unknown = f"Comment faire pousser des tomates sur mon balcon? {marker}"
    citizen.get_by_label("Votre message").fill(unknown)
    citizen.get_by_role("button", name="Envoyer", exact=True).click()
    citizen.locator(f"{LOG} li.msg--contact[data-state=sent]", has_text=marker).wait_for()
    reference_note = citizen.locator(WIDGET).get_by_text("Votre numéro de référence")
    expect(reference_note).to_be_visible()
    reference = reference_note.inner_text().split(":")[-1].strip()

    # Routing gives the handed-off conversation to the available French-speaking agent.
    row = agent.locator(f"#list-mine tr[data-reference='{reference}']")
    row.wait_for(timeout=BOT_TIMEOUT_MS)
    row.get_by_role("link", name=reference).click()
    agent.wait_for_url(f"**/desk/c/{reference}/")
    handoff = agent.locator("section.handoff")
    expect(handoff).to_contain_text("Comment renouveler mon passeport?")  # bot transcript
    expect(handoff).to_contain_text(marker)
    expect(handoff).to_contain_text("Comment changer mon adresse postale?")  # best (rejected) candidate

    editor = new_page()
    login(editor, live_server, "supervisor")
    editor.goto("/bot/insights/")
    cluster = editor.locator("section.insights-cluster", has_text=marker)
    expect(cluster).to_be_visible()
    violations = run_axe(editor)
    assert not violations, describe_violations(violations)

    # The "create article" link opens the bilingual editor pre-filled with the French question.
    cluster.get_by_role("link", name="Create an article for these questions").click()
    editor.wait_for_url("**/knowledge/new/**")
    expect(editor.get_by_label("French title or question")).to_have_value(unknown)
    violations = run_axe(editor)
    assert not violations, describe_violations(violations)
