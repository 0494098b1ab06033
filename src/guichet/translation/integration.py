"""When a message needs a machine translation, and what happens when the provider fails.

- A citizen writes in a language the people handling the conversation (the assignee, or the queue's team)
  do not read: the text is translated into their language and kept in Message.translations[language] =
  {"text", "provider", "machine": True}.
- An agent replies: the reply is translated into the citizen's language, which the widget then shows
  (labelled as machine translated) — see conversations/payloads.public_message.
- The provider is down, slow or answers nonsense: the message is stored as written, marked
  {"error": "unavailable"}, and after commit the conversation goes to an agent who reads the language if
  one exists, otherwise the desk gets a private notice. Nothing is silently dropped.

Translation runs before the caller's transaction (a slow provider never holds row locks) and is bounded by
the provider's timeout.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.agents.models import AgentProfile
from guichet.conversations.models import Conversation, Message
from guichet.translation.detect import written_language
from guichet.translation.providers import TranslationFailed, get_translator, translate

logger = logging.getLogger("guichet.translation")

CITIZEN_LANGUAGE_KEY = "citizen_language"


@dataclass
class CitizenTranslation:
    """What `translate_citizen_message` decided: the written language and the translations to store."""

    language: str
    translations: dict[str, Any] = field(default_factory=dict)
    failed: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.translations)


def base_language(code: str) -> str:
    return (code or "").split("-")[0].lower()


def agent_language(agent: AgentProfile) -> str:
    """The language an agent reads best: the interface language when they serve in it."""
    languages = [base_language(code) for code in agent.languages or []]
    ui_language = base_language(agent.ui_language)
    if ui_language in languages or not languages:
        return ui_language or "en"
    return languages[0]


def readers(conversation: Conversation) -> tuple[set[str], str | None]:
    """(languages read by whoever handles the conversation, the language to translate into).

    Reads the assignee again: callers often hold an instance loaded before the last assignment.
    """
    conversation = Conversation.objects.select_related("assignee", "queue").get(pk=conversation.pk)
    if conversation.assignee_id:
        agent = conversation.assignee
        assert agent is not None
        return {base_language(code) for code in agent.languages or []} | {base_language(agent.ui_language)}, \
            agent_language(agent)
    members = AgentProfile.objects.filter(teams=conversation.queue.team_id).only("languages", "ui_language")
    counts: Counter[str] = Counter(agent_language(member) for member in members)
    read = {base_language(code) for member in members for code in member.languages or []}
    return read, (counts.most_common(1)[0][0] if counts else None)


def citizen_language(conversation: Conversation, *, fresh: bool = False) -> str:
    """The language the citizen writes in: detected from their messages, else the language of record.

    `fresh` reads the row again: callers often hold an instance loaded before the citizen last wrote.
    """
    context, language = conversation.handoff_context, conversation.language
    if fresh:
        context, language = Conversation.objects.values_list("handoff_context", "language").get(pk=conversation.pk)
    return (context or {}).get(CITIZEN_LANGUAGE_KEY) or language


def translate_citizen_message(conversation: Conversation, text: str, recorded_language: str) -> CitizenTranslation:
    translator = get_translator()
    if not translator.translates:
        return CitizenTranslation(recorded_language)
    source = written_language(text, recorded_language)
    read, target = readers(conversation)
    if target is None or source in read:
        return CitizenTranslation(source)
    try:
        result = translate(text, source, target, translator)
    except TranslationFailed as exc:
        logger.warning("translation.failed ref=%s source=%s target=%s error=%s", conversation.reference, source,
                       target, exc)
        return CitizenTranslation(source, {target: {"text": "", "provider": translator.name, "machine": True,
                                                    "error": "unavailable"}}, failed=True)
    return CitizenTranslation(source, {target: {"text": result.text, "provider": result.provider,
                                                "machine": True}})


def translate_agent_reply(conversation: Conversation, agent: AgentProfile, text: str) -> dict[str, Any]:
    """Translations to store with an agent's reply (empty when the citizen reads the agent's language)."""
    translator = get_translator()
    if not translator.translates:
        return {}
    target = citizen_language(conversation, fresh=True)
    source = written_language(text, agent_language(agent))
    if source == target:
        return {}
    try:
        result = translate(text, source, target, translator)
    except TranslationFailed as exc:
        logger.warning("translation.reply_failed ref=%s source=%s target=%s error=%s", conversation.reference,
                       source, target, exc)
        return {target: {"text": "", "provider": translator.name, "machine": True, "error": "unavailable"}}
    return {target: {"text": result.text, "provider": result.provider, "machine": True}}


def after_citizen_message(conversation_id: int, message_id: int, outcome: CitizenTranslation) -> None:
    """After commit: remember the citizen's language; on failure, re-route or leave a notice for the desk."""
    if not (outcome.translated or outcome.failed):
        return
    remember_citizen_language(conversation_id, outcome.language)
    if outcome.failed:
        handle_untranslated(conversation_id, outcome.language)


def remember_citizen_language(conversation_id: int, language: str) -> None:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        context = conversation.handoff_context or {}
        if context.get(CITIZEN_LANGUAGE_KEY) != language:
            conversation.handoff_context = {**context, CITIZEN_LANGUAGE_KEY: language}
            conversation.save(update_fields=["handoff_context"])


def agents_reading(language: str) -> list[AgentProfile]:
    """Agents who serve in `language` (JSON lists: filtered in Python, portable across databases)."""
    candidates = AgentProfile.objects.exclude(presence=AgentProfile.Presence.OFFLINE).only("languages")
    return [agent for agent in candidates if language in {base_language(c) for c in agent.languages or []}]


def handle_untranslated(conversation_id: int, language: str) -> None:
    """The provider failed: send the conversation to someone who reads the language, or say so on the desk."""
    from guichet.conversations import actions

    conversation = Conversation.objects.select_related("queue", "inbox", "assignee").get(pk=conversation_id)
    read, target = readers(conversation)
    if language in read:
        return
    routable = conversation.status in {Conversation.Status.QUEUED, Conversation.Status.ASSIGNED}
    rerouted = routable and bool(agents_reading(language))
    if rerouted:
        Conversation.objects.filter(pk=conversation.pk).update(language=language)
        conversation.language = language
        actions.enqueue_conversation(conversation, keep_place=True, context={"translation_failed": language})
    with override(target or "en"):
        name = language_name(language)
        if rerouted:
            text = _("Machine translation is unavailable, so this conversation was sent to an agent who reads "
                     "%(language)s.") % {"language": name}
        else:
            text = _("Machine translation is unavailable: the citizen's message is shown as written "
                     "(%(language)s). Ask a colleague who reads it, or reply in plain language.") % {"language": name}
    actions.post_message(conversation, text, author_kind=Message.Author.SYSTEM, is_private=True,
                         language=target or "en", metadata={"translation_failed": language})
    logger.warning("translation.fallback ref=%s language=%s rerouted=%s", conversation.reference, language,
                   rerouted)


def language_name(code: str) -> str:
    """The language's name in the active language (Django knows names for its own languages)."""
    from django.utils.translation import get_language_info

    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code
