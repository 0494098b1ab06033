"""The phone menu edited in the admin is validated before it reaches callers."""

import pytest
from django import forms
from django.test import Client

from guichet.conversations.models import Inbox
from guichet.omnichannel.admin import check_ivr_menu
from tests.factories import make_agent, make_inbox, make_queue

pytestmark = pytest.mark.django_db


def test_menu_entries_are_checked():
    make_queue(slug="benefits")
    good = [{"digit": 1, "label_en": " benefits ", "label_fr": "les prestations", "queue": "benefits"}]
    assert check_ivr_menu(good) == [{"digit": "1", "label_en": "benefits", "label_fr": "les prestations",
                                     "queue": "benefits"}]
    for bad in [{"digit": "1"}, [good[0], good[0]], [{**good[0], "digit": "9"}], [{**good[0], "queue": "nope"}],
                [{**good[0], "label_fr": ""}], ["text"]]:
        with pytest.raises(forms.ValidationError):
            check_ivr_menu(bad)


def test_admin_saves_the_menu_into_the_inbox_config():
    queue = make_queue(slug="general")
    inbox = make_inbox(queue, channel="voice", slug="line", config={"number": "+15145550199"})
    make_agent(role="admin", username="boss")
    client = Client()
    client.login(username="boss", password="correct-horse-battery-staple")
    page = client.get(f"/admin/omnichannel/voiceline/{inbox.pk}/change/")
    assert page.status_code == 200
    menu = '[{"digit": "1", "label_en": "general", "label_fr": "général", "queue": "general"}]'
    response = client.post(f"/admin/omnichannel/voiceline/{inbox.pk}/change/", {
        "name_en": inbox.name_en, "name_fr": inbox.name_fr, "languages": '["en", "fr"]', "bot_enabled": "",
        "default_queue": queue.pk, "ivr_menu": menu})
    assert response.status_code == 302
    config = Inbox.objects.get(pk=inbox.pk).config
    assert config["ivr_menu"][0]["queue"] == "general" and config["number"] == "+15145550199"
    refused = client.post(f"/admin/omnichannel/voiceline/{inbox.pk}/change/", {
        "name_en": inbox.name_en, "name_fr": inbox.name_fr, "languages": '["en", "fr"]',
        "default_queue": queue.pk, "ivr_menu": '[{"digit": "1", "queue": "nope"}]'})
    assert refused.status_code == 200 and Inbox.objects.get(pk=inbox.pk).config == config


def test_demo_phone_line_gets_a_menu_and_credentials_once():
    from guichet.omnichannel.demo import configure_demo_channels

    general, _benefits = make_queue(slug="general"), make_queue(slug="benefits")
    make_inbox(general, channel="voice", slug="demo-voice", config={"number": "+15145550199"})
    make_inbox(general, channel="sms", slug="demo-sms", config={"number": "+15145550100"})
    assert set(configure_demo_channels()) == {"demo-voice", "demo-sms"}
    voice = Inbox.objects.get(slug="demo-voice")
    assert [entry["queue"] for entry in voice.config["ivr_menu"]] == ["benefits", "general"]
    assert voice.config["number"] == "+15145550199" and voice.config["account_sid"].startswith("AC")
    assert Inbox.objects.get(slug="demo-sms").config["auth_token_env"] == "GUICHET_TWILIO_AUTH_TOKEN"
    voice.config = {**voice.config, "ivr_menu": []}  # an operator removed the menu: kept that way
    voice.save()
    assert configure_demo_channels() == []
    assert Inbox.objects.get(slug="demo-voice").config["ivr_menu"] == []
