"""Learning loop: questions the virtual agent handed off or that citizens rated poorly, grouped by topic;
and the wordings citizens confirmed by choosing an article the bot offered, for editors to add as phrasings.

Grouping is greedy over normalised word sets (Jaccard similarity of BotTurn.question_key): cheap, stable,
explainable to an editor ("these questions share these words"), and independent of the embedding model.
A confirmed wording is the best training data the bot can get: a real citizen's words, and the article that
citizen said answers them. Added as a phrasing, it makes the next such question an answer instead of a
clarifying question (retrieval learns from phrasings: the classifier, the discriminant, the calibration).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from guichet.bot.models import BotTurn
from guichet.bot.nlp.text import normalise_question
from guichet.knowledge.models import Article

SIMILARITY = 0.5
MAX_TURNS = 2000
MAX_SUGGESTIONS = 50
# Why a turn asked which article was meant (dialogue.decide): a later choice confirms the citizen's wording.
CLARIFYING_REASONS = ("close_candidates", "confirm_single")
# A redacted question still holds a placeholder such as [PHONE]: it is no wording to teach the bot.
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")


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


@dataclass
class ConfirmedWording:
    turn_id: int  # the most recent turn with this wording (the add-phrasing form posts it)
    question: str
    language: str
    article: Article
    count: int = 1


def confirmed_wordings(days: int = 30) -> list[ConfirmedWording]:
    """Questions a citizen resolved by choosing one of the offered articles, not yet among its phrasings.

    Most frequent first; one entry per (article, normalised wording). Questions rated not helpful afterwards,
    or still holding a redaction placeholder, are left out.
    """
    since = timezone.now() - timedelta(days=days)
    turns = BotTurn.objects.filter(
        outcome=BotTurn.Outcome.ANSWERED, reason__in=CLARIFYING_REASONS, created_at__gte=since,
    ).exclude(article_id="").exclude(feedback=BotTurn.Feedback.NOT_HELPFUL)[:MAX_TURNS]
    grouped: dict[tuple[str, str], ConfirmedWording] = {}
    turns = list(turns)
    # One query for every article the citizens chose; their known questions, normalised once each.
    articles = Article.objects.in_bulk([int(t.article_id) for t in turns if t.article_id.isdigit()])
    known = {str(pk): {normalise_question(question) for question in article.questions()}
             for pk, article in articles.items()}
    for turn in turns:  # newest first
        key = normalise_question(turn.question)
        if not key or _PLACEHOLDER.search(turn.question) or turn.article_id not in known:
            continue
        if key in known[turn.article_id]:
            continue
        entry = grouped.get((turn.article_id, key))
        if entry is None:
            grouped[(turn.article_id, key)] = ConfirmedWording(
                turn.pk, turn.question, turn.language, articles[int(turn.article_id)])
        else:
            entry.count += 1
    return sorted(grouped.values(), key=lambda entry: (-entry.count, -entry.turn_id))[:MAX_SUGGESTIONS]
