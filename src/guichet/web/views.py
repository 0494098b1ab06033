"""Citizen-facing pages: the demo government pages that embed the widget, the widget script, a health check.

Views stay thin: they pick a language, render a template or serve a static file with the headers that let
any government site embed the widget.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("guichet.web")

WIDGET_SCRIPT = "guichet/widget.js"
# The catalog lives in widget.js between these markers as plain JSON, so the script needs no extra request
# and tests and translators can read the very strings the widget shows.
STRINGS_PATTERN = re.compile(r"/\*GUICHET-STRINGS-BEGIN\*/(.*?)/\*GUICHET-STRINGS-END\*/", re.S)


def demo_inbox(name: str) -> str:
    inboxes = getattr(settings, "GUICHET_DEMO_INBOXES", {"main": "demo-web", "benefits": "benefits-web"})
    return inboxes[name]


def render_in(request: HttpRequest, language: str, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a page in one language whatever the browser asked for: the URL decides (/ or /fr/)."""
    with translation.override(language):
        response = render(request, template, {**context, "page_language": language})
    response["Content-Language"] = language
    return response


@require_GET
def demo_home(request: HttpRequest, language: str = "en") -> HttpResponse:
    return render_in(request, language, "web/demo_home.html", {
        "inbox": demo_inbox("main"),
        "alternate_url": "/fr/" if language == "en" else "/",
    })


@require_GET
def demo_benefits(request: HttpRequest, language: str = "en") -> HttpResponse:
    return render_in(request, language, "web/demo_benefits.html", {
        "inbox": demo_inbox("benefits"),
        "alternate_url": "/fr/demo/benefits/" if language == "en" else "/demo/benefits/",
    })


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("healthz.database_unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def allow_cross_origin(response: HttpResponse) -> HttpResponse:
    """Let pages on any origin load and run the file (the widget is embedded on other sites)."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def find_static(path: str) -> Path:
    normalized = posixpath.normpath(path).lstrip("/")
    if normalized.startswith("..") or not normalized:
        raise Http404("No such file.")
    found = finders.find(normalized)
    if not found:
        raise Http404("No such file.")
    return Path(found)


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """The short URL `/widget.js` for the embed tag, loadable from any origin (also with COEP on the host)."""
    response = FileResponse(find_static(WIDGET_SCRIPT).open("rb"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return allow_cross_origin(response)


@lru_cache(maxsize=4)
def _catalog_from(path: str, mtime: float) -> dict[str, dict[str, str]]:
    match = STRINGS_PATTERN.search(Path(path).read_text(encoding="utf-8"))
    if match is None:
        raise ValueError("widget.js has no string catalog between the GUICHET-STRINGS markers")
    return json.loads(match.group(1))


def widget_catalog() -> dict[str, dict[str, str]]:
    """The widget's own EN/FR catalog, read from widget.js (the single source of its strings)."""
    path = find_static(WIDGET_SCRIPT)
    return _catalog_from(str(path), path.stat().st_mtime)


@require_GET
def widget_strings(request: HttpRequest) -> JsonResponse:
    return allow_cross_origin(JsonResponse(widget_catalog(), json_dumps_params={"ensure_ascii": False}))
