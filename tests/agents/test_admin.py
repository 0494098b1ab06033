"""The admin pages an administrator uses to set up teams, agents, inboxes and to look at conversations."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.conversations.models import Message
from tests.agents.helpers import PASSWORD
from tests.factories import make_agent, make_contact, make_conversation, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    admin = make_agent([], role="admin", username="root")
    client = Client()
    assert client.login(username=admin.user.username, password=PASSWORD)
    return client


def test_admin_lists_and_forms_render(admin_client):
    team = make_team()
    agent = make_agent([team], username="alice")
    conversation = make_conversation(contact=make_contact(email="jo@example.org"), first_message="Hello <b>x</b>")
    pages = [
        "/admin/agents/team/", f"/admin/agents/team/{team.pk}/change/",
        "/admin/agents/agentprofile/?role__exact=agent", f"/admin/agents/agentprofile/{agent.pk}/change/",
        f"/admin/auth/user/{agent.user.pk}/change/", "/admin/conversations/inbox/",
        "/admin/conversations/contact/?q=jo%40example.org", f"/admin/conversations/contact/{conversation.contact.pk}/change/",
        "/admin/conversations/conversation/?status__exact=queued",
        f"/admin/conversations/conversation/{conversation.pk}/change/",
        "/admin/conversations/message/?q=Hello",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    detail = admin_client.get(f"/admin/conversations/conversation/{conversation.pk}/change/").content.decode()
    assert "Hello &lt;b&gt;x&lt;/b&gt;" in detail
    assert conversation.reference in admin_client.get("/admin/conversations/conversation/?q=jo%40example.org"
                                                      ).content.decode()


def test_messages_cannot_be_added_or_edited_in_the_admin(admin_client):
    conversation = make_conversation(first_message="original")
    message = Message.objects.get(conversation=conversation)
    assert admin_client.get("/admin/conversations/message/add/").status_code == 403
    admin_client.post(f"/admin/conversations/message/{message.pk}/change/", {"body": "rewritten"})
    message.refresh_from_db()
    assert message.body == "original"


def test_agents_without_staff_rights_cannot_open_the_admin():
    agent = make_agent([], username="alice")
    client = Client()
    client.login(username=agent.user.username, password=PASSWORD)
    response = client.get("/admin/conversations/conversation/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def _profile_form(agent, **changes):
    data = {
        "user": agent.user.pk, "display_name": agent.display_name, "role": agent.role,
        "teams": [team.pk for team in agent.teams.all()], "languages": '["en"]',
        "skills": '{"benefits": 3}', "capacity": '{"chat": 2, "voice": 1}', "ui_language": "en",
        "presence": "offline", "voice_address": "",
    }
    data.update(changes)
    return data


def test_agent_profile_admin_saves_valid_capacity_and_skills(admin_client):
    agent = make_agent([make_team()], username="alice")
    response = admin_client.post(f"/admin/agents/agentprofile/{agent.pk}/change/", _profile_form(agent))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.capacity == {"chat": 2, "voice": 1} and agent.skills == {"benefits": 3}


@pytest.mark.parametrize("field, value, message", [
    ("capacity", '{"chat": 0, "voice": 0}', "can never receive work"),
    ("capacity", '{"fax": 2}', "Unknown channels in capacity: fax."),
    ("capacity", '{"chat": -1, "voice": 1}', "A capacity cannot be negative."),
    ("skills", '{"benefits": 9}', "Skill levels go from 1 to 5 (benefits)."),
    ("skills", '["benefits"]', "Skills must map names to levels"),
])
def test_agent_profile_admin_shows_routing_errors_on_the_field(admin_client, field, value, message):
    agent = make_agent([make_team()], username="alice")
    before = (agent.capacity, agent.skills)
    response = admin_client.post(f"/admin/agents/agentprofile/{agent.pk}/change/",
                                 _profile_form(agent, **{field: value}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    agent.refresh_from_db()
    assert (agent.capacity, agent.skills) == before
