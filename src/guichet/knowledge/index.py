"""The virtual agent's live retrieval index over published, public, currently valid articles.

One `KnowledgeIndex` per process, built lazily (the embedding model loads once). It stays current without
a restart: a save or delete in this process resyncs after commit, and before each search every process
compares the `KnowledgeVersion` token (one indexed row read) with the one it last synced, and watches the
next validity boundary (an article whose window opens or closes). A resync re-embeds only the articles whose
content changed; the embedder caches vectors, so unchanged text costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from guichet.bot.nlp.retrieval import ArticleVersion, Candidate, IndexedArticle, KnowledgeIndex
from guichet.knowledge.models import LANGUAGES, Article, KnowledgeVersion, live_articles

logger = logging.getLogger("guichet.knowledge")


def indexed_article(article: Article) -> IndexedArticle:
    versions = {}
    for language in LANGUAGES:
        version = article.version(language)
        if version:
            versions[language] = ArticleVersion(title=version["title"], phrasings=tuple(version["phrasings"]),
                                                answer=version["answer"], source_url=version["source_url"])
    return IndexedArticle(id=str(article.pk), versions=versions, tags=tuple(article.tags or ()))


def _signature(article: IndexedArticle) -> str:
    """Everything the index reads: questions, phrasings and answers (answers feed passages, entries, BM25)."""
    payload = json.dumps([{k: [v.title, list(v.phrasings), v.answer] for k, v in article.versions.items()},
                          list(article.tags)], sort_keys=True)
    return hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()


class LiveIndex:
    def __init__(self, index: KnowledgeIndex | None = None) -> None:
        self._index = index
        self._lock = threading.RLock()
        self._token: str | None = None
        self._signatures: dict[str, str] = {}
        self._next_boundary: datetime | None = None

    @property
    def index(self) -> KnowledgeIndex:
        if self._index is None:
            self._index = KnowledgeIndex()
        return self._index

    def invalidate(self) -> None:
        """Force a resync before the next search (called after a local commit)."""
        with self._lock:
            self._token = None

    def ensure_fresh(self) -> None:
        token = KnowledgeVersion.current_token()
        now = timezone.now()
        with self._lock:
            boundary_passed = self._next_boundary is not None and now >= self._next_boundary
            if self._token is None or token != self._token or boundary_passed:
                self._resync(token, now)

    def _resync(self, token: str, now: datetime) -> None:
        wanted = {str(article.pk): indexed_article(article) for article in live_articles(now)}
        signatures = {key: _signature(article) for key, article in wanted.items()}
        changed = [wanted[key] for key, signature in signatures.items() if self._signatures.get(key) != signature]
        removed = [key for key in self._signatures if key not in wanted]
        for key in removed:
            self.index.remove(key)
        if changed:
            self.index.upsert_many(changed)
        self._signatures = signatures
        self._token = token
        self._next_boundary = self._boundary_after(now)
        if changed or removed:
            logger.info("knowledge.index_synced changed=%s removed=%s total=%s", len(changed), len(removed),
                        len(wanted))

    @staticmethod
    def _boundary_after(now: datetime) -> datetime | None:
        published = Article.objects.filter(status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC)
        starts = published.filter(valid_from__gt=now).aggregate(first=Min("valid_from"))["first"]
        ends = published.filter(valid_until__gt=now).aggregate(first=Min("valid_until"))["first"]
        return min((moment for moment in (starts, ends) if moment is not None), default=None)

    def search(self, text: str, language: str, k: int = 3) -> list[Candidate]:
        self.ensure_fresh()
        with self._lock:
            if not self._signatures:
                return []
            return self.index.search(text, language, k=k)

    def article_ids(self) -> set[str]:
        self.ensure_fresh()
        return set(self._signatures)


_live: LiveIndex | None = None
_live_lock = threading.Lock()


def get_live_index() -> LiveIndex:
    """The process-wide index (model loaded once per process)."""
    global _live
    with _live_lock:
        if _live is None:
            _live = LiveIndex()
        return _live


def knowledge_changed() -> None:
    """Signal handler body: bump the shared token and, after commit, resync this process."""
    from django.db import transaction

    KnowledgeVersion.bump()
    transaction.on_commit(lambda: get_live_index().invalidate())


# How often a serving process checks for knowledge changes made by any process (one indexed row read).
FRESHNESS_INTERVAL_S = 2.0


def refresh_once(live: LiveIndex | None = None) -> None:
    """Resync with the database and build the scoring snapshot now, so the next citizen's search finds it
    ready (a rebuild takes about a second for a few hundred articles, several for ten thousand)."""
    live = live or get_live_index()
    live.ensure_fresh()
    live.index.prepare()


def warm_up_in_background(delay_s: float = 1.0, interval_s: float = FRESHNESS_INTERVAL_S) -> None:
    """Load the model and index the articles right after the server starts, so the first citizen does not wait;
    then keep the snapshot fresh: an edit saved in any process is indexed within `interval_s`, in this thread,
    rather than in the reply to the next citizen (who pays only if asking within that window)."""
    import time

    def warm() -> None:
        from django.db import connection

        time.sleep(delay_s)
        try:
            refresh_once()
            logger.info("knowledge.index_warm")
        except Exception:  # noqa: BLE001 - warming is an optimisation; the first search retries
            logger.exception("knowledge.index_warm_failed")
        finally:
            connection.close()
        while True:
            time.sleep(interval_s)
            try:
                refresh_once()
            except Exception:  # noqa: BLE001 - searches still resync on their own; try again next time
                logger.exception("knowledge.index_refresh_failed")
            finally:
                connection.close()

    threading.Thread(target=warm, name="guichet-kb-warm-up", daemon=True).start()
