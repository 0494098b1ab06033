"""E-mail channel end to end: a real SMTP session into the receiver, threading, the outbound relay."""

from __future__ import annotations

import smtplib

import pytest

from guichet.conversations import actions as conv
from guichet.conversations.models import Conversation, Message
from guichet.core.jobs import run_due_jobs
from guichet.omnichannel.actions import ingest_email
from guichet.omnichannel.adapters.base import InboundRejected
from guichet.omnichannel.email.receiver import make_controller
from guichet.omnichannel.models import Attachment, EmailThreadKey
from tests.factories import make_agent, make_inbox, make_queue
from tests.omnichannel.conftest import INBOX_ADDRESS, fixture_bytes, free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def email_inbox():
    queue = make_queue()
    return make_inbox(queue, channel="email", config={"address": INBOX_ADDRESS}, languages=["en", "fr"])


@pytest.fixture
def receiver():
    port = free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def smtp_send(port: int, raw: bytes, rcpt: str = INBOX_ADDRESS, sender: str = "jane.doe@example.ca"):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(sender, [rcpt], raw)


def test_smtp_session_creates_case_then_reply_threads_and_agent_reply_leaves_with_headers(
        email_inbox, receiver, smtp_sink):
    smtp_send(receiver, fixture_bytes("new_request.eml"))
    conversation = Conversation.objects.get(inbox=email_inbox)
    first = conversation.messages.get(author_kind=Message.Author.CONTACT)
    assert "How do I renew my benefits" in first.body
    assert "<script>" not in first.metadata["email"]["html"]
    assert conversation.contact.identities.get(kind="email").value == "jane.doe@example.ca"
    assert conversation.subject == "Question about my benefits renewal"

    # The acknowledgement goes out through the relay with the reference number, marked automatic.
    assert run_due_jobs() >= 1
    (ack_rcpts, ack), = smtp_sink.messages
    assert ack_rcpts == ["jane.doe@example.ca"]
    assert conversation.reference in ack["Subject"] and conversation.reference in ack.get_content()
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<CAF=first-request-0001@mail.example.ca>"
    ack_message = conversation.messages.get(metadata__kind="acknowledgement")
    assert ack_message.delivery_status == "sent"

    # The citizen answers the acknowledgement: same case, quoted history folded away.
    smtp_send(receiver, fixture_bytes("reply_quoted.eml", REFERENCE=conversation.reference,
                                      IN_REPLY_TO=ack["Message-ID"]))
    assert Conversation.objects.filter(inbox=email_inbox).count() == 1
    reply = conversation.messages.filter(author_kind=Message.Author.CONTACT).order_by("-seq").first()
    assert reply.body == "Thanks, I also moved last month. Does that change anything?"
    assert "We have received your message" in reply.metadata["email"]["quoted"]

    # An agent answers: it leaves by SMTP threaded on everything before, with the reference in the subject.
    agent = make_agent([email_inbox.default_queue.team])
    conv.send_agent_reply(agent, conversation, "Moving does not change your renewal date.")
    run_due_jobs()
    rcpts, answer = smtp_sink.messages[-1]
    assert rcpts == ["jane.doe@example.ca"]
    assert answer["Subject"] == f"Re: Question about my benefits renewal [{conversation.reference}]"
    assert answer["In-Reply-To"] == "<CAF=reply-0002@mail.example.ca>"
    assert "<CAF=first-request-0001@mail.example.ca>" in answer["References"]
    assert ack["Message-ID"] in answer["References"]
    assert answer["Auto-Submitted"] is None
    assert answer["Content-Language"] == "en"
    assert "Moving does not change your renewal date." in answer.get_content()
    assert EmailThreadKey.objects.filter(mail_id=answer["Message-ID"], conversation=conversation).exists()


def test_unknown_recipient_is_refused_at_rcpt(email_inbox, receiver):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_send(receiver, fixture_bytes("new_request.eml"), rcpt="nobody@guichet.test")
    assert refused.value.recipients["nobody@guichet.test"][0] == 550
    assert not Conversation.objects.exists()


def test_the_same_message_delivered_twice_is_stored_once(email_inbox, receiver):
    smtp_send(receiver, fixture_bytes("new_request.eml"))
    smtp_send(receiver, fixture_bytes("new_request.eml"))
    assert Message.objects.filter(author_kind="contact").count() == 1
    assert Conversation.objects.count() == 1


def test_malformed_mail_is_refused_and_nothing_stored(email_inbox, receiver):
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_send(receiver, fixture_bytes("malformed.eml"))
    assert refused.value.smtp_code == 554
    assert not Conversation.objects.exists()


def test_reference_in_subject_threads_for_the_same_citizen_only(email_inbox):
    first = ingest_email(fixture_bytes("new_request.eml").replace(b"Jane.Doe@Example.ca", b"jeanne.tremblay@example.ca"),
                         [INBOX_ADDRESS])
    reference = first.conversation.reference
    same_citizen = ingest_email(fixture_bytes("reply_french_subject_only.eml", REFERENCE=reference), [INBOX_ADDRESS])
    assert same_citizen.conversation.pk == first.conversation.pk
    assert same_citizen.message.body == "Bonjour, j'ai oublié de joindre mon numéro de dossier : 77812."
    assert "Nous avons bien reçu" in same_citizen.message.metadata["email"]["quoted"]

    stranger = fixture_bytes("reply_french_subject_only.eml", REFERENCE=reference) \
        .replace(b"jeanne.tremblay@example.ca", b"someone.else@example.ca").replace(b"fr-reply-0003", b"x-9")
    other = ingest_email(stranger, [INBOX_ADDRESS])
    assert other.conversation.pk != first.conversation.pk


def test_html_only_mail_is_sanitised_and_read_as_text(email_inbox):
    result = ingest_email(fixture_bytes("html_only.eml"), [INBOX_ADDRESS])
    html = result.message.metadata["email"]["html"]
    assert "script" not in html and "onclick" not in html and "javascript:" not in html and "<img" not in html
    assert 'href="https://www.canada.ca/"' in html
    assert result.message.body.startswith("Bonjour, je n'arrive pas à ouvrir le formulaire en ligne.")
    assert result.conversation.language == "fr"


def test_attachments_are_stored_and_executables_refused(email_inbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    result = ingest_email(fixture_bytes("with_attachments.eml"), [INBOX_ADDRESS])
    stored = list(Attachment.objects.filter(message=result.message))
    assert [a.filename for a in stored] == ["proof-of-address.pdf"]
    assert stored[0].file.read().startswith(b"%PDF")
    assert stored[0].size == len(stored[0].file.open().read())
    rejected = {r["filename"]: r["reason"] for r in result.message.metadata["email"]["rejected_attachments"]}
    assert rejected == {"invoice.pdf.exe": "executable", "photo.jpg": "executable"}


def test_oversized_attachment_is_refused(email_inbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.GUICHET_MAX_ATTACHMENT_BYTES = 20
    result = ingest_email(fixture_bytes("with_attachments.eml"), [INBOX_ADDRESS])
    assert not Attachment.objects.exists()
    reasons = {r["reason"] for r in result.message.metadata["email"]["rejected_attachments"]}
    assert "too_large" in reasons


def test_auto_replies_and_bounces_get_no_answer(email_inbox, smtp_sink):
    first = ingest_email(fixture_bytes("new_request.eml"), [INBOX_ADDRESS])
    run_due_jobs()
    sent_before = len(smtp_sink.messages)
    dropped = ingest_email(fixture_bytes("bounce.eml"), [INBOX_ADDRESS])
    assert dropped.message is None and dropped.reason == "daemon"
    ooo = fixture_bytes("auto_reply.eml").replace(
        b"Precedence: auto_reply", b"In-Reply-To: <CAF=first-request-0001@mail.example.ca>")
    noted = ingest_email(ooo, [INBOX_ADDRESS])
    assert noted.conversation.pk == first.conversation.pk and noted.message.is_private
    run_due_jobs()
    assert len(smtp_sink.messages) == sent_before
    assert Conversation.objects.count() == 1


def test_header_injection_is_neutralised(email_inbox, smtp_sink):
    result = ingest_email(fixture_bytes("header_injection.eml"), [INBOX_ADDRESS])
    assert "\n" not in result.conversation.subject and "\r" not in result.conversation.subject
    run_due_jobs()
    rcpts, ack = smtp_sink.messages[-1]
    assert rcpts == ["eve@example.ca"]
    assert ack["Bcc"] is None
    assert "\n" not in ack["Subject"]


def test_per_sender_rate_limit(email_inbox, settings):
    settings.GUICHET_EMAIL_SENDER_RATE = (2, 3600)
    for number in range(2):
        ingest_email(fixture_bytes("new_request.eml").replace(b"0001", f"r{number}".encode()), [INBOX_ADDRESS])
    with pytest.raises(InboundRejected) as rejected:
        ingest_email(fixture_bytes("new_request.eml").replace(b"0001", b"r9"), [INBOX_ADDRESS])
    assert rejected.value.status == 451
    assert Message.objects.filter(author_kind="contact").count() == 2


def test_relay_down_retries_then_sends(email_inbox, smtp_sink, settings):
    result = ingest_email(fixture_bytes("new_request.eml"), [INBOX_ADDRESS])
    real_port = settings.GUICHET_SMTP_PORT
    settings.GUICHET_SMTP_PORT = free_port()  # nobody listens there
    run_due_jobs()
    ack = result.conversation.messages.get(metadata__kind="acknowledgement")
    assert ack.delivery_status == "queued" and "unavailable" in ack.delivery_error
    settings.GUICHET_SMTP_PORT = real_port
    from guichet.core.models import Job

    Job.objects.filter(kind="omnichannel.deliver").update(run_at=ack.created_at)
    run_due_jobs()
    ack.refresh_from_db()
    assert ack.delivery_status == "sent"
    assert len(smtp_sink.messages) == 1


def test_pipe_command_stores_mail_and_reports_unknown_recipients(email_inbox, tmp_path):
    from django.core.management import call_command

    raw = tmp_path / "message.eml"
    raw.write_bytes(fixture_bytes("new_request.eml"))
    call_command("ingest_email", "--to", INBOX_ADDRESS, "--file", str(raw))
    assert Conversation.objects.filter(inbox=email_inbox).count() == 1
    with pytest.raises(SystemExit) as unknown:
        call_command("ingest_email", "--to", "nobody@guichet.test", "--file", str(raw))
    assert unknown.value.code == 67


def test_replies_go_to_the_reply_to_address(email_inbox, smtp_sink):
    raw = fixture_bytes("new_request.eml").replace(b"Subject:", b"Reply-To: Jane at home <jane@home.example>\nSubject:")
    result = ingest_email(raw, [INBOX_ADDRESS])
    run_due_jobs()
    rcpts, _ack = smtp_sink.messages[-1]
    assert rcpts == ["jane@home.example"]
    assert result.conversation.contact.identities.get().value == "jane.doe@example.ca"
