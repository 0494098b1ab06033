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
