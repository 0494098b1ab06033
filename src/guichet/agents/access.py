"""Scoped reads for the agent desk: what lists an agent sees, built on conversations.access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from guichet.agents.models import AgentProfile, Team
from guichet.conversations.access import conversations_for_agent
from guichet.conversations.models import Contact, Conversation, Inbox, Message

LIST_LIMIT = 100
EXCERPT_CHARS = 90


def _with_last_message(queryset: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Annotate the last public message (body, author, time) without loading transcripts."""
    last = Message.objects.filter(conversation=OuterRef("pk"), is_private=False).order_by("-seq")
    return queryset.annotate(
        last_body=Subquery(last.values("body")[:1]),
        last_author=Subquery(last.values("author_kind")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
    )


def my_conversations(agent: AgentProfile) -> QuerySet[Conversation]:
    open_statuses = [Conversation.Status.ASSIGNED, Conversation.Status.PENDING]
    queryset = conversations_for_agent(agent).filter(assignee=agent, status__in=open_statuses)
    return _with_last_message(queryset).order_by("-updated_at")[:LIST_LIMIT]


def waiting_conversations(agent: AgentProfile) -> QuerySet[Conversation]:
    """Queued in the agent's teams' queues (supervisors and admins: every queue), oldest first by priority."""
    queryset = conversations_for_agent(agent).filter(status=Conversation.Status.QUEUED)
    return _with_last_message(queryset).order_by("priority", "queued_at", "id")[:LIST_LIMIT]


def bot_conversations(agent: AgentProfile) -> QuerySet[Conversation]:
    """Still with the virtual agent: an agent may take over (hybrid mode)."""
    queryset = conversations_for_agent(agent).filter(status=Conversation.Status.BOT)
    return _with_last_message(queryset).order_by("-updated_at")[:LIST_LIMIT]


DESK_LISTS = {"mine": my_conversations, "waiting": waiting_conversations, "bot": bot_conversations}


def waiting_since(conversation: Conversation) -> datetime | None:
    """Since when the citizen has been waiting for someone, or None when nobody owes them an answer."""
    if conversation.status == Conversation.Status.QUEUED:
        return conversation.queued_at or conversation.created_at
    if conversation.status == Conversation.Status.BOT:
        return conversation.created_at
    last_author = getattr(conversation, "last_author", None)
    if conversation.status == Conversation.Status.ASSIGNED and last_author == Message.Author.CONTACT:
        return getattr(conversation, "last_at", None)
    return None


def transcript(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("author_agent").order_by("seq")


def earlier_conversations(agent: AgentProfile, conversation: Conversation) -> QuerySet[Conversation]:
    """The same citizen's other conversations, limited to those this agent may open."""
    return (conversations_for_agent(agent).filter(contact=conversation.contact)
            .exclude(pk=conversation.pk).order_by("-created_at")[:20])


def contact_identities(contact: Contact):  # type: ignore[no-untyped-def]
    # Web-session identities are opaque browser ids: nothing an agent can use, so they are not shown.
    return contact.identities.exclude(kind="web").order_by("kind", "value")


@dataclass
class TransferTargets:
    teams: list[Team]
    agents: list[AgentProfile]


def transfer_targets(agent: AgentProfile) -> TransferTargets:
    """Teams with a queue, and other active agents (availability is checked when the transfer is made)."""
    teams = list(Team.objects.filter(queues__isnull=False).distinct().order_by("slug"))
    agents = list(AgentProfile.objects.filter(user__is_active=True).exclude(pk=agent.pk)
                  .order_by("display_name"))
    return TransferTargets(teams=teams, agents=agents)


def find_transfer_team(slug: str) -> Team | None:
    return Team.objects.filter(slug=slug, queues__isnull=False).distinct().first()


def find_transfer_agent(agent: AgentProfile, agent_id: str) -> AgentProfile | None:
    if not agent_id.isdigit():
        return None
    return AgentProfile.objects.filter(pk=int(agent_id), user__is_active=True).exclude(pk=agent.pk).first()


# --- "reply via" ---------------------------------------------------------------------------------------


@dataclass
class ReplyChoice:
    """One entry of the desk's "Reply via" list: `value` is an inbox slug; `conversation` is where it lands
    (None: a new conversation is started on that channel)."""

    value: str
    inbox: Inbox
    conversation: Conversation | None
    is_current: bool = False
    selected: bool = False


def reply_choices(agent: AgentProfile, conversation: Conversation) -> list[ReplyChoice]:
    """This conversation first, then every other channel omnichannel can reach the citizen on; the channel
    the citizen used last is selected (a caller's last channel is the phone, which cannot carry text: SMS).
    Only channels whose conversation the agent may see are offered (omnichannel.reply_options with `agent`)."""
    from guichet.omnichannel.actions import reply_options

    choices = [ReplyChoice(conversation.inbox.slug, conversation.inbox, conversation, is_current=True)]
    for option in reply_options(conversation.contact, agent):
        if option.inbox.pk != conversation.inbox_id:
            choices.append(ReplyChoice(option.value, option.inbox, option.conversation))
    preferred = _last_used_inbox(conversation.contact)
    chosen = next((c for c in choices if preferred is not None and c.inbox.pk == preferred.pk), None)
    if chosen is None and preferred is not None and preferred.channel == "voice":
        chosen = next((c for c in choices if c.inbox.channel == "sms"), None)
    (chosen or choices[0]).selected = True
    return choices


def _last_used_inbox(contact: Contact) -> Inbox | None:
    last = (Message.objects.filter(conversation__contact=contact, author_kind=Message.Author.CONTACT)
            .select_related("conversation__inbox").order_by("-created_at", "-id").first())
    return last.conversation.inbox if last is not None else None
