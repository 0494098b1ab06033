"""Demo configuration for the phone and SMS inboxes that `seed_demo` creates (demo-voice, demo-sms).

`configure_demo_channels()` adds what those inboxes need to be tried with `python -m guichet voice simulate`:
a bilingual phone menu and provider credentials read from the environment. Idempotent and conservative, like
the rest of the demo data: only missing keys are added, so an operator's changes are kept.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from guichet.conversations.models import Inbox
from guichet.omnichannel.admin import check_ivr_menu

# A placeholder account: the demo never reaches a real provider (point api_base at one to send for real).
DEMO_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEMO_CREDENTIALS = {"account_sid": DEMO_ACCOUNT_SID, "auth_token_env": "GUICHET_TWILIO_AUTH_TOKEN"}
DEMO_IVR_MENU = [
    {"digit": "1", "label_en": "benefits", "label_fr": "les prestations", "queue": "benefits"},
    {"digit": "2", "label_en": "anything else", "label_fr": "autre chose", "queue": "general"},
]
DEMO_CONFIG: dict[str, dict[str, Any]] = {
    "demo-voice": {**DEMO_CREDENTIALS, "ivr_menu": DEMO_IVR_MENU},
    "demo-sms": dict(DEMO_CREDENTIALS),
}


def configure_demo_channels() -> list[str]:
    """Add the missing demo keys to demo-voice/demo-sms; returns the slugs changed."""
    changed = []
    with transaction.atomic():
        for inbox in Inbox.objects.select_for_update().filter(slug__in=list(DEMO_CONFIG)):
            wanted = dict(DEMO_CONFIG[inbox.slug])
            if "ivr_menu" in wanted:
                wanted["ivr_menu"] = check_ivr_menu(wanted["ivr_menu"])  # the demo queues exist (seeded first)
            missing = {key: value for key, value in wanted.items() if key not in (inbox.config or {})}
            if missing:
                inbox.config = {**(inbox.config or {}), **missing}
                inbox.save(update_fields=["config"])
                changed.append(inbox.slug)
    return changed
