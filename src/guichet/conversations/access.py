"""Permission-scoped reads: agents see their teams' conversations, supervisors and admins see all.

Never load a conversation from a request by raw id; call `access_conversation(user, reference)`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from guichet.agents.models import AgentProfile
from guichet.conversations.models import Contact, Conversation


def agent_of(user) -> AgentProfile:  # type: ignore[no-untyped-def]
    agent = getattr(user, "agent", None) if getattr(user, "is_authenticated", False) else None
    if agent is None:
        raise PermissionDenied(_("An agent profile is required."))
    return agent


def conversations_for_agent(agent: AgentProfile) -> QuerySet[Conversation]:
    base = Conversation.objects.select_related("queue", "inbox", "contact", "assignee")
    if agent.sees_all_queues:
        return base
    team_ids = list(agent.teams.values_list("id", flat=True))
    return base.filter(Q(queue__team_id__in=team_ids) | Q(assignee=agent))


def access_conversation(user, reference: str, *, for_update: bool = False) -> Conversation:  # type: ignore[no-untyped-def]
    agent = agent_of(user)
    queryset = conversations_for_agent(agent)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    conversation = queryset.filter(reference=reference).first()
    if conversation is None:
        if Conversation.objects.filter(reference=reference).exists():
            raise PermissionDenied(_("This conversation belongs to another team."))
        raise Http404(_("No such conversation."))
    return conversation


def access_contact(user, contact_id: int) -> Contact:  # type: ignore[no-untyped-def]
    """A contact is visible to an agent who can see at least one of its conversations."""
    agent = agent_of(user)
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404(_("No such contact."))
    if not conversations_for_agent(agent).filter(contact=contact).exists():
        raise PermissionDenied(_("This contact is not in your teams' conversations."))
    return contact


def contact_conversations_for_citizen(contact_id: int, inbox_slug: str) -> QuerySet[Conversation]:
    """What a citizen token grants: exactly one contact's conversations in one inbox."""
    return Conversation.objects.filter(contact_id=contact_id, inbox__slug=inbox_slug)
