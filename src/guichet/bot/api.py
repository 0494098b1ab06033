"""Short answers for channels without buttons or formatting (SMS, voice).

    answer_text(conversation, text) -> str | None

Returns a plain answer (cut to fit one or two SMS) followed by the source link, in the conversation's
language, or None when the virtual agent is not confident: the caller then hands off to a person.
The turn is recorded for the learning loop either way.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.bot import actions
from guichet.bot.dialogue import MAX_QUERY_CHARS, candidate_rows, has_words, thresholds, wants_person
from guichet.bot.models import BotTurn
from guichet.bot.nlp.retrieval import decide
from guichet.conversations.models import Conversation
from guichet.knowledge.index import get_live_index
from guichet.knowledge.models import Article
from guichet.knowledge.rendering import render_plain, shorten

SHORT_ANSWER_CHARS = 280


def answer_text(conversation: Conversation, text: str) -> str | None:
    language = conversation.language
    if not isinstance(text, str) or not has_words(text) or wants_person(text):
        return None
    candidates = get_live_index().search(text[:MAX_QUERY_CHARS], language, k=3)
    decision = decide(candidates, thresholds())
    rows = candidate_rows(decision.candidates or candidates, language)
    if decision.kind != "answer" or conversation.inbox.bot_answers_need_approval:
        # Approval mode: no answer goes out unchecked; the caller hands the person to an agent.
        reason = decision.reason if decision.kind != "answer" else "awaiting_approval"
        actions.record_turn(conversation, text, language=language, outcome=BotTurn.Outcome.HANDED_OFF,
                            candidates=rows, reason=reason)
        return None
    best = decision.candidates[0]
    article = Article.objects.filter(pk=int(best.article_id)).first()
    if article is None or not article.is_live():
        return None
    version = article.version(language) or article.version(article.languages[0]) or {}
    actions.record_turn(conversation, text, language=language, outcome=BotTurn.Outcome.ANSWERED,
                        candidates=rows, reason=decision.reason, article_id=best.article_id)
    body = shorten(render_plain(version.get("answer") or version.get("title", "")), SHORT_ANSWER_CHARS)
    if not version.get("source_url"):
        return body
    with override(language):
        return _("%(answer)s More: %(url)s") % {"answer": body, "url": version["source_url"]}
