"""SMS channel: signed webhooks in, provider REST API out (a local fake provider), opt-out, segments."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.conversations import actions as conv
from guichet.conversations.models import Conversation, Message
from guichet.core.jobs import run_due_jobs
from guichet.core.models import Job
from guichet.omnichannel.models import SmsOptOut
from tests.factories import make_agent, make_inbox, make_queue
from tests.omnichannel.conftest import fixture_form, sign

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


@pytest.fixture
def sms_inbox(twilio_env, fake_provider):
    return make_inbox(make_queue(), channel="sms", slug="test-sms", languages=["en", "fr"],
                      config={"number": "+15145550100", "auth_token_env": "GUICHET_TWILIO_AUTH_TOKEN",
                              "account_sid": "AC00000000000000000000000000000000", "api_base": fake_provider.url})


def post_signed(path: str, form: dict[str, str], signature: str | None = None):
    signature = sign(BASE + path, form) if signature is None else signature
    return Client().post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


def inbound(body: str, sid: str = "SM6a1f0d4c0b3c4e5f8a9b0c1d2e3f4a5b", sender: str = "+15145550123"):
    return fixture_form("sms_inbound.json") | {"Body": body, "MessageSid": sid, "SmsSid": sid, "From": sender}


def release_jobs() -> int:
    Job.objects.filter(status="pending").update(run_at=Job.objects.order_by("created_at").first().created_at)
    return run_due_jobs()


def test_inbound_sms_creates_a_conversation_once_even_when_replayed(sms_inbox):
    form = fixture_form("sms_inbound.json")
    first = post_signed("/hooks/sms/test-sms/", form)
    replay = post_signed("/hooks/sms/test-sms/", form)
    assert first.status_code == replay.status_code == 200
    assert first["Content-Type"].startswith("text/xml") and b"<Response" in first.content
    message = Message.objects.get(channel="sms")
    assert message.body == "Hi, is my passport application ready?"
    assert message.conversation.contact.identities.get(kind="phone").value == "+15145550123"


def test_forged_signature_is_refused_and_nothing_stored(sms_inbox):
    form = fixture_form("sms_inbound.json")
    response = post_signed("/hooks/sms/test-sms/", form, signature=sign(BASE + "/hooks/sms/test-sms/", form, "wrong"))
    assert response.status_code == 403
    tampered = post_signed("/hooks/sms/test-sms/", form | {"Body": "changed"},
                           signature=sign(BASE + "/hooks/sms/test-sms/", form))
    assert tampered.status_code == 403
    unsigned = Client().post("/hooks/sms/test-sms/", form)
    assert unsigned.status_code == 403
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_missing_fields_and_unknown_numbers_are_clear_4xx(sms_inbox):
    assert post_signed("/hooks/sms/test-sms/", {"Body": "hello"}).status_code == 400
    assert post_signed("/hooks/sms/test-sms/", inbound("hi", sender="not a number")).status_code == 400
    assert post_signed("/hooks/sms/test-sms/", inbound("hi") | {"To": "+15145559999"}).status_code == 404
    assert post_signed("/hooks/sms/no-such-inbox/", inbound("hi")).status_code == 404
    assert Client().get("/hooks/sms/test-sms/").status_code == 405
    assert not Message.objects.exists()


def test_agent_reply_is_sent_after_a_provider_error_with_retries(sms_inbox, fake_provider):
    post_signed("/hooks/sms/test-sms/", fixture_form("sms_inbound.json"))
    conversation = Conversation.objects.get()
    agent = make_agent([sms_inbox.default_queue.team])
    fake_provider.statuses = [500, 201]
    reply = conv.send_agent_reply(agent, conversation, "Yes, it is ready for pick-up.")
    run_due_jobs()
    reply.refresh_from_db()
    assert reply.delivery_status == "queued" and "500" in reply.delivery_error
    release_jobs()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and reply.provider_id == "SMfake0002"
    sent = fake_provider.requests[-1]
    assert sent["path"] == "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"
    assert sent["form"]["To"] == "+15145550123" and sent["form"]["From"] == "+15145550100"
    assert sent["form"]["Body"] == "Yes, it is ready for pick-up."
    assert sent["auth"].startswith("Basic ")

    status = fixture_form("sms_status.json", SID="SMfake0002")
    assert post_signed("/hooks/sms/test-sms/status/", status).status_code == 204
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered"
    late = status | {"MessageStatus": "sent", "SmsStatus": "sent"}
    post_signed("/hooks/sms/test-sms/status/", late)
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered"  # a late callback never steps back


def test_provider_rejection_marks_the_message_failed(sms_inbox, fake_provider, captured_events,
                                                    django_capture_on_commit_callbacks):
    post_signed("/hooks/sms/test-sms/", fixture_form("sms_inbound.json"))
    conversation = Conversation.objects.get()
    fake_provider.statuses = [400]
    reply = conv.send_agent_reply(make_agent([sms_inbox.default_queue.team]), conversation, "Hello")
    with django_capture_on_commit_callbacks(execute=True):
        run_due_jobs()
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and "21211" in reply.delivery_error
    updates = [event for event, _groups in captured_events if event["type"] == "message.updated"]
    assert updates[-1]["data"]["delivery_status"] == "failed"


def test_unknown_status_callback_is_404(sms_inbox):
    assert post_signed("/hooks/sms/test-sms/status/", fixture_form("sms_status.json", SID="SMnope")).status_code == 404


@pytest.mark.parametrize(("keyword", "confirmation"), [
    ("STOP", "You will no longer receive text messages from us. Reply START"),
    ("ARRÊT", "Vous ne recevrez plus nos textos. Répondez DÉBUT"),
    ("arret", "Vous ne recevrez plus nos textos. Répondez DÉBUT"),
])
def test_opt_out_keywords_stop_sending_and_confirm(sms_inbox, fake_provider, keyword, confirmation):
    post_signed("/hooks/sms/test-sms/", inbound("Bonjour, mon dossier?", sid="SM1"))
    conversation = Conversation.objects.get()
    response = post_signed("/hooks/sms/test-sms/", inbound(keyword, sid="SM2"))
    assert response.status_code == 200
    assert SmsOptOut.objects.get(phone="+15145550123").opted_out
    assert Message.objects.filter(provider_id="SM2").count() == 0  # a keyword is not a question for an agent
    note = conversation.messages.filter(is_private=True).last()
    assert f"({keyword})" in note.body and note.metadata["sms_opt_out"] is True
    run_due_jobs()
    sent = fake_provider.requests[-1]["form"]
    assert sent["To"] == "+15145550123" and sent["Body"].startswith(confirmation)

    reply = conv.send_agent_reply(make_agent([sms_inbox.default_queue.team]), conversation, "Still there?")
    sent_before = len(fake_provider.requests)
    run_due_jobs()
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and "opted out" in reply.delivery_error
    assert len(fake_provider.requests) == sent_before


def test_opt_in_keyword_resumes_sending(sms_inbox, fake_provider):
    post_signed("/hooks/sms/test-sms/", inbound("question", sid="SM1"))
    post_signed("/hooks/sms/test-sms/", inbound("STOP", sid="SM2"))
    post_signed("/hooks/sms/test-sms/", inbound("Début", sid="SM3"))
    assert not SmsOptOut.objects.get(phone="+15145550123").opted_out
    run_due_jobs()
    conversation = Conversation.objects.get()
    reply = conv.send_agent_reply(make_agent([sms_inbox.default_queue.team]), conversation, "Welcome back")
    run_due_jobs()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"


def test_long_reply_goes_out_in_numbered_segments(sms_inbox, fake_provider):
    post_signed("/hooks/sms/test-sms/", fixture_form("sms_inbound.json"))
    conversation = Conversation.objects.get()
    long_text = " ".join(["Your application is complete and will be mailed within ten business days."] * 5)
    reply = conv.send_agent_reply(make_agent([sms_inbox.default_queue.team]), conversation, long_text)
    run_due_jobs()
    bodies = [r["form"]["Body"] for r in fake_provider.requests]
    assert len(bodies) == 3
    assert [b.rsplit(" ", 1)[1] for b in bodies] == ["(1/3)", "(2/3)", "(3/3)"]
    assert all(len(b) <= 153 for b in bodies)
    assert " ".join(b.rsplit(" ", 1)[0] for b in bodies) == long_text
    reply.refresh_from_db()
    assert reply.metadata["sms_parts"] == ["SMfake0001", "SMfake0002", "SMfake0003"]


def test_a_flood_from_one_number_is_refused_with_429(sms_inbox, settings):
    settings.GUICHET_SMS_SENDER_RATE = (2, 300)
    statuses = [post_signed("/hooks/sms/test-sms/", inbound(f"message {n}", sid=f"SMflood{n}")).status_code
                for n in range(3)]
    assert statuses == [200, 200, 429]
    assert Message.objects.filter(channel="sms").count() == 2
    assert post_signed("/hooks/sms/test-sms/", inbound("message 0", sid="SMflood0")).status_code == 200  # replay


def test_the_virtual_agent_answers_by_sms_in_a_few_segments(sms_inbox, fake_provider):
    post_signed("/hooks/sms/test-sms/", fixture_form("sms_inbound.json"))
    conversation = Conversation.objects.get()
    answer = " ".join(["Passports take about ten business days when you apply in person with a guarantor."] * 6)
    conv.post_message(conversation, answer, author_kind=Message.Author.BOT,
                      metadata={"source_url": "https://www.canada.ca/passports"})
    run_due_jobs()
    bodies = [r["form"]["Body"] for r in fake_provider.requests]
    assert len(bodies) == 3 and bodies[-1].endswith("https://www.canada.ca/passports (3/3)")


def test_the_virtual_agent_answers_texts_from_a_job_not_inside_the_webhook(sms_inbox, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    from guichet.bot import dialogue

    sms_inbox.bot_enabled = True
    sms_inbox.save()
    answered: list[tuple[int, int]] = []
    monkeypatch.setattr(dialogue, "reply", lambda conversation_id, message_id: answered.append(
        (conversation_id, message_id)))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed("/hooks/sms/test-sms/", fixture_form("sms_inbound.json")).status_code == 200
        post_signed("/hooks/sms/test-sms/", fixture_form("sms_inbound.json"))  # provider retry
    assert answered == []  # the webhook did not wait for the bot
    assert Job.objects.filter(kind="bot.reply").count() == 1
    run_due_jobs()
    message = Message.objects.get(author_kind="contact")
    assert answered == [(message.conversation_id, message.pk)]
