"""DEMO ONLY: a pretend government back office, so the two shipped flows work in the demo without a real system.

    POST /bot/demo-api/application-status/   {"flow", "reference", "language", "data": {"reference", "birth_date"}}
    POST /bot/demo-api/address-change/       {..., "data": {"reference", "street", "postal_code", "effective_date"}}

Requests are checked exactly as a real integration should check Guichet's calls (see bot/flows.py): an
HMAC-SHA256 `X-Guichet-Signature: sha256=<hex>` over "<timestamp>.<body>", with `X-Guichet-Timestamp` no more
than five minutes old. The shared secret is derived from the site's SECRET_KEY (`demo_secret()`), and
`bot.demo.load_demo_flows()` stores it with the `Integration` rows that point the flows here.

Nothing is looked up or stored: application statuses are made up from the reference number (the same number
always gives the same answer) and every answer says it is demonstration data. Turn the whole API off with
GUICHET_DEMO_API = False.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

MAX_CLOCK_SKEW_S = 300
MAX_BODY_BYTES = 16_000
REFERENCE = re.compile(r"^[A-Z]{2}\d{6}$")
POSTAL_CODE = re.compile(r"^[A-Z]\d[A-Z] \d[A-Z]\d$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEMO_NOTE_EN = "(Demonstration data, not a real government record.)"
DEMO_NOTE_FR = "(Données de démonstration, pas un vrai dossier du gouvernement.)"

# Plausible stages of an application; the reference number picks one, always the same.
STATUSES = [
    {"status_en": "received", "status_fr": "reçue",
     "detail_en": "We have your application and will start reviewing it within 5 business days.",
     "detail_fr": "Nous avons reçu votre demande et commencerons à l'examiner d'ici 5 jours ouvrables."},
    {"status_en": "in review", "status_fr": "en cours d'examen",
     "detail_en": "An officer is reviewing your application. The usual processing time is 20 business days.",
     "detail_fr": "Un agent examine votre demande. Le délai de traitement habituel est de 20 jours ouvrables."},
    {"status_en": "more information needed", "status_fr": "renseignements manquants",
     "detail_en": "We sent you a letter asking for a missing document. Please answer it within 30 days.",
     "detail_fr": "Nous vous avons envoyé une lettre demandant un document manquant. Veuillez y répondre "
                  "d'ici 30 jours."},
    {"status_en": "approved", "status_fr": "approuvée",
     "detail_en": "Your document will arrive by mail within 10 business days.",
     "detail_fr": "Votre document arrivera par la poste d'ici 10 jours ouvrables."},
]


def demo_secret() -> str:
    """The demo API's signing secret: derived from SECRET_KEY, so it is never the key itself."""
    return hmac.new(settings.SECRET_KEY.encode(), b"guichet.bot.demo_api", hashlib.sha256).hexdigest()


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, "demo": True}, status=status)


def _verified_data(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    """The request's "data" object when the signature and timestamp are right, else the error response."""
    if not getattr(settings, "GUICHET_DEMO_API", True):
        raise Http404
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _error("too_large", "The request body is too large.", 413)
    timestamp = request.headers.get("X-Guichet-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_S:
        return _error("bad_timestamp", "X-Guichet-Timestamp is missing or more than 5 minutes off.", 401)
    expected = "sha256=" + hmac.new(demo_secret().encode(), timestamp.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Guichet-Signature", "")):
        return _error("bad_signature", "The X-Guichet-Signature header does not match the body.", 401)
    try:
        payload = json.loads(body)
    except ValueError:
        return _error("bad_json", "The body must be a JSON object.", 400)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return _error("bad_json", "The body must be a JSON object with a \"data\" object.", 400)
    return data


def _field(data: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> str | None:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or (pattern and not pattern.match(value)):
        return None
    return value.strip()


def status_for(reference: str) -> dict[str, str]:
    """The same made-up stage for the same reference number."""
    stage = STATUSES[int(hashlib.sha256(reference.encode()).hexdigest(), 16) % len(STATUSES)]
    return {**stage, "detail_en": f"{stage['detail_en']} {DEMO_NOTE_EN}",
            "detail_fr": f"{stage['detail_fr']} {DEMO_NOTE_FR}"}


@csrf_exempt
@require_POST
def application_status(request: HttpRequest) -> JsonResponse:
    data = _verified_data(request)
    if isinstance(data, JsonResponse):
        return data
    reference = _field(data, "reference", REFERENCE)
    if reference is None or _field(data, "birth_date", DATE) is None:
        return _error("invalid_data", "reference (AB123456) and birth_date (YYYY-MM-DD) are required.", 422)
    return JsonResponse({**status_for(reference), "reference": reference, "demo": True})


@csrf_exempt
@require_POST
def address_change(request: HttpRequest) -> JsonResponse:
    data = _verified_data(request)
    if isinstance(data, JsonResponse):
        return data
    fields = {"reference": _field(data, "reference", REFERENCE), "street": _field(data, "street"),
              "postal_code": _field(data, "postal_code", POSTAL_CODE),
              "effective_date": _field(data, "effective_date", DATE)}
    missing = sorted(name for name, value in fields.items() if value is None)
    if missing:
        return _error("invalid_data", f"Missing or invalid: {', '.join(missing)}.", 422)
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:8].upper()
    return JsonResponse({"confirmation": f"DEMO-{digest}", "accepted": True, "demo": True})
