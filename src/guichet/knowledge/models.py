"""Official answers in English and French, their history and the counter that keeps bot indexes fresh."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "fr")
# Fields each language version has; the import/export formats and the editor use the same names.
VERSION_FIELDS = ("title", "phrasings", "answer", "source_url")


class Article(models.Model):
    """One topic with up to two language versions (an article may exist in only one language)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Public (the virtual agent may answer with it)")
        INTERNAL = "internal", _("Internal (agent script)")

    # Stable identifier used by import/export ("passport-renewal", "faq-012").
    key = models.CharField(_("identifier"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    en_title = models.CharField(_("English title or question"), max_length=500, blank=True)
    en_phrasings = models.JSONField(_("English alternative phrasings"), default=list, blank=True)
    en_answer = models.TextField(_("English answer (Markdown)"), blank=True)
    en_source_url = models.URLField(_("English source URL"), max_length=500, blank=True)
    fr_title = models.CharField(_("French title or question"), max_length=500, blank=True)
    fr_phrasings = models.JSONField(_("French alternative phrasings"), default=list, blank=True)
    fr_answer = models.TextField(_("French answer (Markdown)"), blank=True)
    fr_source_url = models.URLField(_("French source URL"), max_length=500, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["key"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["status", "audience"], name="article_live_idx")]

    def __str__(self) -> str:
        return self.title or self.key

    @property
    def title(self) -> str:
        return self.en_title or self.fr_title

    @property
    def languages(self) -> list[str]:
        return [language for language in LANGUAGES if self.has_version(language)]

    def has_version(self, language: str) -> bool:
        return bool(getattr(self, f"{language}_title") or getattr(self, f"{language}_answer")
                    or getattr(self, f"{language}_phrasings"))

    def version(self, language: str) -> dict | None:
        if not self.has_version(language):
            return None
        return {name: getattr(self, f"{language}_{name}") for name in VERSION_FIELDS}

    def questions(self) -> list[str]:
        """Every title and alternative phrasing, in every language (what a citizen's question is matched to)."""
        return [question for language in LANGUAGES
                for question in (getattr(self, f"{language}_title"), *getattr(self, f"{language}_phrasings"))
                if question]

    def title_in(self, language: str) -> str:
        return getattr(self, f"{language}_title", "") or self.title

    def is_live(self, now=None) -> bool:  # type: ignore[no-untyped-def]
        now = now or timezone.now()
        return (self.status == self.Status.PUBLISHED and self.audience == self.Audience.PUBLIC
                and (self.valid_from is None or self.valid_from <= now)
                and (self.valid_until is None or self.valid_until > now))


def live_articles(now=None):  # type: ignore[no-untyped-def]
    """Published, public, currently valid: what the citizen-facing virtual agent may answer with."""
    now = now or timezone.now()
    return Article.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=now),
        Q(valid_until__isnull=True) | Q(valid_until__gt=now),
        status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC,
    )


class ArticleRevision(models.Model):
    """A snapshot of an article after each change: who, when, and what it then said."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    # Where the change came from: "editor", "admin", "import", "demo".
    source = models.CharField(max_length=20, default="editor")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="revision_unique_number")]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class KnowledgeVersion(models.Model):
    """A single row changed with every article change; processes compare its token before each search.

    A random token rather than a bare counter: a rolled-back transaction can reuse a counter value for
    different content, a fresh token cannot.
    """

    counter = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=32, default="")
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"knowledge v{self.counter}"

    @classmethod
    def bump(cls) -> None:
        cls.objects.get_or_create(pk=1)
        cls.objects.filter(pk=1).update(counter=models.F("counter") + 1, token=uuid.uuid4().hex,
                                        changed_at=timezone.now())

    @classmethod
    def current_token(cls) -> str:
        return cls.objects.filter(pk=1).values_list("token", flat=True).first() or ""
