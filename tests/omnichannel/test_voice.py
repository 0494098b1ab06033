"""Voice/IVR: signed webhooks answered with TwiML (parsed as XML), language, menu, bot, queue, Dial, callback."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.test import Client

from guichet.conversations.models import Conversation, Message
from guichet.core.jobs import run_due_jobs
from guichet.omnichannel.models import CallSession
from guichet.omnichannel.voice import ivr
from guichet.omnichannel.voice.simulate import CallSimulator, build_script
from guichet.routing.actions import route_waiting
from guichet.routing.models import CallbackRequest
from tests.factories import make_agent, make_inbox, make_queue
from tests.omnichannel.conftest import AUTH_TOKEN, fixture_form, sign

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
CALL_SID = "CA5f1b0a4c2d3e4f5a6b7c8d9e0f1a2b3c"


@pytest.fixture
def voice_inbox(twilio_env):
    general = make_queue(slug="general")
    benefits = make_queue(slug="benefits")
    inbox = make_inbox(general, channel="voice", slug="test-voice", languages=["en", "fr"], config={
        "number": "+15145550199", "auth_token_env": "GUICHET_TWILIO_AUTH_TOKEN",
        "ivr_menu": [{"digit": "1", "label_en": "benefits", "label_fr": "les prestations", "queue": "benefits"},
                     {"digit": "2", "label_en": "anything else", "label_fr": "autre chose", "queue": "general"}]})
    inbox.benefits = benefits
    return inbox


def call(path: str, extra: dict[str, str] | None = None, signature: str | None = None):
    form = fixture_form("voice_incoming.json") | (extra or {})
    signature = sign(BASE + path, form) if signature is None else signature
    response = Client().post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)
    root = ET.fromstring(response.content) if response.status_code == 200 else None
    return response, root


def says(element) -> list[tuple[str, str]]:
    return [(say.get("language"), say.text) for say in element.iter("Say")]


def test_incoming_call_offers_the_language_choice_in_both_voices(voice_inbox):
    response, root = call("/hooks/voice/test-voice/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    gather = root.find("Gather")
    assert gather.get("action").startswith("/hooks/voice/test-voice/language/")
    assert gather.get("numDigits") == "1"
    assert [language for language, _text in says(gather)] == ["en-CA", "fr-CA"]
    assert says(gather) == [("en-CA", "For service in English, press 1."),
                            ("fr-CA", "Pour le service en français, faites le 2.")]
    assert root.find("Redirect") is not None
    session = CallSession.objects.get(call_sid=CALL_SID)
    assert session.conversation.contact.identities.get(kind="phone").value == "+15145550123"
    started = session.conversation.messages.get(metadata__call__event="started")
    assert started.is_private and started.author_kind == "system"


def test_forged_signature_is_refused_and_no_call_stored(voice_inbox):
    response, _root = call("/hooks/voice/test-voice/", signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert not CallSession.objects.exists() and not Conversation.objects.exists()


def test_replayed_incoming_webhook_is_one_call(voice_inbox):
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/")
    assert CallSession.objects.count() == 1 and Conversation.objects.count() == 1


def test_unknown_call_and_step_are_404(voice_inbox):
    response, _ = call("/hooks/voice/test-voice/wait/", {"CallSid": "CAunknown"})
    assert response.status_code == 404
    call("/hooks/voice/test-voice/")
    response, _ = call("/hooks/voice/test-voice/nonsense/")
    assert response.status_code == 404


def test_french_menu_queue_and_announcements(voice_inbox):
    call("/hooks/voice/test-voice/")
    _response, root = call("/hooks/voice/test-voice/language/?attempt=1", {"Digits": "2"})
    gather = root.find("Gather")
    assert gather.get("action").startswith("/hooks/voice/test-voice/menu/")
    assert {language for language, _text in says(gather)} == {"fr-CA"}
    assert len(says(gather)) == 2  # one prompt per menu entry
    session = CallSession.objects.get()
    assert session.conversation.language == "fr" and session.language == "fr"

    _response, root = call("/hooks/voice/test-voice/menu/?attempt=1", {"Digits": "1"})
    conversation = Conversation.objects.get()
    assert conversation.queue.slug == "benefits" and conversation.status == "queued"
    wait_gather = root.find("Gather")
    assert wait_gather.get("action").startswith("/hooks/voice/test-voice/waitkey/")
    assert int(wait_gather.get("timeout")) == ivr.WAIT_POLL_S
    spoken = " ".join(text for _lang, text in says(root))
    assert "1" in spoken  # position 1 announced
    assert root.find("Redirect").text.startswith("/hooks/voice/test-voice/wait/")
    events = list(conversation.messages.filter(metadata__call__isnull=False)
                  .values_list("metadata__call__event", flat=True))
    assert events == ["started", "menu", "queued"]


def test_wrong_keys_are_asked_again_then_a_default_is_used(voice_inbox):
    call("/hooks/voice/test-voice/")
    _response, root = call("/hooks/voice/test-voice/language/?attempt=1", {"Digits": "7"})
    assert root.find("Gather").get("action").endswith("attempt=2")
    _response, root = call("/hooks/voice/test-voice/language/?attempt=3", {"Digits": "7"})
    assert CallSession.objects.get().language == "en"
    assert root.find("Gather").get("action").startswith("/hooks/voice/test-voice/menu/")


def test_an_available_agent_gets_the_call_by_dial(voice_inbox):
    agent = make_agent([voice_inbox.benefits.team], presence="available", voice_address="+15145550777")
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/language/", {"Digits": "1"})
    call("/hooks/voice/test-voice/menu/", {"Digits": "1"})
    assert route_waiting() == 1
    _response, root = call("/hooks/voice/test-voice/wait/")
    dial = root.find("Dial")
    assert dial.find("Number").text == "+15145550777"
    assert dial.get("action").startswith("/hooks/voice/test-voice/dialdone/")
    conversation = Conversation.objects.get()
    assert conversation.assignee == agent
    _response, root = call("/hooks/voice/test-voice/dialdone/", {"DialCallStatus": "completed",
                                                                   "DialCallDuration": "185"})
    assert root.find("Hangup") is not None
    call("/hooks/voice/test-voice/status/", {"CallStatus": "completed", "CallDuration": "240",
                                             "RecordingUrl": "https://api.example.com/Recordings/RE1"})
    session = CallSession.objects.get()
    assert session.state == "ended" and session.recording_url == "https://api.example.com/Recordings/RE1"
    events = list(conversation.messages.filter(metadata__call__isnull=False)
                  .values_list("metadata__call__event", flat=True))
    assert events == ["started", "menu", "queued", "connected", "talk", "recording", "ended"]
    talk = conversation.messages.get(metadata__call__event="talk")
    assert talk.metadata["call"]["talk_s"] == 185
    conversation.refresh_from_db()
    assert conversation.status == "assigned"  # the agent wraps up and resolves it


def test_callback_keeps_the_place_in_line(voice_inbox):
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/language/", {"Digits": "1"})
    call("/hooks/voice/test-voice/menu/", {"Digits": "2"})
    queued_at = Conversation.objects.get().queued_at
    _response, root = call("/hooks/voice/test-voice/waitkey/", {"Digits": "9"})
    assert root.find("Hangup") is not None
    assert "0 1 2 3" in " ".join(text for _l, text in says(root))
    noted = Conversation.objects.get().messages.get(metadata__call__event="callback")
    assert noted.metadata["call"]["number"] == "+15145550123"
    callback = CallbackRequest.objects.get()  # routing's callback: routed to an agent as callback work
    assert (callback.method, callback.phone, callback.status) == ("phone", "+15145550123", "pending")
    assert callback.queued_at == queued_at and callback.queue.slug == "general"
    run_due_jobs()  # routing's written confirmation was said aloud by the IVR: not a failed delivery
    assert not Message.objects.filter(delivery_status="failed").exists()
    assert Message.objects.filter(author_kind="system", is_private=False, delivery_status="delivered").exists()
    call("/hooks/voice/test-voice/status/", {"CallStatus": "completed", "CallDuration": "60"})
    conversation = Conversation.objects.get()
    assert conversation.status == "queued" and conversation.queued_at == queued_at


def test_hanging_up_while_waiting_closes_the_silent_call(voice_inbox):
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/language/", {"Digits": "1"})
    call("/hooks/voice/test-voice/menu/", {"Digits": "2"})
    call("/hooks/voice/test-voice/status/", {"CallStatus": "completed", "CallDuration": "75"})
    call("/hooks/voice/test-voice/status/", {"CallStatus": "completed", "CallDuration": "75"})
    conversation = Conversation.objects.get()
    assert conversation.status == "resolved"
    assert conversation.messages.filter(metadata__call__event="ended").count() == 1
    assert conversation.messages.filter(metadata__call__event="abandoned").count() == 1


def test_spoken_question_goes_to_the_virtual_agent_and_is_read_back(voice_inbox, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    voice_inbox.bot_enabled = True
    voice_inbox.config = {**voice_inbox.config, "ivr_menu": []}
    voice_inbox.save()
    asked = []

    def answer_text(conversation, text):
        asked.append((conversation.reference, text))
        return "Vous pouvez renouveler en ligne. Plus : https://www.canada.ca/fr.html" if "renouveler" in text \
            else None

    monkeypatch.setattr(ivr, "answerer", lambda: answer_text)
    call("/hooks/voice/test-voice/")
    _response, root = call("/hooks/voice/test-voice/language/", {"Digits": "2"})
    assert root.find("Gather").get("action").startswith("/hooks/voice/test-voice/bot/")
    assert root.find("Gather").get("input") == "dtmf speech"
    assert root.find("Gather").get("language") == "fr-CA"
    with django_capture_on_commit_callbacks(execute=True):  # the written dialogue must not answer as well
        _response, root = call("/hooks/voice/test-voice/bot/", {"SpeechResult": "Comment renouveler mes prestations",
                                                                "Confidence": "0.92"})
    assert says(root)[0] == ("fr-CA", "Vous pouvez renouveler en ligne.")
    conversation = Conversation.objects.get()
    assert asked == [(conversation.reference, "Comment renouveler mes prestations")]
    bot = conversation.messages.get(author_kind=Message.Author.BOT)
    assert bot.metadata["spoken"] is True and bot.body.endswith("https://www.canada.ca/fr.html")
    citizen = conversation.messages.get(author_kind=Message.Author.CONTACT)
    assert citizen.channel == "voice" and citizen.body == "Comment renouveler mes prestations"

    _response, root = call("/hooks/voice/test-voice/bot/", {"SpeechResult": "Et mon adresse?"})
    conversation.refresh_from_db()
    assert conversation.status == "queued"
    assert root.find("Gather").get("action").startswith("/hooks/voice/test-voice/waitkey/")


@pytest.fixture
def wsgi_client():
    """httpx over Django's WSGI app in-process; like Django's test Client, requests keep the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = httpx.Client(transport=httpx.WSGITransport(app=get_wsgi_application()), base_url=BASE)
    yield client
    client.close()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_simulator_plays_a_whole_call_over_http(voice_inbox, monkeypatch, wsgi_client):
    make_agent([voice_inbox.benefits.team], presence="available", voice_address="sip:agent@pbx.example.ca")
    printed: list[str] = []
    simulator = CallSimulator(BASE, "test-voice", "+15145550123", auth_token=AUTH_TOKEN, client=wsgi_client,
                              out=printed.append)
    from guichet.omnichannel.voice import calls

    real_enqueue = calls.enqueue_call

    def enqueue_and_route(session):  # the routing worker runs between two webhooks in production
        real_enqueue(session)
        route_waiting()

    monkeypatch.setattr(calls, "enqueue_call", enqueue_and_route)
    outcome = simulator.run(build_script("2,1"), wait_loops=2)
    assert outcome == "hung up by the server"
    tags = [child.tag for root in simulator.transcript for child in root]
    assert "Dial" in tags and tags.count("Hangup") == 1
    session = CallSession.objects.get()
    assert session.language == "fr" and session.state == "ended"
    assert session.conversation.messages.filter(metadata__call__event="talk").exists()
    assert any("sip:agent@pbx.example.ca" in line for line in printed)


def test_withheld_number_is_served_without_a_callback_offer(voice_inbox):
    call("/hooks/voice/test-voice/", {"From": "anonymous", "Caller": "anonymous"})
    call("/hooks/voice/test-voice/language/", {"From": "anonymous", "Digits": "1"})
    _response, root = call("/hooks/voice/test-voice/menu/", {"From": "anonymous", "Digits": "2"})
    spoken = " ".join(text for _lang, text in says(root))
    assert "called back" not in spoken
    _response, root = call("/hooks/voice/test-voice/waitkey/", {"From": "anonymous", "Digits": "9"})
    assert root.find("Hangup") is None and root.find("Redirect") is not None
    assert not Conversation.objects.get().contact.identities.exists()


def test_a_retried_speech_webhook_is_stored_once(voice_inbox, monkeypatch):
    voice_inbox.bot_enabled = True
    voice_inbox.config = {**voice_inbox.config, "ivr_menu": []}
    voice_inbox.save()
    monkeypatch.setattr(ivr, "answerer", lambda: (lambda conversation, text: "Try the online form."))
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/language/", {"Digits": "1"})
    first = call("/hooks/voice/test-voice/bot/", {"SpeechResult": "How do I apply?"})[1]
    retry = call("/hooks/voice/test-voice/bot/", {"SpeechResult": "How do I apply?"})[1]
    assert says(first)[0] == says(retry)[0] == ("en-CA", "Try the online form.")
    conversation = Conversation.objects.get()
    assert conversation.messages.filter(author_kind="contact").count() == 1
    assert conversation.messages.filter(author_kind="bot").count() == 1


def test_webhooks_without_call_fields_are_400(voice_inbox):
    form = {"AccountSid": "AC0", "To": "+15145550199"}
    response = Client().post("/hooks/voice/test-voice/", form,
                             HTTP_X_TWILIO_SIGNATURE=sign(BASE + "/hooks/voice/test-voice/", form))
    assert response.status_code == 400
    assert not CallSession.objects.exists()


def test_language_and_menu_choices_go_through_the_conversation_verbs(voice_inbox, captured_events,
                                                                     django_capture_on_commit_callbacks):
    call("/hooks/voice/test-voice/")
    with django_capture_on_commit_callbacks(execute=True):
        call("/hooks/voice/test-voice/language/", {"Digits": "2"})
    updated = [event["data"] for event, _groups in captured_events if event["type"] == "conversation.updated"]
    assert any(data.get("language") == "fr" for data in updated)
    conversation = Conversation.objects.select_related("contact").get()
    assert conversation.contact.preferred_language == "fr"
    captured_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call("/hooks/voice/test-voice/menu/", {"Digits": "1"})
    moved = [event["data"] for event, _groups in captured_events if event["type"] == "conversation.updated"]
    assert moved and Conversation.objects.get().queue.slug == "benefits"


def test_the_callers_words_are_received_not_delivered(voice_inbox, monkeypatch):
    from guichet.core.models import Job

    voice_inbox.bot_enabled = True
    voice_inbox.config = {**voice_inbox.config, "ivr_menu": []}
    voice_inbox.save()
    monkeypatch.setattr(ivr, "answerer", lambda: (lambda conversation, text: "Try the online form."))
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/language/", {"Digits": "1"})
    call("/hooks/voice/test-voice/bot/", {"SpeechResult": "How do I apply?"})
    citizen = Message.objects.get(author_kind="contact")
    assert citizen.delivery_status == "" and citizen.channel == "voice" and citizen.language == "en"
    assert not Job.objects.filter(payload__message_id=citizen.pk).exists()


@pytest.fixture
def slow_bot(voice_inbox, monkeypatch, settings):
    """The virtual agent takes its time (a cold model): its answer waits for `release`."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from guichet.omnichannel import warmup

    voice_inbox.bot_enabled = True
    voice_inbox.config = {**voice_inbox.config, "ivr_menu": []}
    voice_inbox.save()
    settings.GUICHET_VOICE_BOT_WAIT_S = 0
    release = threading.Event()
    executor = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(warmup, "_executor", executor)

    def slow_answer(conversation, text):
        release.wait()
        return "You can renew online."

    monkeypatch.setattr(ivr, "answerer", lambda: slow_answer)
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/language/", {"Digits": "1"})

    def finish():
        release.set()
        executor.shutdown(wait=True)  # the answer is in the cache once the worker is done

    yield finish
    finish()


def test_a_slow_virtual_agent_puts_the_caller_on_hold_instead_of_blocking(slow_bot):
    _response, root = call("/hooks/voice/test-voice/bot/", {"SpeechResult": "How do I renew my passport?"})
    assert says(root) == [("en-CA", "One moment, please.")]
    assert root.find("Pause") is not None
    redirect = root.find("Redirect").text
    assert redirect.startswith("/hooks/voice/test-voice/botwait/?turn=") and redirect.endswith("holds=1")
    _response, root = call(redirect)  # still thinking: a silent hold, no second "one moment"
    assert says(root) == [] and root.find("Redirect").text.endswith("holds=2")
    slow_bot()
    _response, root = call(redirect.replace("holds=1", "holds=2"))
    assert says(root)[0] == ("en-CA", "You can renew online.")
    assert root.find("Gather").get("action").startswith("/hooks/voice/test-voice/bot/")
    call(redirect.replace("holds=1", "holds=2"))  # a provider retry stores nothing more
    conversation = Conversation.objects.get()
    assert conversation.messages.filter(author_kind="bot").count() == 1
    assert conversation.messages.filter(author_kind="contact").count() == 1


def test_a_virtual_agent_that_never_answers_sends_the_caller_to_an_agent(slow_bot):
    _response, root = call("/hooks/voice/test-voice/bot/", {"SpeechResult": "How do I renew my passport?"})
    last_hold = root.find("Redirect").text.replace("holds=1", f"holds={ivr.MAX_HOLDS}")
    _response, root = call(last_hold)
    assert Conversation.objects.get().status == "queued"
    assert root.find("Gather").get("action").startswith("/hooks/voice/test-voice/waitkey/")
    _response, root = call("/hooks/voice/test-voice/botwait/?turn=not-a-turn&holds=1")
    assert root.find("Gather").get("action").startswith("/hooks/voice/test-voice/waitkey/")


def test_a_failing_virtual_agent_sends_the_caller_to_an_agent(voice_inbox, monkeypatch):
    voice_inbox.bot_enabled = True
    voice_inbox.config = {**voice_inbox.config, "ivr_menu": []}
    voice_inbox.save()

    def broken(conversation, text):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(ivr, "answerer", lambda: broken)
    call("/hooks/voice/test-voice/")
    call("/hooks/voice/test-voice/language/", {"Digits": "1"})
    _response, root = call("/hooks/voice/test-voice/bot/", {"SpeechResult": "How do I apply?"})
    assert Conversation.objects.get().status == "queued"
    assert root.find("Gather").get("action").startswith("/hooks/voice/test-voice/waitkey/")


def test_warm_up_starts_the_knowledge_index_warm_up(monkeypatch):
    from guichet.knowledge import index
    from guichet.omnichannel import warmup

    started = []
    monkeypatch.setattr(index, "warm_up_in_background", lambda: started.append(True))
    assert warmup.warm_up_in_background() is True
    assert started == [True]
