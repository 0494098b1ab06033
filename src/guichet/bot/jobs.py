"""Background work of the virtual agent and its lifecycle hooks."""

from __future__ import annotations

from guichet.bot.models import BotTurn
from guichet.conversations.models import Conversation
from guichet.core.jobs import job_handler


@job_handler("bot.reply")
def bot_reply(payload: dict) -> None:
    from guichet.bot.dialogue import safe_reply

    safe_reply(int(payload["conversation_id"]), int(payload["message_id"]))


def mark_abandoned(conversation: Conversation) -> None:
    """RESOLVE_HOOKS: a clarifying question the citizen never answered counts as abandoned."""
    last = BotTurn.objects.filter(conversation=conversation).first()
    if last is not None and last.outcome == BotTurn.Outcome.CLARIFIED:
        BotTurn.objects.filter(pk=last.pk).update(outcome=BotTurn.Outcome.ABANDONED)
