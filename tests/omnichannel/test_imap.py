"""IMAP polling against a local IMAP server: new mail stored once and marked seen, refusals, retries later."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from guichet.conversations.models import Conversation, Message
from guichet.omnichannel.email.imap import poll_inbox
from tests.factories import make_inbox, make_queue
from tests.omnichannel.conftest import INBOX_ADDRESS, fixture_bytes
from tests.omnichannel.imap_server import FakeImapServer, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(monkeypatch):
    monkeypatch.setenv("GUICHET_TEST_IMAP_PASSWORD", "imap-secret")
    box = Mailbox(user=INBOX_ADDRESS, password="imap-secret")
    with FakeImapServer(box) as server:
        box.inbox = make_inbox(make_queue(), channel="email", slug="mail", config={
            "address": INBOX_ADDRESS, "imap": {"host": "127.0.0.1", "port": server.port, "ssl": False,
                                               "user": INBOX_ADDRESS, "password_env": "GUICHET_TEST_IMAP_PASSWORD"}})
        yield box


def other_request(number: int) -> bytes:
    return fixture_bytes("new_request.eml").replace(b"first-request-0001", f"other-{number}".encode())


def test_new_mail_is_stored_once_and_marked_seen(mailbox):
    new = mailbox.add(fixture_bytes("new_request.eml"))
    old = mailbox.add(other_request(1), seen=True)  # read by a person in the mail client: left alone
    robot = mailbox.add(fixture_bytes("auto_reply.eml"))
    result = poll_inbox(mailbox.inbox)
    assert (result.stored, result.skipped, result.refused, result.errors) == (1, 1, 0, [])
    assert new.seen and robot.seen and old.seen
    conversation = Conversation.objects.get()
    assert conversation.messages.get(author_kind=Message.Author.CONTACT).provider_id == \
        "<CAF=first-request-0001@mail.example.ca>"
    new.seen = False  # someone marked it unread again: the redelivery stores nothing new
    again = poll_inbox(mailbox.inbox)
    assert (again.stored, again.skipped) == (0, 1)
    assert Message.objects.filter(author_kind=Message.Author.CONTACT).count() == 1


def test_a_sender_over_the_rate_limit_is_read_at_a_later_poll(mailbox, settings):
    settings.GUICHET_EMAIL_SENDER_RATE = (1, 3600)
    first, second = mailbox.add(other_request(1)), mailbox.add(other_request(2))
    result = poll_inbox(mailbox.inbox)
    assert (result.stored, result.deferred) == (1, 1)
    assert first.seen and not second.seen


def test_unreadable_mail_is_refused_and_not_read_again(mailbox):
    bad = mailbox.add(b"this is not an e-mail at all")
    result = poll_inbox(mailbox.inbox)
    assert (result.stored, result.refused) == (0, 1) and bad.seen
    assert not Message.objects.exists()


def test_a_wrong_password_stores_nothing_and_says_why(mailbox, monkeypatch):
    monkeypatch.setenv("GUICHET_TEST_IMAP_PASSWORD", "wrong")
    mail = mailbox.add(fixture_bytes("new_request.eml"))
    result = poll_inbox(mailbox.inbox)
    assert result.stored == 0 and "sign in" in result.errors[0]
    assert not mail.seen and not Message.objects.exists()


def test_poll_imap_command_polls_once(mailbox, capsys):
    mailbox.add(fixture_bytes("new_request.eml"))
    with pytest.raises(SystemExit) as exited:
        call_command("poll_imap", "--once")
    assert exited.value.code == 0
    assert "mail: stored=1" in capsys.readouterr().out
