"""The citizen's wait: place in line, estimated wait, callback offer, and the events that keep them current.

Estimate = the engine's `estimate_wait(position, agents_staffed, mean_handle_s, abandon_rate, concurrency)`
fed with the recent past of the queue:

- mean handle time: resolved conversations' assigned -> resolved over the last `GUICHET_WAIT_HISTORY_H`
  hours (default 4), `DEFAULT_HANDLE_S` when there is no history yet;
- abandonment: of the conversations that left the line in that window, the share resolved without ever
  reaching an agent;
- agents staffed: members of the queue's team who are available or in wrap-up;
- concurrency: their mean capacity for the channel (3 chats at once, one call).

`queue.position_changed` events go to each waiting citizen's widget group after commit, computed in one batch
per queue change, and only to the citizens whose place or estimate differs from what they were last sent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from guichet.agents.models import AgentProfile
from guichet.conversations.models import ROUTING_CHANNEL, Conversation
from guichet.realtime import events
from guichet.routing import engine
from guichet.routing.models import CallbackRequest, Queue

DEFAULT_HANDLE_S = 300.0
# What a citizen is told when nobody is staffed: the estimate is unknown, shown as "more than" this.
UNKNOWN_WAIT_S = 4 * 3600


@dataclass(frozen=True)
class QueueStats:
    mean_handle_s: float
    abandon_rate: float
    staffed: int
    concurrency: dict[str, float]


def history_hours() -> float:
    return float(getattr(settings, "GUICHET_WAIT_HISTORY_H", 4))


def queue_stats(queue: Queue) -> QueueStats:
    since = timezone.now() - timedelta(hours=history_hours())
    handled = Conversation.objects.filter(queue=queue, resolved_at__gte=since, assigned_at__isnull=False,
                                          status=Conversation.Status.RESOLVED).values_list("assigned_at",
                                                                                           "resolved_at")
    durations = [(resolved - assigned).total_seconds() for assigned, resolved in handled if resolved >= assigned]
    mean_handle = sum(durations) / len(durations) if durations else DEFAULT_HANDLE_S
    abandoned = Conversation.objects.filter(queue=queue, resolved_at__gte=since, assigned_at__isnull=True,
                                            queued_at__isnull=False, status=Conversation.Status.RESOLVED).count()
    left = len(durations) + abandoned
    staffed = [capacity for _pk, capacity in AgentProfile.objects.filter(
        teams__id=queue.team_id,
        presence__in=[AgentProfile.Presence.AVAILABLE, AgentProfile.Presence.WRAP_UP])
        .values_list("pk", "capacity").distinct()]
    concurrency: dict[str, float] = {}
    for channel in engine.CHANNELS:
        slots = [capacity_for(cap or {}, channel) for cap in staffed]
        serving = [slot for slot in slots if slot > 0]
        concurrency[channel] = sum(serving) / len(serving) if serving else 1.0
    return QueueStats(max(1.0, mean_handle), abandoned / left if left else 0.0, len(staffed), concurrency)


def capacity_for(capacity: dict[str, int], channel: str) -> int:
    # As in the engine: a callback is an outbound call and uses the voice capacity unless it has its own.
    if channel == "callback":
        return int(capacity.get("callback", capacity.get("voice", 0)))
    return int(capacity.get(channel, 0))


def _line_key(conversation: Conversation) -> tuple[str, str]:
    return ROUTING_CHANNEL.get(conversation.inbox.channel, "chat"), conversation.language


def position_in_line(conversation: Conversation) -> int:
    """1 + waiting conversations of the same queue, channel and language served before this one."""
    channel = conversation.inbox.channel
    queued_at = conversation.queued_at or timezone.now()
    ahead = Conversation.objects.filter(queue_id=conversation.queue_id, status=Conversation.Status.QUEUED,
                                        inbox__channel=channel, language=conversation.language).filter(
        Q(priority__lt=conversation.priority)
        | Q(priority=conversation.priority, queued_at__lt=queued_at)
        | Q(priority=conversation.priority, queued_at=queued_at, id__lt=conversation.pk)
    )
    return ahead.exclude(pk=conversation.pk).count() + 1


def estimate_for(position: int, channel: str, stats: QueueStats) -> float:
    return engine.estimate_wait(position, stats.staffed, stats.mean_handle_s, stats.abandon_rate,
                                stats.concurrency.get(channel, 1.0))


def estimate_wait_seconds(conversation: Conversation) -> int:
    """Seconds before this waiting conversation reaches an agent (capped at UNKNOWN_WAIT_S if nobody works)."""
    stats = queue_stats(conversation.queue)
    channel = ROUTING_CHANNEL.get(conversation.inbox.channel, "chat")
    seconds = estimate_for(position_in_line(conversation), channel, stats)
    return UNKNOWN_WAIT_S if math.isinf(seconds) else int(round(min(seconds, UNKNOWN_WAIT_S)))


def position_payloads(queue: Queue) -> list[tuple[Conversation, dict[str, Any]]]:
    """For every waiting conversation of the queue: the data of its `queue.position_changed` event."""
    waiting = list(Conversation.objects.filter(queue=queue, status=Conversation.Status.QUEUED)
                   .select_related("inbox").order_by("priority", "queued_at", "id"))
    if not waiting:
        return []
    stats = queue_stats(queue)
    with_callback = set(CallbackRequest.objects.filter(
        conversation__in=waiting, status__in=[CallbackRequest.Status.PENDING, CallbackRequest.Status.ASSIGNED])
        .values_list("conversation_id", flat=True))
    seen_per_line: dict[tuple[str, str], int] = {}
    payloads = []
    for conversation in waiting:
        line = _line_key(conversation)
        position = seen_per_line[line] = seen_per_line.get(line, 0) + 1
        seconds = estimate_for(position, line[0], stats)
        unknown = math.isinf(seconds)
        payloads.append((conversation, {
            "reference": conversation.reference,
            "position": position,
            "estimated_wait_s": None if unknown else int(round(seconds)),
            "callback_offered": conversation.pk not in with_callback and (
                unknown or seconds > queue.callback_offer_after_s),
            "callback_requested": conversation.pk in with_callback,
        }))
    return payloads


def _published_key(data: dict[str, Any]) -> str:
    return f"{data['position']}:{data['estimated_wait_s']}:{data['callback_offered']}:{data['callback_requested']}"


def publish_positions(queue_ids: Iterable[int], *, force: bool = False) -> int:
    """Tell each waiting citizen of these queues their place and estimate, when it changed.

    One batch per queue. The last payload sent to each citizen is remembered (in the cache, shared by all
    processes at scale), and only citizens whose place, estimate or callback offer differ hear again: a
    newcomer at the end of a line of a thousand sends one event, not a thousand (a widget that (re)joins
    asks for its place itself, see `widget_position_request`). `force` re-sends to everyone. Returns the
    number of events published.
    """
    published = 0
    for queue in Queue.objects.filter(pk__in=list(queue_ids)):
        payloads = position_payloads(queue)
        key = f"routing:positions:{queue.pk}"
        previous: dict[str, str] = {} if force else (cache.get(key) or {})
        current = {data["reference"]: _published_key(data) for _conversation, data in payloads}
        cache.set(key, current, 3600)
        for conversation, data in payloads:
            if previous.get(data["reference"]) == current[data["reference"]]:
                continue
            events.publish("queue.position_changed", [events.group_for_widget(conversation.pk)], data)
            published += 1
    return published


def publish_position_of(conversation: Conversation) -> None:
    """Send one citizen their current place (e.g. when their widget reconnects or asks)."""
    for candidate, data in position_payloads(conversation.queue):
        if candidate.pk == conversation.pk:
            events.publish("queue.position_changed", [events.group_for_widget(conversation.pk)], data)


def widget_position_request(conversation: Conversation, grant: Any, value: Any) -> None:
    """ACTION_HANDLERS["queue.position"]: the widget asks for its current place (after joining its group)."""
    if conversation.status == Conversation.Status.QUEUED:
        publish_position_of(conversation)
