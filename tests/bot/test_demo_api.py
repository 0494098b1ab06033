"""The built-in DEMO government API and the demo flow set-up: the shipped flows work end to end in the demo."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guichet.bot.demo import load_demo_flows
from guichet.bot.demo_api import demo_secret
from guichet.bot.flows import integration_config, sign
from guichet.bot.models import Integration
from guichet.core.jobs import run_due_jobs
from guichet.core.models import Job
from tests.bot.conftest import a, make_bot_inbox

STATUS_URL = "/bot/demo-api/application-status/"
ADDRESS_URL = "/bot/demo-api/address-change/"


def signed_post(path: str, data: dict, *, secret: str | None = None, timestamp: int | None = None):
    body = json.dumps({"flow": "x", "reference": "GC-2026-000001", "language": "en", "data": data}).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return Client().post(path, body, content_type="application/json", HTTP_X_GUICHET_TIMESTAMP=stamp,
                         HTTP_X_GUICHET_SIGNATURE=sign(secret or demo_secret(), stamp, body))


@pytest.mark.django_db
def test_status_is_plausible_stable_and_labelled_demo():
    first = signed_post(STATUS_URL, {"reference": "AB123456", "birth_date": "1980-04-23"})
    assert first.status_code == 200
    answer = first.json()
    assert answer["status_en"] in {"received", "in review", "more information needed", "approved"}
    assert answer["detail_en"].endswith("(Demonstration data, not a real government record.)")
    assert answer["detail_fr"].endswith("(Données de démonstration, pas un vrai dossier du gouvernement.)")
    assert signed_post(STATUS_URL, {"reference": "AB123456", "birth_date": "1980-04-23"}).json() == answer
    others = {signed_post(STATUS_URL, {"reference": f"CD{n:06d}", "birth_date": "1990-01-01"}).json()["status_en"]
              for n in range(12)}
    assert len(others) > 1  # different files are at different stages


@pytest.mark.django_db
def test_address_change_is_accepted_with_a_confirmation_number():
    data = {"reference": "CD654321", "street": "123 rue Principale, Gatineau", "postal_code": "J8T 1A1",
            "effective_date": "2026-07-01"}
    response = signed_post(ADDRESS_URL, data)
    assert response.status_code == 200 and response.json()["accepted"] is True
    assert response.json()["confirmation"].startswith("DEMO-")
    bad = signed_post(ADDRESS_URL, {**data, "postal_code": "90210", "street": ""})
    assert bad.status_code == 422 and bad.json()["message"] == "Missing or invalid: postal_code, street."


@pytest.mark.django_db
@pytest.mark.parametrize("how, status, code", [
    ({"secret": "wrong"}, 401, "bad_signature"),
    ({"timestamp": 1_000_000_000}, 401, "bad_timestamp"),
])
def test_unsigned_or_stale_requests_are_refused(how, status, code):
    response = signed_post(STATUS_URL, {"reference": "AB123456", "birth_date": "1980-04-23"}, **how)
    assert response.status_code == status and response.json()["error"] == code


@pytest.mark.django_db
def test_bad_bodies_and_methods_get_clear_errors():
    assert signed_post(STATUS_URL, {"reference": "nope", "birth_date": "1980-04-23"}).status_code == 422
    assert Client().get(STATUS_URL).status_code == 405
    stamp = str(int(time.time()))
    response = Client().post(STATUS_URL, b"not json", content_type="application/json",
                             HTTP_X_GUICHET_TIMESTAMP=stamp, HTTP_X_GUICHET_SIGNATURE=sign(demo_secret(), stamp,
                                                                                          b"not json"))
    assert response.status_code == 400 and response.json()["error"] == "bad_json"


@pytest.mark.django_db
def test_demo_api_can_be_turned_off(settings):
    settings.GUICHET_DEMO_API = False
    assert signed_post(STATUS_URL, {"reference": "AB123456", "birth_date": "1980-04-23"}).status_code == 404


@pytest.mark.django_db
def test_load_demo_flows_points_the_integrations_here_without_overwriting_a_real_one(settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    Integration.objects.create(name="address_change", url="https://registry.example.gc.ca/address", secret="s")
    assert load_demo_flows() == 1
    assert load_demo_flows() == 0  # idempotent
    assert integration_config("application_status") == (f"http://127.0.0.1:8123{STATUS_URL}", demo_secret())
    assert integration_config("address_change") == ("https://registry.example.gc.ca/address", "s")
    settings.GUICHET_INTEGRATIONS = {"application_status": {"url": "https://cms.example.gc.ca/", "secret": "t"}}
    assert integration_config("application_status") == ("https://cms.example.gc.ca/", "t")  # settings win


async def next_of_kind(citizen, kind: str) -> dict:
    """The next bot message of this kind (flow.ask, flow.wait, flow.answer), skipping any said before it."""
    for _ in range(5):
        (message,) = await citizen.bot_messages(1)
        if message["metadata"].get("kind") == kind:
            return message
    raise AssertionError(f"no {kind} message")


def run_flow_jobs() -> None:
    """Run the integration job now (tests do not wait for retry backoffs)."""
    for _ in range(3):
        Job.objects.filter(status=Job.Status.PENDING).update(run_at=timezone.now() - timedelta(seconds=1))
        if not run_due_jobs(kinds={"bot.flow_call"}):
            return


@pytest.mark.django_db(transaction=True)
async def test_application_status_flow_over_the_widget_against_the_demo_api(demo_kb, open_citizen, live_server,
                                                                            settings):
    settings.PUBLIC_BASE_URL = live_server.url
    await a(load_demo_flows)
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "en")
    await citizen.say("What is the status of my application?")
    assert "reference number" in (await next_of_kind(citizen, "flow.ask"))["body"]
    await citizen.say("ab123456")
    assert "date of birth" in (await next_of_kind(citizen, "flow.ask"))["body"]
    await citizen.say("1980-04-23")
    assert (await next_of_kind(citizen, "flow.wait"))["body"] == "One moment, I am checking…"
    await a(run_flow_jobs)
    answer = await next_of_kind(citizen, "flow.answer")
    expected = (await a(lambda: signed_post(STATUS_URL, {"reference": "AB123456", "birth_date": "1980-04-23"}))
                ).json()
    assert answer["body"] == f"Application AB123456: {expected['status_en']}. {expected['detail_en']}"
    assert answer["metadata"]["kind"] == "flow.answer"
    await citizen.close()


@pytest.mark.django_db(transaction=True)
async def test_change_address_flow_in_french_over_the_widget_against_the_demo_api(demo_kb, open_citizen,
                                                                                  live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    await a(load_demo_flows)
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "fr")
    await citizen.say("Bonjour")
    await citizen.bot_messages(1)
    await citizen.press("flow.start", "change-address")
    assert "numéro de référence" in (await next_of_kind(citizen, "flow.ask"))["body"]
    for text in ("CD654321", "123 rue Principale, app. 4, Gatineau", "j8t 1a1"):
        await citizen.say(text)
        await next_of_kind(citizen, "flow.ask")
    await citizen.say("2026-07-01")
    await next_of_kind(citizen, "flow.wait")
    await a(run_flow_jobs)
    answer = await next_of_kind(citizen, "flow.answer")
    assert answer["body"].startswith("C'est fait : à partir du 2026-07-01, nous vous écrirons au "
                                     "123 rue Principale, app. 4, Gatineau, J8T 1A1.")
    assert "Numéro de confirmation : DEMO-" in answer["body"]
    await citizen.close()
