"""Demo history: weeks of realistic resolved conversations so reports and forecasts have something to show.

Written straight to the database in bulk (history, not live traffic: no events, no routing, no surveys) and
then rolled up. Idempotent: nothing happens when demo history is already there. Deterministic for a given
`seed` and end day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from guichet.agents.models import AgentProfile
from guichet.analytics.rollup import rollup
from guichet.conversations.models import Contact, Conversation, Inbox, Message

REFERENCE_PREFIX = "DEMO-"
BATCH = 1000
# Monday .. Sunday: busy Mondays, quiet weekends.
WEEKDAY_FACTOR = (1.25, 1.1, 1.0, 1.0, 0.9, 0.35, 0.25)
# A benefits deadline two to three weeks ago: web and phone traffic triples for a few days.
SURGE_DAYS_AGO = range(15, 19)
SURGE_FACTOR = 2.6


@dataclass(frozen=True)
class InboxPlan:
    slug: str
    per_day: float  # contacts on an average weekday
    wait_mean_s: float  # mean wait for an agent on an ordinary day
    handle_mean_s: float
    abandon_rate: float
    containment: float  # share the virtual agent resolves alone (bot inboxes only)
    rating_rate: float  # share of citizens who answer the survey
    surge: bool


PLANS = (
    InboxPlan("demo-web", 60, 40, 420, 0.05, 0.42, 0.5, True),
    InboxPlan("benefits-web", 28, 70, 540, 0.07, 0.0, 0.45, True),
    InboxPlan("demo-email", 16, 3 * 3600, 900, 0.01, 0.0, 0.3, False),
    InboxPlan("demo-sms", 10, 180, 600, 0.03, 0.35, 0.35, False),
    InboxPlan("demo-voice", 30, 25, 300, 0.08, 0.25, 0.0, True),
)

QUESTIONS = {
    "en": ["When will my benefit payment arrive?", "How do I change my address?", "Where is my application?",
           "Can I get a paper form mailed to me?", "Why was my payment reduced?", "How do I appeal a decision?"],
    "fr": ["Quand vais-je recevoir mon paiement?", "Comment changer mon adresse?", "Où en est ma demande?",
           "Puis-je recevoir un formulaire papier?", "Pourquoi mon paiement a-t-il baissé?",
           "Comment contester une décision?"],
}
BOT_ANSWER = {"en": "Here is what I found in our official answers.", "fr": "Voici ce que j'ai trouvé dans nos "
              "réponses officielles."}
AGENT_ANSWER = {"en": "Thank you for your patience. I can help with that.",
                "fr": "Merci de votre patience. Je peux vous aider."}


def already_loaded() -> bool:
    return Conversation.objects.filter(reference__startswith=REFERENCE_PREFIX).exists()


def intraday_weights() -> np.ndarray:
    """Arrivals per minute of the day: 07:00-21:00 with a morning and an early-afternoon peak."""
    minutes = np.arange(24 * 60)
    hours = minutes / 60
    weights = np.exp(-((hours - 10.5) ** 2) / 3.0) + 0.8 * np.exp(-((hours - 14.5) ** 2) / 4.0)
    weights[(hours < 7) | (hours >= 21)] = 0.0
    return weights / weights.sum()


def load_demo_history(days: int = 60, *, seed: int = 2026, end: date | None = None) -> str:
    """Create `days` days of resolved demo conversations ending yesterday and roll up the aggregates."""
    if already_loaded():
        return "already loaded"
    inboxes = {inbox.slug: inbox for inbox in Inbox.objects.select_related("default_queue")
               .filter(slug__in=[plan.slug for plan in PLANS])}
    if not inboxes:
        return "no demo inboxes (run seed_demo first)"
    end = end or timezone.localdate()
    first_day = end - timedelta(days=days)
    rng = np.random.default_rng(seed)
    builder = _Builder(rng, inboxes)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for plan in PLANS:
            if plan.slug in inboxes:
                builder.day(plan, day, days_ago=(end - day).days)
    with transaction.atomic():
        builder.save()
        rollup(first_day)
    return f"{len(builder.conversations)} conversations over {days} days"


class _Builder:
    def __init__(self, rng: np.random.Generator, inboxes: dict[str, Inbox]):
        self.rng = rng
        self.inboxes = inboxes
        self.minute_weights = intraday_weights()
        self.tz = timezone.get_default_timezone()
        self.agents = {team_id: list(AgentProfile.objects.filter(teams=team_id).values_list("pk", flat=True))
                       for team_id in {inbox.default_queue.team_id for inbox in inboxes.values()}}
        self.contacts: list[Contact] = []
        self.conversations: list[Conversation] = []
        self.contact_index: list[int] = []  # conversation i -> index in self.contacts
        self.scripts: list[tuple[bool, bool, str]] = []  # (bot, handled, question) per conversation

    def day(self, plan: InboxPlan, day: date, days_ago: int) -> None:
        surge = SURGE_FACTOR if plan.surge and days_ago in SURGE_DAYS_AGO else 1.0
        trend = 1 + 0.004 * max(0, 60 - days_ago)  # gentle growth over the last two months
        count = int(self.rng.poisson(plan.per_day * WEEKDAY_FACTOR[day.weekday()] * surge * trend))
        minutes = np.sort(self.rng.choice(24 * 60, size=count, p=self.minute_weights))
        midnight = timezone.make_aware(datetime.combine(day, time.min), self.tz)
        for minute in minutes:
            start = midnight + timedelta(minutes=int(minute), seconds=int(self.rng.integers(60)))
            self.conversation(plan, start, surge)

    def conversation(self, plan: InboxPlan, start: datetime, surge: float) -> None:
        rng, inbox = self.rng, self.inboxes[plan.slug]
        language = "fr" if rng.random() < 0.35 else "en"
        self.contact_index.append(self._contact(language))
        bot = inbox.bot_enabled and plan.containment > 0
        contained = bot and rng.random() < plan.containment
        queued_at = assigned_at = first_response_at = None
        if contained:
            resolved_at = start + timedelta(seconds=float(rng.uniform(60, 360)))
        else:
            queued_at = start + timedelta(seconds=float(rng.uniform(30, 150))) if bot else start
            wait = float(rng.exponential(plan.wait_mean_s * (4.0 if surge > 1 else 1.0)))
            abandon = plan.abandon_rate * (2.5 if surge > 1 else 1.0) * min(2.0, 0.5 + wait / plan.wait_mean_s / 2)
            if rng.random() < abandon:
                resolved_at = queued_at + timedelta(seconds=float(rng.exponential(max(60.0, wait))))
            else:
                assigned_at = queued_at + timedelta(seconds=wait)
                first_response_at = assigned_at + timedelta(seconds=float(rng.uniform(15, 90)))
                handle = float(rng.lognormal(math.log(plan.handle_mean_s) - 0.18, 0.6))
                resolved_at = assigned_at + timedelta(seconds=max(60.0, handle))
        satisfaction = None
        if (assigned_at or contained) and rng.random() < plan.rating_rate:
            long_wait = assigned_at is not None and queued_at is not None and \
                (assigned_at - queued_at).total_seconds() > 3 * plan.wait_mean_s
            odds = [0.12, 0.15, 0.23, 0.3, 0.2] if long_wait or contained else [0.03, 0.05, 0.12, 0.35, 0.45]
            satisfaction = int(rng.choice(5, p=odds)) + 1
        team_agents: list[int | None] = [*self.agents.get(inbox.default_queue.team_id, [])] or [None]
        assignee = team_agents[int(rng.integers(len(team_agents)))] if assigned_at else None
        question = QUESTIONS[language][int(rng.integers(len(QUESTIONS[language])))]
        number = len(self.conversations) + 1
        self.conversations.append(Conversation(
            reference=f"{REFERENCE_PREFIX}{number:07d}", inbox=inbox, queue=inbox.default_queue,
            status=Conversation.Status.RESOLVED, language=language, priority=inbox.default_queue.default_priority,
            assignee_id=assignee, created_at=start, updated_at=resolved_at, queued_at=queued_at,
            assigned_at=assigned_at, first_response_at=first_response_at, resolved_at=resolved_at,
            satisfaction=satisfaction, subject=question[:300]))
        self.scripts.append((bot, assigned_at is not None, question))

    def _contact(self, language: str) -> int:
        # One citizen in six comes back within the week (repeat contacts, first-contact resolution).
        if self.contacts and self.rng.random() < 0.16:
            recent = self.contact_index[-min(len(self.contact_index), 400):]
            return recent[int(self.rng.integers(len(recent)))]
        self.contacts.append(Contact(preferred_language=language))
        return len(self.contacts) - 1

    def save(self) -> None:
        Contact.objects.bulk_create(self.contacts, batch_size=BATCH)
        for conversation, index in zip(self.conversations, self.contact_index, strict=True):
            conversation.contact_id = self.contacts[index].pk
        Conversation.objects.bulk_create(self.conversations, batch_size=BATCH)
        messages, turns = [], []
        for conversation, (bot, handled, question) in zip(self.conversations, self.scripts, strict=True):
            messages += self._messages(conversation, bot, handled, question)
            if bot:
                turns.append(self._turn(conversation, handled, question))
        Message.objects.bulk_create(messages, batch_size=BATCH)
        seqs = {}
        for message in messages:
            seqs[message.conversation_id] = message.seq
        for conversation in self.conversations:
            conversation.last_seq = seqs.get(conversation.pk, 0)
        Conversation.objects.bulk_update(self.conversations, ["last_seq"], batch_size=BATCH)
        _save_turns(turns)

    def _messages(self, conversation: Conversation, bot: bool, handled: bool, question: str) -> list[Message]:
        language, start = conversation.language, conversation.created_at
        channel = conversation.inbox.channel
        rows = [Message(conversation=conversation, seq=1, author_kind=Message.Author.CONTACT, body=question,
                        language=language, channel=channel, created_at=start)]
        if bot:
            rows.append(Message(conversation=conversation, seq=2, author_kind=Message.Author.BOT,
                                body=BOT_ANSWER[language], language=language, channel=channel,
                                created_at=start + timedelta(seconds=2)))
        if handled:
            rows.append(Message(conversation=conversation, seq=len(rows) + 1, author_kind=Message.Author.AGENT,
                                author_agent_id=conversation.assignee_id, body=AGENT_ANSWER[language],
                                language=language, channel=channel,
                                created_at=conversation.first_response_at or start))
        return rows

    @staticmethod
    def _turn(conversation: Conversation, handled: bool, question: str) -> dict:
        handed_off = conversation.queued_at is not None
        return {"conversation": conversation, "question": question, "language": conversation.language,
                "outcome": "handed_off" if handed_off else "answered", "channel": conversation.inbox.channel,
                "created_at": conversation.created_at, "question_key": _question_key(question),
                "reason": "low_confidence" if handed_off else ""}


def _question_key(question: str) -> str:
    return " ".join("".join(c for c in question.lower() if c.isalnum() or c.isspace()).split())[:300]


def _save_turns(turns: list[dict]) -> None:
    try:
        from guichet.bot.models import BotTurn
    except ImportError:  # the bot app is optional
        return
    BotTurn.objects.bulk_create([BotTurn(**turn) for turn in turns], batch_size=BATCH)
