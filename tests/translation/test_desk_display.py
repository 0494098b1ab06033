"""The desk shows the original, the machine translation under a labelled toggle, and says when it failed."""

from __future__ import annotations

import pytest

from guichet.conversations import actions
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db

SPANISH = "Hola, necesito ayuda con mi solicitud de pasaporte"
ENGLISH = "Hello, I need help with my passport application"


def test_desk_shows_original_translation_and_failure_notice(client, fake_translator):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    agent = make_agent([team], username="alex", presence="available", languages=["en"], ui_language="en")
    conversation = make_conversation(inbox, language="en")
    actions.take_conversation(agent, conversation)
    actions.receive_message(conversation, SPANISH)
    fake_translator.mode = "error"
    actions.receive_message(conversation, "Mi pasaporte caduca el mes que viene y viajo pronto")
    client.login(username="alex", password="correct-horse-battery-staple")

    html = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert f'<div class="msg-body" dir="auto" lang="es">{SPANISH}</div>' in html
    assert "<summary>Machine translation (EN)</summary>" in html
    assert f'<div lang="en" dir="auto">{ENGLISH}</div>' in html
    assert "Machine translation into EN is unavailable: shown as written." in html
