"""The agent desk through its pages and htmx endpoints, as a signed-in agent would use them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guichet.conversations import actions
from guichet.conversations.models import Conversation, Message
from tests.agents.helpers import PASSWORD, DeskClient
from tests.conftest import event_types
from tests.factories import make_agent, make_contact, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    team = make_team("general")
    queue = make_queue(team, slug="general")
    inbox = make_inbox(queue, slug="web-general")
    other_team = make_team("benefits")
    other_queue = make_queue(other_team, slug="benefits")
    other_inbox = make_inbox(other_queue, slug="web-benefits")
    agent = make_agent([team], username="alice")
    return {"team": team, "inbox": inbox, "other_team": other_team, "other_inbox": other_inbox, "agent": agent}


# --- access -------------------------------------------------------------------------------------------


def test_desk_requires_login():
    response = Client().get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/desk/")


def test_desk_requires_an_agent_profile():
    User.objects.create_user(username="visitor", password=PASSWORD)
    client = Client()
    client.login(username="visitor", password=PASSWORD)
    response = client.get("/desk/")
    assert response.status_code == 403
    assert "no agent profile" in response.content.decode()


def test_agent_sees_only_own_teams_conversations(setup):
    mine = make_conversation(setup["inbox"], first_message="Where is my passport?")
    theirs = make_conversation(setup["other_inbox"], first_message="Benefits question")
    page = DeskClient(setup["agent"]).get("/desk/").content.decode()
    assert mine.reference in page
    assert "Where is my passport?" in page
    assert theirs.reference not in page


def test_another_teams_conversation_gives_403_and_changes_nothing(setup):
    theirs = make_conversation(setup["other_inbox"], first_message="Benefits question")
    desk = DeskClient(setup["agent"])
    page = desk.get(f"/desk/c/{theirs.reference}/")
    assert page.status_code == 403
    assert "belongs to a team you are not part of" in page.content.decode()
    for verb in ("reply", "note", "take", "resolve", "reopen", "transfer"):
        response = desk.post(f"/desk/c/{theirs.reference}/{verb}/", {"body": "hello", "target": "team:general"})
        assert response.status_code == 403
    assert desk.get(f"/desk/c/{theirs.reference}/part/transcript/").status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == Conversation.Status.QUEUED and theirs.assignee is None
    assert list(theirs.messages.values_list("body", flat=True)) == ["Benefits question"]


def test_unknown_reference_gives_404(setup):
    response = DeskClient(setup["agent"]).get("/desk/c/GC-1999-999999/")
    assert response.status_code == 404
    assert "no conversation with this reference" in response.content.decode()


def test_supervisor_sees_every_queue(setup):
    supervisor = make_agent([], role="supervisor", username="sam")
    mine = make_conversation(setup["inbox"], first_message="one")
    theirs = make_conversation(setup["other_inbox"], first_message="two")
    desk = DeskClient(supervisor)
    page = desk.get("/desk/").content.decode()
    assert mine.reference in page and theirs.reference in page
    assert "Waiting in every queue" in page
    assert desk.get(f"/desk/c/{theirs.reference}/").status_code == 200


def test_bot_conversations_are_listed_for_takeover(setup):
    bot_inbox = make_inbox(setup["inbox"].default_queue, slug="web-bot", bot_enabled=True)
    conversation = make_conversation(bot_inbox, first_message="Hours of the office?")
    fragment = DeskClient(setup["agent"]).get("/desk/lists/bot/").content.decode()
    assert conversation.reference in fragment
    assert "Hours of the office?" in fragment


# --- writes -------------------------------------------------------------------------------------------


def test_reply_through_the_view_is_stored_and_published(setup, captured_events,
                                                        django_capture_on_commit_callbacks):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    desk.get(f"/desk/c/{conversation.reference}/")
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(f"/desk/c/{conversation.reference}/reply/", {"body": "Hello, how can I help?"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reply sent." in html
    assert '<textarea name="body" id="reply_body"' in html and "Hello, how can I help?</textarea>" not in html
    conversation.refresh_from_db()
    assert conversation.assignee == setup["agent"] and conversation.status == Conversation.Status.ASSIGNED
    last = conversation.messages.order_by("-seq").first()
    assert (last.author_kind, last.body, last.is_private) == ("agent", "Hello, how can I help?", False)
    assert "message.created" in event_types(captured_events)


def test_empty_and_too_long_replies_are_refused_inline_and_store_nothing(setup):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    empty = desk.post(f"/desk/c/{conversation.reference}/reply/", {"body": "   "})
    assert empty.status_code == 400
    assert "The message is empty." in empty.content.decode()
    too_long = desk.post(f"/desk/c/{conversation.reference}/reply/", {"body": "x" * 5000})
    assert too_long.status_code == 400
    assert "too long" in too_long.content.decode()
    assert conversation.messages.count() == 1


def test_reply_without_csrf_token_is_refused(setup):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    client = Client(enforce_csrf_checks=True)
    client.login(username="alice", password=PASSWORD)
    response = client.post(f"/desk/c/{conversation.reference}/reply/", {"body": "sneaky"})
    assert response.status_code == 403
    assert conversation.messages.count() == 1


def test_private_note_is_labelled_and_not_sent_to_the_citizen(setup, captured_events,
                                                              django_capture_on_commit_callbacks):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(f"/desk/c/{conversation.reference}/note/", {"body": "Check the file first"})
    assert response.status_code == 200
    note = conversation.messages.order_by("-seq").first()
    assert note.is_private and note.body == "Check the file first"
    page = desk.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "msg-note" in page and "Internal note — the citizen does not see this" in page
    widget_groups = [groups for event, groups in captured_events
                     if event["type"] == "message.created" and event["data"].get("body") == "Check the file first"]
    assert widget_groups and all(not g.startswith("widget.") for groups in widget_groups for g in groups)


def test_message_bodies_are_escaped(setup):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    conversation = make_conversation(setup["inbox"], first_message=attack)
    desk = DeskClient(setup["agent"])
    for url in (f"/desk/c/{conversation.reference}/", "/desk/", f"/desk/c/{conversation.reference}/part/transcript/"):
        html = desk.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_take_a_waiting_conversation(setup, captured_events, django_capture_on_commit_callbacks):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    with django_capture_on_commit_callbacks(execute=True):
        response = DeskClient(setup["agent"]).post(f"/desk/c/{conversation.reference}/take/")
    assert response.status_code == 200
    assert "You now have this conversation." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee == setup["agent"] and conversation.status == Conversation.Status.ASSIGNED
    assert "conversation.assigned" in event_types(captured_events)


def test_take_over_from_the_virtual_agent(setup):
    bot_inbox = make_inbox(setup["inbox"].default_queue, slug="web-bot", bot_enabled=True)
    conversation = make_conversation(bot_inbox, first_message="Hours?")
    desk = DeskClient(setup["agent"])
    assert "Take over from the virtual agent" in desk.get(f"/desk/c/{conversation.reference}/").content.decode()
    desk.post(f"/desk/c/{conversation.reference}/take/")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ASSIGNED and conversation.assignee == setup["agent"]


def test_taking_a_colleagues_conversation_is_refused_with_its_message(setup):
    colleague = make_agent([setup["team"]], username="bob")
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    actions.take_conversation(colleague, conversation)
    response = DeskClient(setup["agent"]).post(f"/desk/c/{conversation.reference}/take/")
    assert response.status_code == 409
    assert "Another agent already has this conversation." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee == colleague


def test_resolve_then_reopen(setup, captured_events, django_capture_on_commit_callbacks):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    desk.post(f"/desk/c/{conversation.reference}/take/")
    with django_capture_on_commit_callbacks(execute=True):
        resolved = desk.post(f"/desk/c/{conversation.reference}/resolve/")
    assert resolved.status_code == 200 and "The conversation is resolved." in resolved.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    refused = desk.post(f"/desk/c/{conversation.reference}/reply/", {"body": "one more thing"})
    assert refused.status_code == 409
    assert "Reopen the conversation before replying." in refused.content.decode()
    reopened = desk.post(f"/desk/c/{conversation.reference}/reopen/")
    assert reopened.status_code == 200
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ASSIGNED and conversation.assignee == setup["agent"]
    again = desk.post(f"/desk/c/{conversation.reference}/reopen/")
    assert again.status_code == 409 and "still open" in again.content.decode()
    assert "conversation.resolved" in event_types(captured_events)


def test_plain_form_post_without_htmx_redirects_back(setup):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    response = DeskClient(setup["agent"]).post(f"/desk/c/{conversation.reference}/reply/",
                                               {"body": "Works without JavaScript"}, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == f"/desk/c/{conversation.reference}/"
    assert conversation.messages.filter(body="Works without JavaScript").exists()


def test_transfer_to_a_team_with_a_note(setup):
    make_agent([setup["other_team"]], username="carol", presence="available")
    conversation = make_conversation(setup["inbox"], first_message="Benefits, actually")
    desk = DeskClient(setup["agent"])
    desk.post(f"/desk/c/{conversation.reference}/take/")
    response = desk.post(f"/desk/c/{conversation.reference}/transfer/",
                         {"target": "team:benefits", "note": "Needs benefits team"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/desk/"
    conversation.refresh_from_db()
    assert conversation.queue.slug == "benefits" and conversation.assignee is None
    assert conversation.messages.filter(is_private=True, body="Needs benefits team").exists()
    assert conversation.messages.filter(author_kind=Message.Author.SYSTEM).exists()


def test_transfer_to_an_offline_team_is_refused_clearly(setup):
    make_agent([setup["other_team"]], username="carol", presence="offline")
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    desk.post(f"/desk/c/{conversation.reference}/take/")
    response = desk.post(f"/desk/c/{conversation.reference}/transfer/", {"target": "team:benefits"})
    assert response.status_code == 400
    assert "Nobody in Team benefits is online." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.queue.slug == "general" and conversation.assignee == setup["agent"]


def test_transfer_to_an_available_agent(setup):
    colleague = make_agent([setup["team"]], username="dave", presence="available")
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    desk.post(f"/desk/c/{conversation.reference}/take/")
    response = desk.post(f"/desk/c/{conversation.reference}/transfer/", {"target": f"agent:{colleague.pk}"})
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == colleague


def test_transfer_to_an_away_agent_or_nonsense_is_refused(setup):
    away = make_agent([setup["team"]], username="erin", presence="away")
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    desk.post(f"/desk/c/{conversation.reference}/take/")
    unavailable = desk.post(f"/desk/c/{conversation.reference}/transfer/", {"target": f"agent:{away.pk}"})
    assert unavailable.status_code == 400 and "Erin is not available." in unavailable.content.decode()
    nonsense = desk.post(f"/desk/c/{conversation.reference}/transfer/", {"target": "planet:mars"})
    assert nonsense.status_code == 400 and "Choose a team or an agent" in nonsense.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee == setup["agent"]


def test_presence_change_through_the_form(setup, captured_events, django_capture_on_commit_callbacks):
    desk = DeskClient(setup["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post("/desk/presence/", {"presence": "available"})
    assert response.status_code == 200
    assert "Your status is now: Available." in response.content.decode()
    setup["agent"].refresh_from_db()
    assert setup["agent"].presence == "available"
    assert "agent.presence_changed" in event_types(captured_events)
    bad = desk.post("/desk/presence/", {"presence": "on-the-moon"})
    assert bad.status_code == 400
    setup["agent"].refresh_from_db()
    assert setup["agent"].presence == "available"


def test_handoff_context_and_contact_panel(setup):
    contact = make_contact(email="jo@example.org", display_name="Jo Citizen")
    earlier = make_conversation(setup["inbox"], contact, first_message="Earlier question")
    conversation = make_conversation(setup["inbox"], contact, first_message="Hello?")
    hidden = make_conversation(setup["other_inbox"], contact, first_message="Other team")
    actions.enqueue_conversation(conversation, context={
        "summary": "Asks about <b>passport</b> renewal",
        "reason": "requested_person",
        "detected_language": "fr",
        "transcript": [{"author": "contact", "text": "passport?"}, {"author": "bot", "text": "Here is how"}],
        "candidates": [{"title": "Renew a passport", "score": 0.8123}],
        "answers": {"postal_code": "K1A 0B1"},
        "handed_off_at": "2026-03-02T15:04:00+00:00",
        "unexpected_key": {"nested": [1, 2]},
    })
    page = DeskClient(setup["agent"]).get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "What the virtual agent learned" in page
    assert "Asks about &lt;b&gt;passport&lt;/b&gt; renewal" in page
    assert "Renew a passport" in page and "0.81" in page and "K1A 0B1" in page
    assert "The citizen asked for a person" in page
    assert "Virtual agent:</span> Here is how" in page and "Citizen:</span> passport?" in page
    assert "Unexpected key" in page and "Nested" in page
    assert "Jo Citizen" in page and "jo@example.org" in page and "badge-ok" in page
    assert earlier.reference in page
    assert hidden.reference not in page


def test_htmx_request_after_session_end_asks_to_sign_in_again(setup):
    response = Client().get("/desk/lists/mine/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/accounts/login/")
    assert "Sign in again" in response.content.decode()


def test_presence_fragment_reflects_the_current_status(setup):
    setup["agent"].presence = "away"
    setup["agent"].save(update_fields=["presence"])
    html = DeskClient(setup["agent"]).get("/desk/presence/").content.decode()
    assert 'data-presence="away"' in html
    assert '<option value="away" selected>' in html


def test_take_from_the_waiting_list_opens_the_conversation(setup):
    conversation = make_conversation(setup["inbox"], first_message="Hello?")
    desk = DeskClient(setup["agent"])
    listing = desk.get("/desk/lists/waiting/").content.decode()
    assert f'action="/desk/c/{conversation.reference}/take/"' in listing
    response = desk.post(f"/desk/c/{conversation.reference}/take/", htmx=False)
    assert response.status_code == 302 and response["Location"] == f"/desk/c/{conversation.reference}/"
    conversation.refresh_from_db()
    assert conversation.assignee == setup["agent"]
    mine = desk.get("/desk/lists/mine/").content.decode()
    assert conversation.reference in mine and "/take/" not in mine


def test_stable_conversation_link_opens_the_desk_page_with_the_same_access_rules(setup):
    mine = make_conversation(setup["inbox"], first_message="one")
    theirs = make_conversation(setup["other_inbox"], first_message="two")
    desk = DeskClient(setup["agent"])
    response = desk.get(f"/conversations/{mine.reference}/")
    assert response.status_code == 302 and response["Location"] == f"/desk/c/{mine.reference}/"
    assert desk.get(f"/conversations/{theirs.reference}/").status_code == 403


def test_desk_page_queries_do_not_grow_with_the_number_of_conversations(setup, django_assert_max_num_queries):
    for number in range(3):
        make_conversation(setup["inbox"], first_message=f"question {number}")
    desk = DeskClient(setup["agent"])
    desk.get("/desk/")
    with CaptureQueriesContext(connection) as few:
        desk.get("/desk/")
    for number in range(20):
        make_conversation(setup["inbox"], first_message=f"more {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = desk.get("/desk/")
    assert page.content.decode().count("more ") == 20
