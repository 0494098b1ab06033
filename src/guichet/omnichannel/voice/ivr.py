"""The phone menu, as answers to the provider's webhooks (TwiML). One function per step; each returns the
TwiML to play next and points the provider at the following step's URL.

    incoming -> language -> [menu] -> [bot ...] -> queue -> wait (every ~20 s) -> Dial agent | callback
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from twilio.twiml.voice_response import Gather, VoiceResponse

from guichet.agents.models import AgentProfile
from guichet.conversations.models import Conversation, Inbox
from guichet.omnichannel import warmup
from guichet.omnichannel.adapters.base import InboundMessage
from guichet.omnichannel.models import CallSession
from guichet.omnichannel.voice import calls

logger = logging.getLogger("guichet.omnichannel.voice")

VOICE_LANGUAGE = {"en": "en-CA", "fr": "fr-CA"}
LANGUAGE_DIGITS = {"1": "en", "2": "fr"}
WAIT_POLL_S = 20
MAX_BOT_TURNS = 3
MAX_RETRIES = 3
CALLBACK_DIGIT = "9"
# How long a webhook waits for the virtual agent before the caller hears "one moment" (the provider gives up
# at 15 s), how long each hold lasts, and how many holds before the caller goes to an agent instead.
BOT_WAIT_S = 6.0
HOLD_PAUSE_S = 2
MAX_HOLDS = 8
AGENT_WORDS = {"agent", "agente", "person", "personne", "human", "humain", "operator", "opérateur", "0"}


def step_url(inbox: Inbox, step: str, **query: str) -> str:
    url = reverse("omnichannel:voice_step", args=[inbox.slug, step])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


_TRAILING_LINK = re.compile(r"\s+[^\s.!?]{1,15}\s?:\s*https?://\S+\s*$")
_LINK = re.compile(r"\s*https?://\S+")


def speakable(text: str) -> str:
    """Links cannot be heard: drop a closing "More: <url>" and any other URL from what is read aloud."""
    return _LINK.sub("", _TRAILING_LINK.sub("", text)).strip()


def say(target, text: str, language: str, inbox: Inbox) -> None:  # type: ignore[no-untyped-def]
    voice = str((inbox.config or {}).get(f"voice_{language}", "alice"))
    target.say(text, voice=voice, language=VOICE_LANGUAGE.get(language, "en-CA"))


def speak(target, inbox: Inbox, language: str, text_for_language: Callable[[], str]) -> None:  # type: ignore[no-untyped-def]
    with override(language):
        say(target, str(text_for_language()), language, inbox)


def gather(inbox: Inbox, step: str, language: str, *, speech: bool = True, timeout: int = 6,
           **query: str) -> Gather:
    options = {"action": step_url(inbox, step, **query), "method": "POST", "num_digits": 1, "timeout": timeout,
               "action_on_empty_result": False}
    if speech:
        options.update(input="dtmf speech", language=VOICE_LANGUAGE.get(language, "en-CA"), speech_timeout="auto")
    else:
        options["input"] = "dtmf"
    return Gather(**options)


# --- steps --------------------------------------------------------------------------------------------


def incoming(inbox: Inbox, inbound: InboundMessage) -> VoiceResponse:
    session = calls.start_call(inbox, inbound.provider_id, inbound.from_identity)
    languages = [code for code in (inbox.languages or []) if code in VOICE_LANGUAGE] or ["en"]
    if len(languages) == 1:
        calls.choose_language(session, languages[0])
        return after_language(session)
    return language_prompt(inbox, attempt=1)


def language_prompt(inbox: Inbox, attempt: int) -> VoiceResponse:
    response = VoiceResponse()
    prompt = gather(inbox, "language", "en", speech=False, attempt=str(attempt))
    speak(prompt, inbox, "en", lambda: _("For service in English, press 1."))
    speak(prompt, inbox, "fr", lambda: _("For service in French, press 2."))
    response.append(prompt)
    response.redirect(step_url(inbox, "language", attempt=str(attempt)), method="POST")
    return response


def language(session: CallSession, inbound: InboundMessage, attempt: int) -> VoiceResponse:
    chosen = LANGUAGE_DIGITS.get(inbound.extra.get("digits", "").strip()[:1])
    if chosen is None and attempt < MAX_RETRIES:
        return language_prompt(session.inbox, attempt + 1)
    calls.choose_language(session, chosen or (session.inbox.languages or ["en"])[0])
    return after_language(session)


def _menu(inbox: Inbox) -> list[dict]:
    entries = (inbox.config or {}).get("ivr_menu") or []
    return [e for e in entries if isinstance(e, dict) and str(e.get("digit", "")).isdigit()]


def _label(entry: dict, language: str) -> str:
    return str(entry.get(f"label_{language}") or entry.get("label_en") or entry.get("queue") or "")


def after_language(session: CallSession) -> VoiceResponse:
    if _menu(session.inbox):
        return menu_prompt(session, attempt=1)
    return after_menu(session)


def menu_prompt(session: CallSession, attempt: int) -> VoiceResponse:
    inbox, lang = session.inbox, session.language
    response = VoiceResponse()
    prompt = gather(inbox, "menu", lang, attempt=str(attempt))
    for entry in _menu(inbox):
        speak(prompt, inbox, lang, lambda entry=entry: _("For %(topic)s, press %(digit)s.") % {
            "topic": _label(entry, lang), "digit": entry["digit"]})
    response.append(prompt)
    response.redirect(step_url(inbox, "menu", attempt=str(attempt)), method="POST")
    return response


def menu(session: CallSession, inbound: InboundMessage, attempt: int) -> VoiceResponse:
    digits, speech = inbound.extra.get("digits", "").strip(), inbound.extra.get("speech", "").lower()
    entries = _menu(session.inbox)
    chosen = next((e for e in entries if digits and str(e["digit"]) == digits[:1]), None) or \
        next((e for e in entries if speech and _label(e, session.language).lower() in speech), None)
    if chosen is not None:
        calls.choose_menu_entry(session, chosen, _label(chosen, session.language))
        return after_menu(session)
    if speech and session.inbox.bot_enabled and answerer() is not None:
        return bot(session, inbound)  # they asked their question straight away: let the virtual agent try
    if attempt < MAX_RETRIES:
        return menu_prompt(session, attempt + 1)
    return after_menu(session)


def after_menu(session: CallSession) -> VoiceResponse:
    if session.inbox.bot_enabled and answerer() is not None:
        response = VoiceResponse()
        prompt = gather(session.inbox, "bot", session.language, timeout=8)
        speak(prompt, session.inbox, session.language,
              lambda: _("In a few words, how can we help you? You can also press 0 to speak with an agent."))
        response.append(prompt)
        response.redirect(step_url(session.inbox, "queue"), method="POST")
        return response
    return queue(session)


def answerer() -> Callable[[Conversation, str], str | None] | None:
    """The virtual agent's text entry point, if the bot app provides one."""
    try:
        return importlib.import_module("guichet.bot.api").answer_text
    except (ImportError, AttributeError):
        return None


def bot(session: CallSession, inbound: InboundMessage) -> VoiceResponse:
    text = (inbound.extra.get("speech") or inbound.extra.get("digits") or "").strip()
    if not text or text.lower() in AGENT_WORDS or session.bot_turns >= MAX_BOT_TURNS:
        return queue(session)
    _said, first_time = calls.caller_said(session, text, inbound.headers.get("Confidence", ""))
    answer_text = answerer()
    if answer_text is None:
        return queue(session)
    conversation = Conversation.objects.get(pk=session.conversation_id)
    turn = turn_key(session, text)
    outcome = warmup.ask_in_background(answer_key(session, turn), lambda: answer_text(conversation, text),
                                       float(getattr(settings, "GUICHET_VOICE_BOT_WAIT_S", BOT_WAIT_S)))
    if not outcome.done:  # the virtual agent is still thinking (e.g. its model is loading): hold, never block
        return hold(session, turn, holds=1)
    return spoken_answer(session, outcome.answer, store=first_time, turn=turn)


def turn_key(session: CallSession, text: str) -> str:
    return hashlib.sha256(f"{session.call_sid}|{text}".encode()).hexdigest()[:24]


def answer_key(session: CallSession, turn: str) -> str:
    return f"voice-answer:{session.call_sid}:{turn}"


def hold(session: CallSession, turn: str, holds: int) -> VoiceResponse:
    """ "One moment" and a short pause, then ask again (`botwait`): the webhook answers at once."""
    response = VoiceResponse()
    if holds == 1:
        speak(response, session.inbox, session.language, lambda: _("One moment, please."))
    response.pause(length=HOLD_PAUSE_S)
    response.redirect(step_url(session.inbox, "botwait", turn=turn, holds=str(holds)), method="POST")
    return response


def botwait(session: CallSession, turn: str, holds: int) -> VoiceResponse:
    """Back from a hold: the answer if it is ready, another hold, or an agent when it takes too long."""
    if not re.fullmatch(r"[0-9a-f]{24}", turn or ""):
        return queue(session)
    outcome = warmup.answer_for(answer_key(session, turn))
    if outcome is None or (not outcome.done and holds >= MAX_HOLDS):
        logger.info("voice.bot_gave_up sid=%s holds=%s", session.call_sid, holds)
        return queue(session)
    if not outcome.done:
        return hold(session, turn, holds + 1)
    # Stored once: a replayed botwait finds the bot message already there for this turn.
    already = session.conversation.messages.filter(metadata__turn=turn).exists()
    return spoken_answer(session, outcome.answer, store=not already, turn=turn)


def spoken_answer(session: CallSession, answer: str | None, *, store: bool, turn: str = "") -> VoiceResponse:
    if not answer:
        return queue(session)
    if store:
        calls.bot_spoke(session, answer, turn=turn)
    response = VoiceResponse()
    say(response, speakable(answer), session.language, session.inbox)
    follow = gather(session.inbox, "bot", session.language, timeout=8)
    speak(follow, session.inbox, session.language,
          lambda: _("You can ask another question, press 0 to speak with an agent, or hang up if you are done."))
    response.append(follow)
    response.redirect(step_url(session.inbox, "queue"), method="POST")
    return response


def queue(session: CallSession) -> VoiceResponse:
    calls.enqueue_call(session)
    response = VoiceResponse()
    speak(response, session.inbox, session.language, lambda: _("Please hold: we are connecting you to an agent."))
    return wait(session, response)


def estimated_wait_seconds(conversation: Conversation, position: int) -> int | None:
    """Routing's estimate when that app provides one (None when it cannot tell: nobody is working);
    otherwise 4 minutes per place in line divided among the available agents."""
    try:
        from guichet.routing.wait import UNKNOWN_WAIT_S, estimate_wait_seconds
    except ImportError:
        available = AgentProfile.objects.filter(teams__id=conversation.queue.team_id,
                                                presence=AgentProfile.Presence.AVAILABLE).distinct().count()
        return int(position * 240 / max(1, available))
    seconds = int(estimate_wait_seconds(conversation))
    return None if seconds >= UNKNOWN_WAIT_S else seconds


def wait(session: CallSession, response: VoiceResponse | None = None) -> VoiceResponse:
    from guichet.routing.actions import queue_position

    response = response or VoiceResponse()
    conversation = Conversation.objects.select_related("assignee", "queue").get(pk=session.conversation_id)
    session.conversation = conversation
    inbox, lang = session.inbox, session.language
    if conversation.status == Conversation.Status.ASSIGNED and conversation.assignee is not None:
        return dial(session, conversation.assignee, response)
    if conversation.status == Conversation.Status.RESOLVED:
        speak(response, inbox, lang, lambda: _("Your request is closed. Thank you for calling. Goodbye."))
        response.hangup()
        return response
    position = queue_position(conversation)
    seconds = estimated_wait_seconds(conversation, position)
    prompt = gather(inbox, "waitkey", lang, speech=False, timeout=WAIT_POLL_S)
    speak(prompt, inbox, lang, lambda: ngettext("You are number %(position)d in line.",
                                                "You are number %(position)d in line.", position)
          % {"position": position})
    if seconds is None:
        speak(prompt, inbox, lang, lambda: _("We cannot estimate the wait right now."))
    else:
        minutes = max(1, round(seconds / 60))
        speak(prompt, inbox, lang, lambda: ngettext("The estimated wait is about %(minutes)d minute.",
                                                    "The estimated wait is about %(minutes)d minutes.", minutes)
              % {"minutes": minutes})
    if session.from_number:  # a withheld number cannot be called back
        speak(prompt, inbox, lang, lambda: _("To be called back without losing your place, press %(digit)s.")
              % {"digit": CALLBACK_DIGIT})
    response.append(prompt)
    response.redirect(step_url(inbox, "wait"), method="POST")
    return response


def waitkey(session: CallSession, inbound: InboundMessage) -> VoiceResponse:
    if inbound.extra.get("digits", "").strip()[:1] != CALLBACK_DIGIT or not session.from_number:
        return wait(session)
    calls.request_callback(session)
    response = VoiceResponse()
    last_digits = session.from_number[-4:] if session.from_number else ""
    speak(response, session.inbox, session.language,
          lambda: _("We will call you back at the number ending in %(digits)s. You keep your place in line. "
                    "Goodbye.") % {"digits": " ".join(last_digits)})
    response.hangup()
    return response


def dial(session: CallSession, agent: AgentProfile, response: VoiceResponse) -> VoiceResponse:
    address = agent.voice_address.strip()
    if not address:
        # Assigned to someone without a phone: they call the citizen back instead of leaving them on hold.
        calls.agent_will_call_back(session)
        speak(response, session.inbox, session.language,
              lambda: _("An agent has your request and will call you back shortly. Goodbye."))
        response.hangup()
        return response
    calls.connect(session, address)
    speak(response, session.inbox, session.language, lambda: _("Connecting you to an agent now."))
    options = {"action": step_url(session.inbox, "dialdone"), "method": "POST", "timeout": 25}
    if (session.inbox.config or {}).get("record_calls"):
        options.update(record="record-from-answer-dual",
                       recording_status_callback=step_url(session.inbox, "recording"))
    dialer = response.dial(**options)
    if address.lower().startswith("sip:"):
        dialer.sip(address)
    else:
        dialer.number(address)
    return response


def dialdone(session: CallSession, inbound: InboundMessage) -> VoiceResponse:
    headers = inbound.headers
    response = VoiceResponse()
    if calls.dial_finished(session, headers.get("DialCallStatus", ""), headers.get("DialCallDuration", "")):
        speak(response, session.inbox, session.language, lambda: _("Thank you for calling. Goodbye."))
        response.hangup()
        return response
    speak(response, session.inbox, session.language,
          lambda: _("Sorry, that agent could not take your call. You keep your place in line."))
    return wait(session, response)


def status(session: CallSession, inbound: InboundMessage) -> VoiceResponse:
    headers = inbound.headers
    if headers.get("RecordingUrl"):
        calls.add_recording(session, headers["RecordingUrl"])
    if headers.get("CallStatus") in {"completed", "busy", "failed", "no-answer", "canceled"}:
        calls.end_call(session, headers["CallStatus"], headers.get("CallDuration", ""))
    return VoiceResponse()


def recording(session: CallSession, inbound: InboundMessage) -> VoiceResponse:
    calls.add_recording(session, inbound.headers.get("RecordingUrl", ""))
    return VoiceResponse()
