"""Supervisor live view: permissions, figures, moves that re-run routing; callback tasks page; queue admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.agents.models import AgentProfile
from guichet.conversations.models import Conversation
from guichet.core.models import AuditEvent
from guichet.routing.callbacks import request_callback
from guichet.routing.models import AssignmentLog, CallbackRequest, Queue
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def centre(committed):
    general, benefits = make_team("general"), make_team("benefits")
    queue = make_queue(general, slug="general", service_level_target_s=60)
    inbox = make_inbox(queue)
    make_queue(benefits, slug="benefits", required_skills={"benefits": 2})
    worker = make_agent([general], presence="away", languages=["en"], username="worker")
    expert = make_agent([benefits], presence="available", languages=["en"], skills={"benefits": 3},
                        username="expert")
    boss = make_agent([general], role="supervisor", username="boss")
    return general, benefits, queue, inbox, worker, expert, boss


def signed_in(client, username: str):
    assert client.login(username=username, password=PASSWORD)
    return client


def test_agents_and_visitors_are_refused(client, centre):
    assert client.get("/supervisor/").status_code == 302  # to the sign-in page
    signed_in(client, "worker")
    for url in ("/supervisor/", "/supervisor/live/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "supervisors" in response.content.decode()
    worker = centre[4]
    response = client.post(f"/supervisor/agents/{worker.pk}/skills/", {"skills": "benefits: 5"})
    assert response.status_code == 403
    assert AgentProfile.objects.get(pk=worker.pk).skills == {}


def test_live_view_shows_waiting_longest_wait_service_level_and_states(client, centre, committed):
    general, _benefits, queue, inbox, worker, _expert, _boss = centre
    for _ in range(2):
        with committed():
            make_conversation(inbox)
    oldest = Conversation.objects.filter(queue=queue).order_by("queued_at").first()
    Conversation.objects.filter(pk=oldest.pk).update(queued_at=timezone.now() - timedelta(minutes=3))
    answered = make_conversation(inbox)
    for waited in (30, 90):  # one within the 60 s target, one not
        AssignmentLog.objects.create(conversation=answered, contact_id=answered.contact_id, queue=queue,
                                     agent=worker, channel="chat", queued_at=timezone.now(), waited_s=waited)
    signed_in(client, "boss")
    page = client.get("/supervisor/").content.decode()
    assert "<caption>" in page and 'hx-trigger="guichet:live-changed, every 30s"' in page
    live = client.get("/supervisor/live/").content.decode()
    row = live[live.index('data-queue="general"'):live.index("</tr>", live.index('data-queue="general"'))]
    assert '<td data-cell="waiting">3</td>' in row
    assert "3 min" in row
    assert "50 % (1 of 2 within 60 s)" in row
    assert '<td data-cell="away">1</td><td data-cell="offline">1</td>' in row  # worker away, boss offline


def test_moving_an_agent_to_another_team_routes_waiting_work_to_them(client, centre, committed):
    general, benefits, queue, inbox, worker, expert, boss = centre
    with committed():
        waiting = make_conversation(inbox)
    assert Conversation.objects.get(pk=waiting.pk).assignee is None
    signed_in(client, "boss")
    with committed():
        response = client.post(f"/supervisor/agents/{expert.pk}/teams/",
                               {"teams": [general.pk, benefits.pk]})
    assert response.status_code == 302
    assert Conversation.objects.get(pk=waiting.pk).assignee == expert
    audit = AuditEvent.objects.get(action="agent.teams_changed")
    assert audit.actor == boss.user and audit.details["to"] == sorted([general.pk, benefits.pk])
    # The same form sent again (a double submit) changes nothing and records nothing.
    with committed():
        client.post(f"/supervisor/agents/{expert.pk}/teams/", {"teams": [general.pk, benefits.pk]})
    assert AuditEvent.objects.filter(action="agent.teams_changed").count() == 1


def test_a_move_leaving_a_queue_without_anyone_able_to_serve_it_is_refused(client, centre):
    general, _benefits, _queue, _inbox, _worker, expert, _boss = centre
    signed_in(client, "boss")
    response = client.post(f"/supervisor/agents/{expert.pk}/teams/", {"teams": [general.pk]})
    assert response.status_code == 400
    assert "Nobody in the queue" in response.content.decode()
    assert list(expert.teams.values_list("slug", flat=True)) == ["benefits"]
    assert not AuditEvent.objects.filter(action="agent.teams_changed").exists()


def test_changing_skills_on_the_fly(client, centre, committed):
    general, benefits, _queue, _inbox, worker, expert, boss = centre
    benefits_queue = Queue.objects.get(slug="benefits")
    benefits_inbox = make_inbox(benefits_queue)
    worker.teams.add(benefits)
    with committed():
        conversation = make_conversation(benefits_inbox)
    # The expert takes it; give the worker the skill and a second one goes to them once available.
    assert Conversation.objects.get(pk=conversation.pk).assignee == expert
    signed_in(client, "boss")
    response = client.post(f"/supervisor/agents/{worker.pk}/skills/", {"skills": "benefits: 2, passports: 1"})
    assert response.status_code == 302
    assert AgentProfile.objects.get(pk=worker.pk).skills == {"benefits": 2, "passports": 1}
    for bad in ("benefits", "benefits: 9", "benefits: x"):
        refused = client.post(f"/supervisor/agents/{worker.pk}/skills/", {"skills": bad})
        assert refused.status_code == 400
    assert AgentProfile.objects.get(pk=worker.pk).skills == {"benefits": 2, "passports": 1}


def test_capacity_of_zero_everywhere_is_refused(client, centre):
    worker = centre[4]
    signed_in(client, "boss")
    response = client.post(f"/supervisor/agents/{worker.pk}/capacity/", {"capacity": "chat: 0, voice: 0"})
    assert response.status_code == 400
    assert "capacity of 0 on every channel" in response.content.decode()
    assert client.post(f"/supervisor/agents/{worker.pk}/capacity/", {"capacity": "chat: 2"}).status_code == 302
    assert AgentProfile.objects.get(pk=worker.pk).capacity == {"chat": 2}


def test_agent_sees_and_records_their_callback_tasks(client, centre, committed):
    general, _benefits, queue, inbox, worker, _expert, _boss = centre
    worker.capacity = {"voice": 1}
    worker.save()
    with committed():
        conversation = make_conversation(inbox)
    with committed():
        callback = request_callback(conversation, {"phone": "(514) 283-1234"})
    from guichet.agents.actions import set_presence

    with committed():
        set_presence(worker, "available")
    signed_in(client, "worker")
    page = client.get("/supervisor/callbacks/").content.decode()
    assert "+15142831234" in page and conversation.reference in page
    response = client.post(f"/supervisor/callbacks/{callback.pk}/finish/", {"outcome": "done", "note": "ok"})
    assert response.status_code == 302
    assert CallbackRequest.objects.get(pk=callback.pk).status == "done"
    other = client.post("/supervisor/callbacks/999999/finish/", {"outcome": "done"})
    assert other.status_code == 404


def test_queue_admin_refuses_a_queue_nobody_can_serve(admin_client, centre):
    general = centre[0]
    form = {"slug": "passports", "name_en": "Passports", "name_fr": "Passeports", "team": general.pk,
            "required_skills": '{"passports": 4}', "preferred_skills": "{}", "default_priority": 5,
            "overflow": "[]", "sticky_window_s": 120, "timezone": "America/Toronto",
            "business_hours": "{}", "holidays": "[]", "callback_offer_after_s": 180, "wrap_up_s": 0,
            "service_level_target_s": 60}
    response = admin_client.post("/admin/routing/queue/add/", form)
    assert response.status_code == 200
    assert "Nobody in the queue&#x27;s teams can serve it" in response.content.decode()
    assert not Queue.objects.filter(slug="passports").exists()
    bad_overflow = admin_client.post("/admin/routing/queue/add/", {
        **form, "required_skills": "{}", "overflow": '[{"after_s": 60, "teams": ["ghosts"]}]'})
    assert "unknown teams: ghosts" in bad_overflow.content.decode()
    accepted = admin_client.post("/admin/routing/queue/add/", {**form, "required_skills": "{}"})
    assert accepted.status_code == 302
    assert Queue.objects.filter(slug="passports").exists()


def test_check_queue_configuration_names_each_problem():
    from guichet.routing.actions import ConfigurationError, check_queue_configuration

    team = make_team()
    make_agent([team], languages=["en"], capacity={"chat": 3, "voice": 0})
    phone_queue = make_queue(team)
    make_inbox(phone_queue, channel="voice")
    with pytest.raises(ConfigurationError) as nobody:
        check_queue_configuration(phone_queue)
    assert "capacity for its channels (voice)" in nobody.value.messages[0]
    broken_hours = make_queue(team, always_open=False, business_hours={"1": [["8h", "17h"]]},
                              timezone="Mars/Olympus")
    with pytest.raises(ConfigurationError) as hours:
        check_queue_configuration(broken_hours)
    assert "Business hours must look like" in hours.value.messages[0]
    chat_queue = make_queue(team)
    make_inbox(chat_queue, channel="web")
    check_queue_configuration(chat_queue)  # someone can serve it: no error
