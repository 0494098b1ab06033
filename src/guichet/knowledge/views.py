"""Knowledge editor pages: list with search and filters, side-by-side bilingual editor, preview, history."""

from __future__ import annotations

import difflib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.knowledge import actions
from guichet.knowledge.access import article_for_editor, require_editor
from guichet.knowledge.forms import ArticleForm
from guichet.knowledge.models import LANGUAGES, Article, ArticleRevision
from guichet.knowledge.rendering import render_html

PAGE_SIZE = 50
PREFILL_FIELDS = ("en_title", "fr_title", "en_phrasings", "fr_phrasings", "tags")


def _filtered(request: HttpRequest):  # type: ignore[no-untyped-def]
    articles = Article.objects.all()
    query = request.GET.get("q", "").strip()[:200]
    if query:
        articles = articles.filter(Q(key__icontains=query) | Q(en_title__icontains=query)
                                   | Q(fr_title__icontains=query) | Q(en_answer__icontains=query)
                                   | Q(fr_answer__icontains=query))
    status = request.GET.get("status", "")
    if status in Article.Status.values:
        articles = articles.filter(status=status)
    audience = request.GET.get("audience", "")
    if audience in Article.Audience.values:
        articles = articles.filter(audience=audience)
    language = request.GET.get("language", "")
    if language in LANGUAGES:
        articles = articles.exclude(**{f"{language}_title": ""})
    missing = request.GET.get("missing", "")
    if missing in LANGUAGES:
        articles = articles.filter(**{f"{missing}_title": ""})
    tag = request.GET.get("tag", "").strip()[:100]
    if tag:
        # JSON containment is not portable to SQLite; tags are short, so match the quoted tag in the text.
        articles = articles.filter(tags__icontains=json.dumps(tag))
    return articles.order_by("key")


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    require_editor(request.user)
    page = Paginator(_filtered(request), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "knowledge/list.html", {
        "page": page, "filters": request.GET, "statuses": Article.Status.choices,
        "audiences": Article.Audience.choices, "total": page.paginator.count,
    })


def _previews(form: ArticleForm) -> dict[str, str]:
    return {language: render_html(form.data.get(f"{language}_answer", "")) for language in LANGUAGES}


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    article = article_for_editor(request.user, article_id) if article_id else None
    if article is None:
        require_editor(request.user)
    previews = None
    if request.method == "POST":
        form = ArticleForm(request.POST, instance=article)
        if "preview" in request.POST:
            previews = _previews(form)
            form.is_valid()  # show problems alongside the preview, save nothing
        elif form.is_valid():
            saved = form.save(commit=False)
            revision = actions.save_article(saved, user=request.user, source="editor")
            messages.success(request, _("Article saved.") if revision else _("No changes to save."))
            return redirect("knowledge:edit", article_id=saved.pk)
    else:
        initial = {name: request.GET[name] for name in PREFILL_FIELDS if request.GET.get(name)}
        form = ArticleForm(instance=article, initial=initial)
    return render(request, "knowledge/edit.html", {
        "form": form, "article": article, "previews": previews,
        "versions": [(language, form.version_fields(language)) for language in LANGUAGES],
        "rendered": {language: render_html(getattr(article, f"{language}_answer")) for language in LANGUAGES}
        if article else None,
    }, status=400 if request.method == "POST" and form.errors and not previews else 200)


def _diff(before: dict | None, after: dict) -> list[dict]:
    """Changed fields between two snapshots, each with a unified line diff."""
    changes = []
    flat_before, flat_after = _flatten(before or {}), _flatten(after)
    for name in sorted(set(flat_before) | set(flat_after)):
        old, new = flat_before.get(name, ""), flat_after.get(name, "")
        if old != new:
            lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]
            changes.append({"field": name, "lines": lines})
    return changes


def _flatten(snapshot: dict) -> dict[str, str]:
    flat = {}
    for key, value in snapshot.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                flat[f"{key}.{inner}"] = "\n".join(inner_value) if isinstance(inner_value, list) else str(inner_value)
        elif isinstance(value, list):
            flat[key] = "\n".join(map(str, value))
        else:
            flat[key] = "" if value is None else str(value)
    return flat


@login_required
def article_history(request: HttpRequest, article_id: int) -> HttpResponse:
    article = article_for_editor(request.user, article_id)
    revisions = list(article.revisions.select_related("author").order_by("number"))
    entries = []
    previous = None
    for revision in revisions:
        entries.append({"revision": revision, "changes": _diff(previous, revision.snapshot)})
        previous = revision.snapshot
    return render(request, "knowledge/history.html", {"article": article, "entries": list(reversed(entries))})


@login_required
@require_POST
def article_restore(request: HttpRequest, article_id: int, number: int) -> HttpResponse:
    article = article_for_editor(request.user, article_id)
    revision = get_object_or_404(ArticleRevision, article=article, number=number)
    actions.restore_revision(article, revision, user=request.user)
    messages.success(request, _("Revision %(number)s restored.") % {"number": number})
    return redirect("knowledge:history", article_id=article.pk)
