"""`seed_demo`: the bilingual demo data, random passwords kept in a private file, idempotent re-runs."""

from __future__ import annotations

import stat

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from guichet.agents.models import AgentProfile, Team
from guichet.conversations.models import Inbox
from guichet.core.management import demo_data
from guichet.core.management.demo_data import OPTIONAL_HOOKS, optional_hook, read_logins
from guichet.routing.models import Queue
from tests.core import demo_hook_stub

pytestmark = pytest.mark.django_db

ROLES = {"agent_en", "agent_fr", "agent_bi", "supervisor", "admin"}


@pytest.fixture
def var_dir(tmp_path, settings, monkeypatch):
    settings.VAR_DIR = tmp_path
    # Other apps' demo content (knowledge index, months of analytics history) is tested by those apps and
    # takes a minute to load: these tests cover the core demo and call one stand-in hook instead.
    monkeypatch.setattr(demo_data, "OPTIONAL_HOOKS", [("tests.core.demo_hook_stub", "load_demo_things")])
    demo_hook_stub.calls.clear()
    return tmp_path


def seed() -> None:
    call_command("seed_demo", verbosity=0)


def test_seed_creates_the_documented_demo(var_dir):
    seed()
    assert set(Team.objects.values_list("slug", flat=True)) >= {"general", "benefits"}
    benefits = Queue.objects.get(slug="benefits")
    assert benefits.required_skills == {"benefits": 2}
    assert benefits.team.slug == "benefits"
    web = Inbox.objects.get(slug="demo-web")
    assert (web.channel, web.bot_enabled, web.languages, web.default_queue.slug) == (
        "web", True, ["en", "fr"], "general")
    web2 = Inbox.objects.get(slug="benefits-web")
    assert (web2.channel, web2.bot_enabled, web2.default_queue.slug) == ("web", False, "benefits")
    assert Inbox.objects.get(slug="demo-email").config == {"address": "help@demo.guichet.local"}
    assert Inbox.objects.get(slug="demo-sms").config == {"number": "+15145550100"}
    assert Inbox.objects.get(slug="demo-voice").config == {"number": "+15145550199"}

    profiles = {p.user.username: p for p in AgentProfile.objects.select_related("user")}
    assert profiles["agent_en"].languages == ["en"]
    assert profiles["agent_fr"].languages == ["fr"]
    assert profiles["agent_bi"].languages == ["en", "fr"]
    assert profiles["agent_bi"].skills == {"benefits": 3}
    assert set(profiles["agent_bi"].teams.values_list("slug", flat=True)) == {"general", "benefits"}
    assert set(profiles["agent_en"].teams.values_list("slug", flat=True)) == {"general"}
    assert profiles["supervisor"].role == "supervisor"
    assert set(profiles["supervisor"].teams.values_list("slug", flat=True)) == {"general", "benefits"}
    admin = profiles["admin"]
    assert admin.role == "admin" and admin.user.is_staff and admin.user.is_superuser
    assert not profiles["agent_en"].user.is_staff


def test_each_demo_login_works_and_the_file_is_private(var_dir):
    seed()
    logins = read_logins(var_dir / "demo-logins.txt")
    assert set(logins) == ROLES
    for username, password in logins.values():
        assert len(password) >= 12
        assert authenticate(username=username, password=password) is not None
    assert stat.S_IMODE((var_dir / "demo-logins.txt").stat().st_mode) == 0o600
    assert len({password for _user, password in logins.values()}) == len(ROLES)


def test_rerunning_keeps_data_and_never_resets_passwords(var_dir):
    seed()
    first = read_logins(var_dir / "demo-logins.txt")
    inbox = Inbox.objects.get(slug="demo-web")
    inbox.bot_enabled = False  # an operator's change must survive a re-run
    inbox.save()
    agent_en = AgentProfile.objects.get(user__username="agent_en")
    agent_en.user.set_password("a-password-the-agent-chose")
    agent_en.user.save()
    counts = (Team.objects.count(), Queue.objects.count(), Inbox.objects.count(), AgentProfile.objects.count())

    seed()

    assert (Team.objects.count(), Queue.objects.count(), Inbox.objects.count(),
            AgentProfile.objects.count()) == counts
    assert Inbox.objects.get(slug="demo-web").bot_enabled is False
    assert authenticate(username="agent_en", password="a-password-the-agent-chose") is not None
    assert read_logins(var_dir / "demo-logins.txt") == first


def test_a_missing_profile_is_recreated_without_touching_the_user(var_dir):
    seed()
    AgentProfile.objects.filter(user__username="agent_fr").delete()
    seed()
    profile = AgentProfile.objects.get(user__username="agent_fr")
    assert profile.languages == ["fr"]
    username, password = read_logins(var_dir / "demo-logins.txt")["agent_fr"]
    assert authenticate(username=username, password=password) is not None


def test_seed_calls_each_optional_demo_hook_on_every_run(var_dir):
    seed()
    seed()
    assert demo_hook_stub.calls == ["load_demo_things", "load_demo_things"]


def test_optional_hooks_are_skipped_only_when_their_module_does_not_exist():
    assert optional_hook("guichet.no_such_app.demo", "load_demo_things") is None
    assert [name for name, _function in OPTIONAL_HOOKS] == [
        "guichet.knowledge.demo", "guichet.analytics.demo", "guichet.bot.demo", "guichet.omnichannel.demo"]
    # An existing module without the promised function is a mistake worth hearing about.
    with pytest.raises(AttributeError):
        optional_hook("guichet.core.management.demo_data", "load_demo_nothing")
