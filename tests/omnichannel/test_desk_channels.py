"""The agent desk over the channels: timeline fragment, "Reply via", hand back to the bot, delivery status."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from guichet.conversations import actions as conv
from guichet.conversations.models import ContactIdentity, Conversation, Message
from guichet.core.jobs import run_due_jobs
from tests.agents.helpers import DeskClient
from tests.conftest import event_types
from tests.factories import make_agent, make_contact, make_conversation, make_inbox, make_queue, make_team
from tests.omnichannel.conftest import fixture_form, sign

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


@pytest.fixture
def desk(twilio_env, fake_provider):
    team = make_team("general")
    queue = make_queue(team, slug="general")
    web = make_inbox(queue, slug="web-general")
    sms = make_inbox(queue, channel="sms", slug="sms-general",
                     config={"number": "+15145550100", "auth_token_env": "GUICHET_TWILIO_AUTH_TOKEN",
                             "account_sid": "AC00000000000000000000000000000000", "api_base": fake_provider.url})
    email = make_inbox(queue, channel="email", slug="email-general", config={"address": "help@guichet.test"})
    other = make_inbox(make_queue(make_team("benefits"), slug="benefits"), channel="email", slug="email-benefits",
                       config={"address": "benefits@guichet.test"})
    agent = make_agent([team], username="alice")
    return {"team": team, "web": web, "sms": sms, "email": email, "other": other, "agent": agent}


def post_signed(path: str, form: dict[str, str]):
    return Client().post(path, form, HTTP_X_TWILIO_SIGNATURE=sign(BASE + path, form))


def held_web_conversation(desk, contact=None):
    contact = contact or make_contact(email="jo@example.org", display_name="Jo Citizen")
    conversation = make_conversation(desk["web"], contact, first_message="Is my passport ready?")
    conv.take_conversation(desk["agent"], conversation)
    return conversation


def selected_via(html: str) -> str:
    return re.search(r'<option value="([^"]+)" selected>', html).group(1)


def test_conversation_page_loads_the_timeline_on_every_channel(desk):
    conversation = held_web_conversation(desk)
    client = DeskClient(desk["agent"])
    page = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    url = f"/hooks/contacts/{conversation.contact_id}/timeline/?fragment=1"
    assert f'hx-get="{url}"' in page and 'hx-trigger="load"' in page
    fragment = client.get(url).content.decode()
    assert "<h1" not in fragment  # embedded in the desk page, which has its own h1
    assert "Is my passport ready?" in fragment
    assert f'href="/desk/c/{conversation.reference}/"' in fragment
    assert "Possibly the same person" in fragment


def test_reply_via_defaults_to_the_citizens_last_channel_and_offers_their_others(desk):
    conversation = held_web_conversation(desk)
    page = DeskClient(desk["agent"]).get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "Reply via" in page
    assert selected_via(page) == "web-general"  # the citizen is chatting here right now
    assert 'value="email-general"' in page and "(new conversation)" in page
    assert 'value="sms-general"' not in page  # no phone number known for this citizen


def test_a_citizen_who_texted_last_is_answered_by_sms_by_default(desk):
    conversation = held_web_conversation(desk)
    post_signed("/hooks/sms/sms-general/", fixture_form("sms_inbound.json"))
    texted = Conversation.objects.get(inbox=desk["sms"])
    # The same person (their number was linked to the chat contact by an agent's merge).
    from guichet.conversations.identity import merge_contacts

    merge_contacts(desk["agent"].user, conversation.contact, texted.contact)
    page = DeskClient(desk["agent"]).get(f"/desk/c/{conversation.reference}/").content.decode()
    assert selected_via(page) == "sms-general"


def test_reply_via_email_starts_a_case_there_and_queues_delivery(desk, captured_events,
                                                                django_capture_on_commit_callbacks):
    conversation = held_web_conversation(desk)
    client = DeskClient(desk["agent"])
    client.get(f"/desk/c/{conversation.reference}/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/desk/c/{conversation.reference}/reply/",
                               {"via": "email-general", "body": "Your passport is ready."})
    assert response.status_code == 200
    by_email = Conversation.objects.get(inbox=desk["email"])
    reply = by_email.messages.get(author_kind=Message.Author.AGENT)
    assert reply.body == "Your passport is ready." and reply.delivery_status == "queued"
    html = response.content.decode()
    assert f"Reply sent by Email in {by_email.reference}." in html
    assert not conversation.messages.filter(author_kind=Message.Author.AGENT).exists()
    assert "message.created" in event_types(captured_events)


def test_reply_via_an_unknown_or_hidden_channel_is_refused_and_stores_nothing(desk):
    contact = make_contact(email="jo@example.org")
    hidden = make_conversation(desk["other"], contact, first_message="Benefits by e-mail")
    conversation = held_web_conversation(desk, contact)
    client = DeskClient(desk["agent"])
    page = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert hidden.reference not in page and 'value="email-benefits"' not in page
    before = Message.objects.count()
    for via in ("email-benefits", "no-such-inbox"):
        response = client.post(f"/desk/c/{conversation.reference}/reply/", {"via": via, "body": "Hello"})
        assert response.status_code == 400
        assert "cannot be reached on that channel" in response.content.decode()
    assert Message.objects.count() == before


def test_hand_back_button_for_the_holder_of_a_bot_conversation(desk):
    desk["web"].bot_enabled = True
    desk["web"].save()
    conversation = held_web_conversation(desk)
    client = DeskClient(desk["agent"])
    page = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert f'hx-post="/bot/handback/{conversation.reference}/"' in page
    assert "Hand back to the virtual agent" in page
    response = client.post(f"/bot/handback/{conversation.reference}/")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    conversation.refresh_from_db()
    assert conversation.status == "bot" and conversation.assignee is None
    page = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "Hand back to the virtual agent" not in page
    assert "The conversation is back with the virtual agent." in page  # the flash message after the reload


def test_no_hand_back_without_the_bot_or_for_someone_elses_conversation(desk):
    conversation = held_web_conversation(desk)  # bot off in this inbox
    page = DeskClient(desk["agent"]).get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "Hand back to the virtual agent" not in page
    desk["web"].bot_enabled = True
    desk["web"].save()
    colleague = make_agent([desk["team"]], username="bob")
    page = DeskClient(colleague).get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "Hand back to the virtual agent" not in page


def test_sms_reply_shows_its_delivery_status_as_it_changes(desk, fake_provider, captured_events,
                                                          django_capture_on_commit_callbacks):
    post_signed("/hooks/sms/sms-general/", fixture_form("sms_inbound.json"))
    conversation = Conversation.objects.get(inbox=desk["sms"])
    conv.take_conversation(desk["agent"], conversation)
    client = DeskClient(desk["agent"])
    client.get(f"/desk/c/{conversation.reference}/")
    client.post(f"/desk/c/{conversation.reference}/reply/", {"via": "sms-general", "body": "It is ready."})
    transcript_url = f"/desk/c/{conversation.reference}/part/transcript/"
    assert 'data-delivery="queued"' in client.get(transcript_url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        run_due_jobs()
    assert 'data-delivery="sent"' in client.get(transcript_url).content.decode()
    status = fixture_form("sms_status.json", SID="SMfake0001") | {
        "MessageStatus": "undelivered", "SmsStatus": "undelivered", "ErrorCode": "30003"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed("/hooks/sms/sms-general/status/", status).status_code == 204
    html = client.get(transcript_url).content.decode()
    assert 'data-delivery="failed"' in html and "Not delivered" in html and "30003" in html
    updated = [event["data"] for event, _groups in captured_events if event["type"] == "message.updated"]
    assert [data["delivery_status"] for data in updated] == ["sent", "failed"]
    assert all(data["conversation"] == conversation.reference for data in updated)


def test_merge_from_the_desk_reloads_the_page(desk):
    conversation = held_web_conversation(desk)
    other = make_contact(display_name="Jo Citizen")
    ContactIdentity.objects.create(contact=other, kind="email", value="jo+taxes@example.org")
    make_conversation(desk["email"], other, first_message="Taxes")
    client = DeskClient(desk["agent"])
    fragment = client.get(f"/hooks/contacts/{conversation.contact_id}/timeline/?fragment=1").content.decode()
    assert f'hx-post="/hooks/contacts/{conversation.contact_id}/merge/"' in fragment
    response = client.post(f"/hooks/contacts/{conversation.contact_id}/merge/", {"other": str(other.pk)})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert Conversation.objects.filter(contact=conversation.contact).count() == 2


def test_mms_pictures_are_links_in_the_timeline_and_the_desk(desk):
    form = fixture_form("sms_inbound.json") | {
        "Body": "", "NumMedia": "3",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "javascript:alert(1)", "MediaContentType1": "text/html",
        "MediaUrl2": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME2",
        "MediaContentType2": "application/pdf"}
    assert post_signed("/hooks/sms/sms-general/", form).status_code == 200
    conversation = Conversation.objects.get(inbox=desk["sms"])
    client = DeskClient(desk["agent"])
    timeline = client.get(f"/hooks/contacts/{conversation.contact_id}/timeline/").content.decode()
    transcript = client.get(f"/desk/c/{conversation.reference}/part/transcript/").content.decode()
    for html in (timeline, transcript):
        assert 'href="https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"' in html
        assert "Picture or file 1</a> (image/jpeg)" in html and "(application/pdf)" in html
        assert "javascript:" not in html
        assert "(picture or file without text)" in html


def test_no_hand_back_for_a_phone_call(desk):
    voice = make_inbox(desk["web"].default_queue, channel="voice", slug="voice-general", bot_enabled=True)
    conversation = make_conversation(voice, make_contact(), first_message="(caller's words)")
    conv.take_conversation(desk["agent"], conversation)
    page = DeskClient(desk["agent"]).get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "Hand back to the virtual agent" not in page and "Resolve" in page
