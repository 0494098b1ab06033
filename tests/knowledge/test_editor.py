"""The bilingual editor pages through the test client: permissions, saving, preview, history, restore."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from guichet.knowledge.models import Article, ArticleRevision
from tests.factories import make_agent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"


def form_data(**overrides):
    data = {"key": "passport-fees", "status": "published", "audience": "public", "tags": "passports, fees",
            "valid_from": "", "valid_until": "", "en_title": "How much does a passport cost?",
            "en_phrasings": "passport fee\npassport price", "en_answer": "It costs **$160**.",
            "en_source_url": "https://www.canada.ca/en/passport-fees.html", "fr_title": "", "fr_phrasings": "",
            "fr_answer": "", "fr_source_url": ""}
    data.update(overrides)
    return data


def signed_in(client, role="supervisor"):
    agent = make_agent(role=role)
    client.login(username=agent.user.username, password=PASSWORD)
    return agent


def test_agents_without_the_editor_permission_are_refused(client):
    signed_in(client, role="agent")
    assert client.get("/knowledge/").status_code == 403
    assert client.post("/knowledge/new/", form_data()).status_code == 403
    assert Article.objects.count() == 0
    assert client.get("/bot/insights/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/knowledge/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_agent_given_the_editor_permission_may_edit(client):
    agent = signed_in(client, role="agent")
    agent.user.user_permissions.add(Permission.objects.get(codename="change_article"))
    assert client.get("/knowledge/").status_code == 200


def test_create_edit_and_read_the_history(client):
    agent = signed_in(client)
    response = client.post("/knowledge/new/", form_data(), follow=True)
    assert response.status_code == 200
    article = Article.objects.get(key="passport-fees")
    assert article.tags == ["passports", "fees"] and article.en_phrasings == ["passport fee", "passport price"]
    assert article.languages == ["en"]

    response = client.post(f"/knowledge/{article.pk}/edit/", form_data(
        en_answer="It costs **$160** for 10 years.", fr_title="Combien coûte un passeport?",
        fr_answer="Il coûte 160 $."))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.languages == ["en", "fr"]
    revisions = list(ArticleRevision.objects.filter(article=article).order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].author == agent.user and revisions[1].snapshot["fr"]["title"] == "Combien coûte un passeport?"

    page = client.get(f"/knowledge/{article.pk}/history/").content.decode()
    assert "Revision 2" in page and "Revision 1" in page
    assert "<ins>+It costs **$160** for 10 years.</ins>" in page
    assert "<del>-It costs **$160**.</del>" in page

    client.post(f"/knowledge/{article.pk}/history/1/restore/")
    article.refresh_from_db()
    assert article.fr_title == "" and article.en_answer == "It costs **$160**."
    assert ArticleRevision.objects.filter(article=article).count() == 3


def test_preview_renders_sanitised_html_and_saves_nothing(client):
    signed_in(client)
    response = client.post("/knowledge/new/", form_data(
        preview="1", en_answer="**Bold** <script>alert('x')</script> [link](javascript:alert(1))"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in page
    assert "<script>alert" not in page and "javascript:alert" not in page.split("<textarea")[0]
    assert Article.objects.count() == 0


def test_invalid_form_is_refused_with_messages(client):
    signed_in(client)
    response = client.post("/knowledge/new/", form_data(en_title="", en_phrasings="", en_answer=""))
    assert response.status_code == 400
    assert "Write at least an English or a French version" in response.content.decode()
    response = client.post("/knowledge/new/", form_data(valid_from="2026-05-01T00:00", valid_until="2026-04-01T00:00"))
    assert response.status_code == 400
    assert Article.objects.count() == 0


def test_list_search_and_filters(client):
    from guichet.knowledge.demo import load_demo_knowledge

    load_demo_knowledge()
    signed_in(client)
    page = client.get("/knowledge/", {"q": "passeport"}).content.decode()
    assert "passport-renewal" in page and "tax-refund-status" not in page
    page = client.get("/knowledge/", {"missing": "fr"}).content.decode()
    assert "winter-heating-rebate" in page and "passport-renewal" not in page
    page = client.get("/knowledge/", {"tag": "benefits"}).content.decode()
    assert "benefit-payment-dates" in page and "office-hours" not in page
    User.objects.all()  # the page rendered for a supervisor without errors
