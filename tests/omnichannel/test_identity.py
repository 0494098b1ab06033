"""One citizen, one timeline: normalisation, linking, suggested merges, the audited merge, reply via."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.conversations import actions as conv
from guichet.conversations.actions import ActionError
from guichet.conversations.identity import (
    contact_for_identity,
    link_identity,
    merge_contacts,
    normalise_email,
    normalise_phone,
    suggested_merges,
)
from guichet.conversations.models import Contact, ContactIdentity, Conversation, Message
from guichet.core.models import AuditEvent
from tests.factories import make_agent, make_contact, make_conversation, make_inbox, make_queue

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def test_normalisation():
    assert normalise_email("  <Jane.Doe@Example.CA> ") == "jane.doe@example.ca"
    assert normalise_phone("(514) 555-0123") == "+15145550123"
    assert normalise_phone("+33 1 42 68 53 00") == "+33142685300"
    for bad in ["jane", "a@b", "x\r\n@example.ca"]:
        with pytest.raises(ActionError):
            normalise_email(bad)
    with pytest.raises(ActionError):
        normalise_phone("call me maybe")


def test_exact_identities_link_automatically_and_others_do_not():
    by_email = contact_for_identity("email", "Jane.Doe@Example.ca", display_name="Jane Doe")
    assert contact_for_identity("email", "jane.doe@example.ca") == by_email
    by_phone = contact_for_identity("phone", "514-555-0123")
    assert contact_for_identity("phone", "+1 514 555 0123") == by_phone
    assert by_phone != by_email  # nothing fuzzy links two people silently
    link_identity(by_email, "phone", "514 555 0199", verified=True)
    assert contact_for_identity("phone", "+15145550199") == by_email
    with pytest.raises(ActionError) as taken:
        link_identity(by_email, "phone", "+15145550123")
    assert taken.value.code == "identity_taken"


def test_suggestions_come_with_reasons():
    queue = make_queue()
    email_contact = make_contact(email="jane.doe@example.ca", display_name="Jane Doe")
    plus_contact = make_contact(email="jane.doe+benefits@example.ca", display_name="J. Doe")
    sms_contact = contact_for_identity("phone", "+15145550123", display_name="Jane Doe")
    sms_case = make_conversation(make_inbox(queue, channel="sms"), sms_contact)
    conv.receive_message(sms_case, "It's Jane, my email is Jane.Doe@example.ca")
    stranger = make_contact(email="john@example.org", display_name="John Roe")

    for_sms = suggested_merges(sms_contact)
    assert [s.contact for s in for_sms] == [email_contact]
    assert any("jane.doe@example.ca" in reason for reason in for_sms[0].reasons)
    assert any("Jane Doe" in reason for reason in for_sms[0].reasons)
    for_email = [s.contact for s in suggested_merges(email_contact)]
    assert plus_contact in for_email and sms_contact in for_email and stranger not in for_email


def test_merge_moves_everything_and_is_audited(captured_events, django_capture_on_commit_callbacks):
    queue = make_queue()
    survivor = make_contact(email="jane.doe@example.ca", display_name="Jane Doe")
    absorbed = contact_for_identity("phone", "+15145550123")
    email_case = make_conversation(make_inbox(queue, channel="email"), survivor, first_message="email question")
    sms_case = make_conversation(make_inbox(queue, channel="sms"), absorbed, first_message="sms question")
    actor = make_agent([queue.team]).user
    with django_capture_on_commit_callbacks(execute=True):
        merge_contacts(actor, survivor, absorbed)
    absorbed.refresh_from_db()
    assert absorbed.merged_into == survivor
    assert set(Conversation.objects.filter(contact=survivor)) == {email_case, sms_case}
    assert set(survivor.identities.values_list("kind", flat=True)) == {"email", "phone"}
    assert contact_for_identity("phone", "+15145550123") == survivor
    audit = AuditEvent.objects.get(action="contact.merged")
    assert audit.actor == actor and audit.details["absorbed"] == absorbed.pk
    assert audit.details["conversations"] == [sms_case.pk]
    assert "conversation.updated" in [event["type"] for event, _groups in captured_events]
    with pytest.raises(ActionError):
        merge_contacts(actor, survivor, absorbed)
    with pytest.raises(ActionError):
        merge_contacts(actor, survivor, survivor)


@pytest.fixture
def two_channel_citizen(twilio_env, fake_provider):
    queue = make_queue()
    email_inbox = make_inbox(queue, channel="email", slug="mail", config={"address": "help@guichet.test"})
    sms_inbox = make_inbox(queue, channel="sms", slug="texts", config={
        "number": "+15145550100", "account_sid": "AC1", "api_base": fake_provider.url})
    contact = make_contact(email="jane.doe@example.ca", display_name="Jane Doe")
    ContactIdentity.objects.create(contact=contact, kind="phone", value="+15145550123")
    email_case = make_conversation(email_inbox, contact, first_message="By e-mail: where is my cheque?")
    agent = make_agent([queue.team], username="desk-agent")
    client = Client()
    client.login(username="desk-agent", password=PASSWORD)
    return {"contact": contact, "email_case": email_case, "sms_inbox": sms_inbox, "client": client,
            "agent": agent, "queue": queue}


def test_timeline_fragment_shows_every_channel(two_channel_citizen):
    data = two_channel_citizen
    sms_case = make_conversation(data["sms_inbox"], data["contact"], first_message="By text: any news?")
    response = data["client"].get(f"/hooks/contacts/{data['contact'].pk}/timeline/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment for the desk
    assert "By e-mail: where is my cheque?" in html and "By text: any news?" in html
    assert data["email_case"].reference in html and sms_case.reference in html
    full = data["client"].get(f"/hooks/contacts/{data['contact'].pk}/timeline/")
    assert "<html" in full.content.decode()


def test_timeline_needs_login_and_team_access(two_channel_citizen):
    contact = two_channel_citizen["contact"]
    assert Client().get(f"/hooks/contacts/{contact.pk}/timeline/").status_code == 302
    make_agent([make_queue().team], username="other-team")
    outsider = Client()
    outsider.login(username="other-team", password=PASSWORD)
    assert outsider.get(f"/hooks/contacts/{contact.pk}/timeline/").status_code == 403
    assert outsider.get("/hooks/contacts/999999/timeline/").status_code == 404


def test_reply_via_sms_starts_a_text_conversation(two_channel_citizen):
    data = two_channel_citizen
    response = data["client"].post(f"/hooks/contacts/{data['contact'].pk}/reply/",
                                   {"via": "texts", "body": "Your cheque was mailed today."})
    assert response.status_code == 302
    sms_case = Conversation.objects.get(inbox=data["sms_inbox"])
    reply = sms_case.messages.get(author_kind=Message.Author.AGENT)
    assert reply.body == "Your cheque was mailed today." and reply.delivery_status == "queued"
    assert sms_case.contact == data["contact"] and sms_case.assignee == data["agent"]


def test_reply_via_unknown_channel_is_a_clear_error(two_channel_citizen):
    data = two_channel_citizen
    before = Message.objects.count()
    response = data["client"].post(f"/hooks/contacts/{data['contact'].pk}/reply/", {"via": "nope", "body": "x"})
    assert response.status_code == 400
    assert "cannot be reached" in response.content.decode()
    empty = data["client"].post(f"/hooks/contacts/{data['contact'].pk}/reply/", {"via": "texts", "body": "  "})
    assert empty.status_code == 400
    assert Message.objects.count() == before


def test_merge_from_the_desk_fragment(two_channel_citizen):
    data = two_channel_citizen
    duplicate = contact_for_identity("phone", "+15145550999", display_name="Jane Doe")
    duplicate_case = make_conversation(make_inbox(data["queue"], channel="sms"), duplicate,
                                       first_message="Jane here, jane.doe@example.ca")
    page = data["client"].get(f"/hooks/contacts/{duplicate.pk}/merge-suggestions/")
    assert page.status_code == 200 and "Jane Doe" in page.content.decode()
    response = data["client"].post(f"/hooks/contacts/{data['contact'].pk}/merge/", {"other": duplicate.pk})
    assert response.status_code == 302
    duplicate_case.refresh_from_db()
    assert duplicate_case.contact == data["contact"]
    assert Contact.objects.get(pk=duplicate.pk).merged_into == data["contact"]
    old_link = data["client"].get(f"/hooks/contacts/{duplicate.pk}/timeline/")
    assert old_link.status_code == 200 and "Jane here" in old_link.content.decode()
    again = data["client"].post(f"/hooks/contacts/{data['contact'].pk}/merge/", {"other": data["contact"].pk})
    assert again.status_code == 400
    bad = data["client"].post(f"/hooks/contacts/{data['contact'].pk}/merge/", {"other": "abc"})
    assert bad.status_code == 400


def test_attachments_download_only_for_agents_who_see_the_conversation(two_channel_citizen, settings, tmp_path):
    from guichet.omnichannel.actions import store_attachment

    settings.MEDIA_ROOT = tmp_path
    data = two_channel_citizen
    message = data["email_case"].messages.get(author_kind="contact")
    attachment = store_attachment(message, "proof.pdf", "application/pdf", b"%PDF-1.4 proof")
    timeline = data["client"].get(f"/hooks/contacts/{data['contact'].pk}/timeline/").content.decode()
    url = f"/hooks/attachments/{attachment.pk}/{attachment.token}/"
    assert url in timeline
    response = data["client"].get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 proof"
    assert response["Content-Disposition"].startswith("attachment") and response["X-Content-Type-Options"] == "nosniff"
    assert data["client"].get(f"/hooks/attachments/{attachment.pk}/wrong-token/").status_code == 404
    make_agent([make_queue().team], username="elsewhere")
    outsider = Client()
    outsider.login(username="elsewhere", password=PASSWORD)
    assert outsider.get(url).status_code == 403
