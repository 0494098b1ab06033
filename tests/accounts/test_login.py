"""Sign in and out through the real pages, with CSRF checks on."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from tests.factories import make_agent

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client, url: str) -> str:
    page = client.get(url)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: Client, username: str, password: str, **extra):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/accounts/login/")
    return client.post("/accounts/login/", {"username": username, "password": password,
                                            "csrfmiddlewaretoken": token}, **extra)


def test_login_page_has_labelled_fields():
    page = Client().get("/accounts/login/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html


def test_sign_in_page_switches_to_the_other_official_language():
    client = csrf_client()
    english = client.get("/accounts/login/?next=/desk/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in english.content.decode()
    assert 'name="language" value="fr" lang="fr">Français</button>' in english.content.decode()
    token = csrf_token(client, "/accounts/login/")
    switched = client.post("/i18n/setlang/", {"language": "fr", "next": "/accounts/login/?next=/desk/",
                                              "csrfmiddlewaretoken": token}, HTTP_ACCEPT_LANGUAGE="en")
    assert switched.status_code == 302 and switched["Location"] == "/accounts/login/?next=/desk/"
    french = client.get(switched["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="fr">' in french and "Se connecter" in french
    assert 'name="language" value="en" lang="en">English</button>' in french


def test_agent_signs_in_and_lands_on_the_desk():
    make_agent(username="alice", password=PASSWORD)
    client = csrf_client()
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200


def test_wrong_password_shows_a_message_that_reveals_nothing():
    make_agent(username="alice", password=PASSWORD)
    client = csrf_client()
    wrong = sign_in(client, "alice", "not-the-password")
    unknown = sign_in(client, "nobody-here", "not-the-password")
    assert wrong.status_code == 200
    assert "The username or password is not correct" in wrong.content.decode()
    assert 'role="alert"' in wrong.content.decode()
    # Same message for an unknown user: the page does not say which usernames exist.
    assert "The username or password is not correct" in unknown.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(GUICHET_RATE_LIMIT_LOGIN=(3, 300))
def test_repeated_attempts_are_throttled_per_username_and_address():
    make_agent(username="alice", password=PASSWORD)
    client = csrf_client()
    for _ in range(3):
        assert sign_in(client, "alice", "guess").status_code == 200
    throttled = sign_in(client, "alice", PASSWORD)
    assert throttled.status_code == 429
    assert "Too many sign-in attempts" in throttled.content.decode()
    assert "Wait 5 minutes" in throttled.content.decode()
    assert throttled["Retry-After"] == "300"
    # Even the right password is refused while throttled: nothing was signed in.
    assert "_auth_user_id" not in client.session
    # Another address is not affected by this address's attempts.
    other = csrf_client()
    assert sign_in(other, "alice", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_login_without_csrf_token_is_refused():
    make_agent(username="alice", password=PASSWORD)
    client = csrf_client()
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post():
    make_agent(username="alice", password=PASSWORD)
    client = csrf_client()
    sign_in(client, "alice", PASSWORD)
    confirm = client.get("/accounts/logout/")
    assert confirm.status_code == 200
    assert client.get("/desk/").status_code == 200  # a GET (a link, an image) does not sign out
    token = csrf_token(client, "/desk/")
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/desk/").status_code == 302


def test_passwords_are_stored_with_argon2():
    make_agent(username="alice", password=PASSWORD)
    assert User.objects.get(username="alice").password.startswith("argon2$")


def test_agent_interface_language_preference_changes_the_desk_language():
    agent = make_agent(username="alice", password=PASSWORD)
    client = csrf_client()
    sign_in(client, "alice", PASSWORD)
    token = csrf_token(client, "/accounts/preferences/")
    bad = client.post("/accounts/preferences/", {"ui_language": "xx", "csrfmiddlewaretoken": token})
    assert bad.status_code == 400
    agent.refresh_from_db()
    assert agent.ui_language == "en"
    saved = client.post("/accounts/preferences/", {"ui_language": "fr", "csrfmiddlewaretoken": token})
    assert saved.status_code == 302
    agent.refresh_from_db()
    assert agent.ui_language == "fr"
    assert '<html lang="fr">' in client.get("/desk/").content.decode()


def test_preferences_need_an_agent_profile():
    User.objects.create_user(username="visitor", password=PASSWORD)
    client = csrf_client()
    sign_in(client, "visitor", PASSWORD)
    response = client.get("/accounts/preferences/")
    assert response.status_code == 403
    assert "no agent profile" in response.content.decode()
