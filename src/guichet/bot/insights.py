"""Learning loop: questions the virtual agent handed off or that citizens rated poorly, grouped by topic.

Grouping is greedy over normalised word sets (Jaccard similarity of BotTurn.question_key): cheap, stable,
explainable to an editor ("these questions share these words"), and independent of the embedding model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from guichet.bot.models import BotTurn

SIMILARITY = 0.5
MAX_TURNS = 2000


@dataclass
class Cluster:
    words: set[str]
    questions: list[str] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)
    reasons: set[str] = field(default_factory=set)
    handed_off: int = 0
    poorly_rated: int = 0

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def example(self) -> str:
        return self.questions[0]

    @property
    def language(self) -> str:
        return sorted(self.languages)[0] if self.languages else "en"

    def distinct_examples(self, limit: int = 5) -> list[str]:
        return list(dict.fromkeys(self.questions))[:limit]


def _similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= SIMILARITY


def unanswered_turns(days: int = 30):  # type: ignore[no-untyped-def]
    since = timezone.now() - timedelta(days=days)
    problem = (Q(outcome=BotTurn.Outcome.HANDED_OFF) & ~Q(reason="requested_person")) | Q(feedback="no") \
        | Q(outcome=BotTurn.Outcome.ABANDONED)
    return BotTurn.objects.filter(problem, created_at__gte=since).exclude(question_key="")[:MAX_TURNS]


def cluster_turns(turns) -> list[Cluster]:  # type: ignore[no-untyped-def]
    clusters: list[Cluster] = []
    for turn in turns:
        words = set(turn.question_key.split())
        target = next((cluster for cluster in clusters if _similar(cluster.words, words)), None)
        if target is None:
            target = Cluster(words=words)
            clusters.append(target)
        target.questions.append(turn.question)
        target.languages.add(turn.language)
        target.reasons.add(turn.reason or turn.outcome)
        target.handed_off += turn.outcome == BotTurn.Outcome.HANDED_OFF
        target.poorly_rated += turn.feedback == "no"
    return sorted(clusters, key=lambda cluster: (-cluster.count, cluster.example))
