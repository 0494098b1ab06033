"""The language follows the page, then the browser, then an explicit choice; conversations keep their language
of record; agents work in their own interface language; system notices reach the citizen in theirs."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from guichet.asgi import application
from guichet.conversations import actions
from guichet.conversations.models import Conversation, Message
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

PASSWORD = "correct-horse-battery-staple"


@pytest.mark.django_db
@pytest.mark.parametrize("path, browser, expected, phrase", [
    ("/", "fr-CA,fr;q=0.9", "en", "Department of Public Services"),  # the page decides before the browser
    ("/fr/", "en-CA,en;q=0.9", "fr", "Ministère"),         # the French page, whatever the browser says
    ("/accounts/login/", "fr-CA,fr;q=0.9", "fr", "Se connecter"),  # no page language: the browser decides
    ("/accounts/login/", "en-CA,en;q=0.9", "en", "Sign in"),
])
def test_language_follows_the_page_then_the_browser(client, path, browser, expected, phrase):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=browser)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{expected}"' in html
    assert phrase in html


@pytest.mark.django_db
def test_demo_pages_link_to_the_other_official_language(client):
    english = client.get("/").content.decode()
    french = client.get("/fr/").content.decode()
    assert 'href="/fr/" lang="fr">Français</a>' in english
    assert 'href="/" lang="en">English</a>' in french


@pytest.mark.django_db
def test_agents_work_in_their_interface_language_whatever_the_browser(client):
    team = make_team()
    make_queue(team)
    make_agent([team], username="francoise", ui_language="fr", languages=["fr"])
    client.login(username="francoise", password=PASSWORD)
    page = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en-CA,en;q=0.9").content.decode()
    assert '<html lang="fr"' in page
    assert "Mes conversations" in page and "My conversations" not in page


@pytest.mark.django_db
def test_an_agent_changes_the_interface_language_explicitly(client):
    team = make_team()
    make_queue(team)
    agent = make_agent([team], username="robin", ui_language="en")
    client.login(username="robin", password=PASSWORD)
    response = client.post("/accounts/preferences/", {"ui_language": "fr"})
    assert response.status_code in {200, 302}
    agent.refresh_from_db()
    assert agent.ui_language == "fr"
    assert "Mes conversations" in client.get("/desk/").content.decode()


@pytest.mark.django_db
def test_system_notices_reach_the_citizen_in_the_language_of_record():
    team = make_team()
    inbox = make_inbox(make_queue(team))
    agent = make_agent([team], presence="available", languages=["fr", "en"], ui_language="en")
    colleague = make_agent([team], presence="available", languages=["fr"])
    conversation = make_conversation(inbox, language="fr", first_message="Bonjour")
    actions.take_conversation(agent, conversation)
    actions.transfer_conversation(agent, conversation, to_agent=colleague)
    notice = Message.objects.filter(conversation=conversation, author_kind="system").latest("seq")
    assert notice.body.startswith("Nous vous transférons")


@pytest.mark.django_db(transaction=True)
async def test_the_conversation_records_the_language_the_citizen_chose():
    inbox = await database_sync_to_async(make_inbox)()
    citizen = WebsocketCommunicator(application, f"/ws/widget/{inbox.slug}/",
                                    headers=[(b"origin", b"http://127.0.0.1:8000")])
    connected, _ = await citizen.connect()
    assert connected
    await citizen.send_json_to({"type": "hello", "token": None, "language": "fr"})
    await citizen.send_json_to({"type": "message.send", "client_id": "c-1", "body": "Bonjour, une question"})
    for _ in range(10):
        frame = await citizen.receive_json_from(timeout=5)
        if frame["type"] == "message.ack":
            break
    await citizen.disconnect()
    languages = await database_sync_to_async(lambda: list(Conversation.objects.values_list("language", flat=True)))()
    assert languages == ["fr"]
