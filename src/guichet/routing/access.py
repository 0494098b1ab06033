"""Scoped reads for supervisors: the live picture of every queue and agent, and agents' callback tasks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.models import AgentProfile, Team
from guichet.conversations.models import Conversation
from guichet.routing.actions import agent_loads
from guichet.routing.models import AssignmentLog, CallbackRequest, Queue

PRESENCE_ORDER = ("available", "wrap_up", "away", "offline")


def can_supervise(agent: AgentProfile | None) -> bool:
    return agent is not None and agent.sees_all_queues


def start_of_today(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


@dataclass
class QueueRow:
    queue: Queue
    waiting: int
    longest_wait_s: int | None
    callbacks_waiting: int
    answered_in_target: int
    offered: int
    presence: Counter = field(default_factory=Counter)

    @property
    def presence_cells(self) -> list[tuple[str, int]]:
        return [(code, self.presence.get(code, 0)) for code in PRESENCE_ORDER]

    @property
    def longest_wait_text(self) -> str:
        if self.longest_wait_s is None:
            return "—"
        minutes, seconds = divmod(self.longest_wait_s, 60)
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": seconds}

    @property
    def service_level(self) -> float | None:
        return self.answered_in_target / self.offered if self.offered else None

    @property
    def service_level_percent(self) -> int | None:
        level = self.service_level
        return None if level is None else round(level * 100)


def queue_rows(now: datetime | None = None) -> list[QueueRow]:
    """Per queue: waiting now, longest wait, service level today (answered within target / offered)."""
    now = now or timezone.now()
    today = start_of_today(now)
    queues = list(Queue.objects.select_related("team").order_by("slug"))
    waiting = {row["queue_id"]: row for row in Conversation.objects.filter(status=Conversation.Status.QUEUED)
               .values("queue_id").annotate(oldest=Min("queued_at")).order_by()}
    waiting_counts = Counter(Conversation.objects.filter(status=Conversation.Status.QUEUED)
                             .values_list("queue_id", flat=True))
    callbacks = Counter(CallbackRequest.objects.filter(status=CallbackRequest.Status.PENDING)
                        .values_list("queue_id", flat=True))
    logs = list(AssignmentLog.objects.filter(assigned_at__gte=today).values_list("queue_id", "waited_s"))
    abandoned = Counter(Conversation.objects.filter(
        resolved_at__gte=today, assigned_at__isnull=True, queued_at__isnull=False,
        status=Conversation.Status.RESOLVED).values_list("queue_id", flat=True))
    presence_by_team: dict[int, Counter] = {}
    for team_id, presence in AgentProfile.teams.through.objects.values_list("team_id", "agentprofile__presence"):
        presence_by_team.setdefault(team_id, Counter())[presence] += 1
    rows = []
    for queue in queues:
        oldest = waiting.get(queue.pk, {}).get("oldest")
        answered = [waited for queue_id, waited in logs if queue_id == queue.pk]
        rows.append(QueueRow(
            queue=queue, waiting=waiting_counts.get(queue.pk, 0),
            longest_wait_s=int((now - oldest).total_seconds()) if oldest else None,
            callbacks_waiting=callbacks.get(queue.pk, 0),
            answered_in_target=sum(1 for waited in answered if waited <= queue.service_level_target_s),
            offered=len(answered) + abandoned.get(queue.pk, 0),
            presence=presence_by_team.get(queue.team_id, Counter()),
        ))
    return rows


@dataclass
class AgentRow:
    agent: AgentProfile
    team_ids: set[int]
    load: dict[str, int]


def agent_rows() -> list[AgentRow]:
    agents = list(AgentProfile.objects.filter(user__is_active=True).prefetch_related("teams")
                  .order_by("display_name"))
    loads = agent_loads(agent.pk for agent in agents)
    return [AgentRow(agent, {team.pk for team in agent.teams.all()}, loads[agent.pk]) for agent in agents]


def all_teams() -> list[Team]:
    return list(Team.objects.order_by("slug"))


def find_agent(agent_id: int) -> AgentProfile | None:
    return AgentProfile.objects.filter(pk=agent_id, user__is_active=True).first()


def callbacks_for_agent(agent: AgentProfile):  # type: ignore[no-untyped-def]
    """The agent's callback tasks: assigned to them and not finished, oldest place in line first."""
    return (CallbackRequest.objects.filter(assignee=agent, status=CallbackRequest.Status.ASSIGNED)
            .select_related("conversation", "queue").order_by("queued_at", "pk"))


def open_callbacks_by_conversation(conversations) -> dict[int, CallbackRequest]:  # type: ignore[no-untyped-def]
    """Open callbacks of many conversations in one query (desk lists): conversation id -> callback."""
    ids = [conversation.pk for conversation in conversations]
    found = CallbackRequest.objects.filter(conversation_id__in=ids, status__in=[
        CallbackRequest.Status.PENDING, CallbackRequest.Status.ASSIGNED])
    return {callback.conversation_id: callback for callback in found}


def callback_for_conversation(conversation: Conversation) -> CallbackRequest | None:
    """The open callback of a conversation (for the desk list: show the number to call)."""
    return (CallbackRequest.objects.filter(conversation=conversation,
                                           status__in=[CallbackRequest.Status.PENDING,
                                                       CallbackRequest.Status.ASSIGNED]).first())
