"""Citizen-facing pages: demo pages in both languages embed the widget; health check; widget script URLs."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client

pytestmark = pytest.mark.django_db


def embed_tag(inbox: str) -> str:
    return f'<script src="/static/guichet/widget.js" data-inbox="{inbox}" defer></script>'


def test_english_demo_page_embeds_the_widget_for_the_main_inbox():
    response = Client().get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert "Department of Public Services demo" in html
    assert embed_tag("demo-web") in html
    assert 'href="/fr/"' in html


def test_french_demo_page_is_in_french_whatever_the_browser_asks():
    response = Client().get("/fr/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in html
    assert "Ministère des Services publics" in html
    assert "Department of Public Services" not in html
    assert embed_tag("demo-web") in html


def test_english_page_stays_english_for_a_french_browser():
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="en">' in html and "Popular services" in html


@pytest.mark.parametrize(("url", "language", "heading"), [
    ("/demo/benefits/", "en", "Benefits"),
    ("/fr/demo/benefits/", "fr", "Prestations"),
])
def test_benefits_page_embeds_the_widget_for_the_second_inbox(url, language, heading):
    response = Client().get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert embed_tag("benefits-web") in html


def test_demo_pages_have_no_inline_script_and_a_strict_policy():
    response = Client().get("/")
    html = response.content.decode()
    assert "<script>" not in html and "onclick" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_demo_pages_refuse_other_methods():
    assert Client().post("/").status_code == 405


def test_healthz_reports_ok_after_querying_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_503_when_the_database_fails(monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("database is down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_short_widget_url_serves_the_script_for_any_origin():
    response = Client().get("/widget.js", HTTP_ORIGIN="https://www.example.gc.ca")
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "attachShadow" in body and "GUICHET-STRINGS-BEGIN" in body
