"""Guided flows against a fake government API: success, timeout, garbage and server errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.bot.flows import FlowDefinitionError, parse_definition, shipped_flows
from guichet.bot.models import Flow
from guichet.conversations import actions
from guichet.conversations.models import Conversation, Message
from guichet.core.jobs import run_due_jobs
from guichet.core.models import Job
from tests.bot.conftest import make_bot_inbox
from tests.bot.fake_gov_api import SECRET, FakeGovernmentApi
from tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gov_api(settings):
    with FakeGovernmentApi() as api:
        settings.GUICHET_INTEGRATIONS = {
            "application_status": {"url": api.url + "/status", "secret": SECRET},
            "address_change": {"url": api.url + "/address", "secret": SECRET},
        }
        yield api


class Chat:
    """A citizen on a channel without a socket (the bot answers after commit, inline)."""

    def __init__(self, language: str = "en"):
        inbox = make_bot_inbox()
        self.conversation = actions.start_conversation(make_contact(), inbox, language=language)
        self.seen = 0

    def say(self, text: str) -> list[Message]:
        actions.receive_message(self.conversation, text)
        return self.replies()

    def replies(self) -> list[Message]:
        new = list(Message.objects.filter(conversation=self.conversation, seq__gt=self.seen,
                                          author_kind__in=["bot", "system"]).order_by("seq"))
        self.seen = Message.objects.filter(conversation=self.conversation).order_by("-seq").first().seq
        return new

    def refresh(self) -> Conversation:
        self.conversation.refresh_from_db()
        return self.conversation


def run_jobs_now() -> None:
    """Run due jobs, then any retry whose backoff has not elapsed yet (tests do not wait)."""
    for _ in range(5):
        Job.objects.filter(status=Job.Status.PENDING).update(run_at=timezone.now() - timedelta(seconds=1))
        if not run_due_jobs(kinds={"bot.flow_call"}):
            return


def test_application_status_flow_end_to_end(demo_kb, gov_api):
    chat = Chat("en")
    replies = chat.say("What is the status of my application?")
    assert replies[-1].metadata["kind"] == "flow.ask"
    assert "reference number" in replies[-1].body
    assert chat.say("not a reference")[-1].body.startswith("That does not look like a reference number")
    assert "date of birth" in chat.say("ab123456")[-1].body
    assert chat.say("1980-04-23")[-1].body == "One moment, I am checking…"
    run_jobs_now()
    (answer,) = chat.replies()
    assert answer.body == "Application AB123456: approved. Your card will arrive within 10 business days."
    (request,) = gov_api.requests
    assert request["signature_ok"] is True
    assert request["body"]["data"] == {"reference": "AB123456", "birth_date": "1980-04-23"}
    assert chat.refresh().status == "bot"


def test_change_address_flow_in_french_by_button(demo_kb, gov_api):
    from guichet.bot.widget_actions import on_flow_start

    chat = Chat("fr")
    on_flow_start(chat.conversation, None, "change-address")
    assert "numéro de référence" in chat.replies()[-1].body
    chat.say("CD654321")
    chat.say("123 rue Principale, app. 4, Gatineau")
    assert chat.say("90210")[-1].body.startswith("Ce n'est pas un code postal canadien")
    chat.say("j8t 1a1")
    chat.say("2026-07-01")
    run_jobs_now()
    (answer,) = chat.replies()
    assert "J8T 1A1" in answer.body and "CONF-42" in answer.body
    assert answer.body.startswith("C'est fait")


def quick_flow() -> None:
    """An admin-edited copy of the shipped flow with a short timeout and one retry (overrides the file)."""
    definition = dict(shipped_flows()["application-status"].__dict__)
    steps = [dict(step) for step in definition["steps"]]
    steps[2].update(timeout_s=0.5, retries=1)
    Flow.objects.create(slug="application-status", definition={"title": definition["title"], "steps": steps})


@pytest.mark.parametrize("mode", ["slow", "garbage", "error"])
def test_integration_failure_is_apologised_and_handed_off_with_answers(demo_kb, gov_api, mode):
    quick_flow()
    gov_api.mode = mode
    chat = Chat("en")
    chat.say("I want to check my application status")
    chat.say("AB123456")
    chat.say("23/04/1980")
    run_jobs_now()
    apology, handoff = chat.replies()
    assert apology.body.startswith("Sorry, I could not check this right now.")
    assert "passing your conversation to an agent" in handoff.body
    conversation = chat.refresh()
    assert conversation.status == "queued"
    context = conversation.handoff_context
    assert context["reason"] == "integration_failed"
    assert context["answers"] == {"reference": "AB123456", "birth_date": "1980-04-23"}
    assert context["flow"] == "application-status"
    # Transient failures (timeout, 500) are retried once; a garbage answer is not.
    assert len(gov_api.requests) == (1 if mode == "garbage" else 2)


def test_missing_integration_url_hands_off(demo_kb, settings):
    settings.GUICHET_INTEGRATIONS = {}
    chat = Chat("en")
    chat.say("check my application status")
    chat.say("AB123456")
    chat.say("1980-04-23")
    run_jobs_now()
    assert chat.refresh().handoff_context["reason"] == "integration_failed"


def test_three_invalid_answers_hand_off_keeping_what_was_typed(demo_kb, gov_api):
    chat = Chat("en")
    chat.say("check my application status")
    for attempt in ("123", "abc", "A1B2C3"):
        chat.say(attempt)
    conversation = chat.refresh()
    assert conversation.status == "queued"
    assert conversation.handoff_context["reason"] == "flow_invalid_input"
    assert conversation.handoff_context["answers"] == {"reference_as_typed": "A1B2C3"}


def test_cancel_and_ask_for_a_person_during_a_flow(demo_kb, gov_api):
    from guichet.bot.widget_actions import on_flow_cancel

    chat = Chat("en")
    chat.say("check my application status")
    on_flow_cancel(chat.conversation, None, "yes")
    assert "I stopped" in chat.replies()[-1].body
    chat.say("check my application status")
    chat.say("AB123456")
    chat.say("talk to a person please")
    assert chat.refresh().handoff_context["answers"] == {"reference": "AB123456"}


def test_flow_definitions_are_validated_with_clear_problems():
    with pytest.raises(FlowDefinitionError) as error:
        parse_definition("broken", {"title": {"en": "X"}, "steps": [
            {"type": "ask", "slot": "Bad Slot", "prompt": {"en": "?"}},
            {"type": "ask", "slot": "code", "prompt": "not a dict", "validate": {"kind": "pattern", "pattern": "("}},
            {"type": "call", "integration": "", "send": ["missing"]},
            {"type": "answer", "template": {"en": "{nowhere}"}},
            {"type": "teleport"},
        ]})
    problems = "\n".join(error.value.problems)
    assert "steps[1].slot" in problems
    assert "steps[2].prompt" in problems and "steps[2].validate.pattern: not a valid regular expression" in problems
    assert "steps[3].integration" in problems and "steps[3].send: not asked before this step: missing" in problems
    assert "steps[4].template: '{nowhere}'" in problems
    assert "steps[5].type" in problems


def test_admin_flow_model_refuses_an_invalid_definition():
    from django.core.exceptions import ValidationError

    flow = Flow(slug="bad", definition={"title": {"en": "Bad"}, "steps": []})
    with pytest.raises(ValidationError, match="steps: must be a non-empty list"):
        flow.full_clean()
