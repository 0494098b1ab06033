"""Every write to knowledge articles: saves with revisions, imports in one transaction, deletions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from guichet.core.models import AuditEvent
from guichet.knowledge.formats import RowError, to_record
from guichet.knowledge.models import Article, ArticleRevision

logger = logging.getLogger("guichet.knowledge")


class ImportRejected(Exception):
    """At least one bad row: nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    keys: list[str] = field(default_factory=list)


def record_revision(article: Article, user, source: str) -> ArticleRevision | None:  # type: ignore[no-untyped-def]
    """Snapshot the article if it differs from its latest revision; returns the new revision or None."""
    snapshot = to_record(article)
    latest = article.revisions.order_by("-number").first()
    if latest is not None and latest.snapshot == snapshot:
        return None
    return ArticleRevision.objects.create(
        article=article, number=(latest.number + 1) if latest else 1, snapshot=snapshot,
        author=user if getattr(user, "is_authenticated", False) else None, source=source,
    )


def save_article(article: Article, *, user=None, source: str = "editor") -> ArticleRevision | None:  # type: ignore[no-untyped-def]
    """Save an edited article and record who changed what; the live bot index follows after commit."""
    with transaction.atomic():
        article.updated_at = timezone.now()
        if getattr(user, "is_authenticated", False):
            article.updated_by = user
        article.save()
        revision = record_revision(article, user, source)
    logger.info("article.saved key=%s revision=%s", article.key, revision.number if revision else None)
    return revision


MAX_PHRASING_CHARACTERS = 300


def add_phrasing(article: Article, language: str, text: str, *, user=None,  # type: ignore[no-untyped-def]
                 source: str = "insights") -> ArticleRevision | None:
    """Add a citizen's wording as an alternative phrasing of `article` (an editor approved it).

    The phrasing joins the version in `language` when the article has one, otherwise its first version (a
    phrasing must never create a version without an answer). Nothing changes, and None is returned, when an
    equivalent question (case, accents and punctuation ignored) is already the title or a phrasing.
    """
    from guichet.bot.nlp.text import normalise_question
    from guichet.knowledge.models import LANGUAGES

    wording = " ".join(text.split())[:MAX_PHRASING_CHARACTERS]
    key = normalise_question(wording)
    if not key:
        raise ValueError("an empty phrasing cannot be added")
    target = language if article.has_version(language) else next(
        (other for other in LANGUAGES if article.has_version(other)), language)
    if key in {normalise_question(question) for question in article.questions()}:
        return None
    setattr(article, f"{target}_phrasings", [*getattr(article, f"{target}_phrasings"), wording])
    return save_article(article, user=user, source=source)


def delete_article(article: Article, *, user=None) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        AuditEvent.objects.create(actor=user if getattr(user, "is_authenticated", False) else None,
                                  action="article.deleted", target=article.key, details=to_record(article))
        article.delete()


def restore_revision(article: Article, revision: ArticleRevision, *, user=None) -> ArticleRevision | None:  # type: ignore[no-untyped-def]
    from guichet.knowledge.formats import clean_record

    fields, errors = clean_record(revision.snapshot)
    if fields is None:
        raise ValueError("; ".join(f"{name}: {reason}" for name, reason in errors))
    for name, value in fields.items():
        setattr(article, name, value)
    return save_article(article, user=user, source="restore")


def import_articles(records: Iterable[dict[str, Any]], *, user=None, source: str = "import",  # type: ignore[no-untyped-def]
                    progress: Callable[[int], None] | None = None) -> ImportResult:
    """Create or update articles from cleaned records (see formats.validate), all or nothing."""
    result = ImportResult()
    with transaction.atomic():
        existing = {article.key: article for article in Article.objects.all()}
        for position, fields in enumerate(records, start=1):
            article = existing.get(fields["key"])
            created = article is None
            article = article or Article(key=fields["key"])
            before = None if created else to_record(article)
            for name, value in fields.items():
                setattr(article, name, value)
            if not created and to_record(article) == before:
                result.unchanged += 1
            else:
                article.updated_at = timezone.now()
                article.save()
                record_revision(article, user, source)
                if created:
                    result.created += 1
                else:
                    result.updated += 1
            result.keys.append(article.key)
            if progress is not None:
                progress(position)
    logger.info("knowledge.imported created=%s updated=%s unchanged=%s", result.created, result.updated,
                result.unchanged)
    return result


def export_records(queryset=None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [to_record(article) for article in (queryset if queryset is not None else Article.objects.order_by("key"))]
