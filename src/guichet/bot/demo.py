"""Demo set-up of the virtual agent's guided flows (called by `python -m guichet seed_demo`).

The two shipped flows ("application-status", "change-address") call the integrations `application_status`
and `address_change`. Without a configured government system they would always hand off, so the demo points
both at the built-in DEMO government API (bot/demo_api.py, under /bot/demo-api/) through `Integration` rows
in the database, signed with `demo_api.demo_secret()`. An operator's own configuration (settings
GUICHET_INTEGRATIONS, GUICHET_INTEGRATION_<NAME>_URL, or an Integration row that points elsewhere) is left
alone.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from guichet.bot.demo_api import demo_secret
from guichet.bot.models import Integration

DEMO_INTEGRATIONS = {
    "application_status": "bot:demo_api_application_status",
    "address_change": "bot:demo_api_address_change",
}


def load_demo_flows() -> int:
    """Point the shipped flows' integrations at the demo API; returns how many rows were created or refreshed."""
    changed = 0
    for name, url_name in DEMO_INTEGRATIONS.items():
        path = reverse(url_name)
        row = Integration.objects.filter(name=name).first()
        if row is not None and row.url != path:
            continue  # configured for a real system: never overwritten by the demo
        if row is not None and row.secret == demo_secret() and row.enabled:
            continue
        Integration.objects.update_or_create(name=name, defaults={
            "url": path, "secret": demo_secret(), "enabled": True, "updated_at": timezone.now()})
        changed += 1
    return changed
