"""Twilio-style webhook signatures (HMAC-SHA1 of URL + sorted form fields), checked with `twilio`'s own
RequestValidator. The auth token comes from the environment variable named in the inbox config."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from guichet.conversations.models import Inbox
from guichet.omnichannel.adapters.base import InboundRejected

logger = logging.getLogger("guichet.omnichannel")


def auth_token(inbox: Inbox) -> str:
    env_name = str((inbox.config or {}).get("auth_token_env", "GUICHET_TWILIO_AUTH_TOKEN"))
    return os.environ.get(env_name, "")


def account_sid(inbox: Inbox) -> str:
    config = inbox.config or {}
    return str(config.get("account_sid") or os.environ.get(str(config.get("account_sid_env", "")), "")
               or os.environ.get("GUICHET_TWILIO_ACCOUNT_SID", ""))


def candidate_urls(request: HttpRequest) -> list[str]:
    """The URL Twilio signed: as this server sees it, and as the public base URL says (behind a proxy)."""
    public = str(getattr(settings, "PUBLIC_BASE_URL", "")).rstrip("/") + request.get_full_path()
    return list(dict.fromkeys([request.build_absolute_uri(), public]))


def validate_request(inbox: Inbox, request: HttpRequest) -> dict[str, str]:
    """Return the form fields if the signature is valid; otherwise raise InboundRejected(403)."""
    token = auth_token(inbox)
    if not token:
        logger.error("twilio.no_auth_token inbox=%s", inbox.slug)
        raise InboundRejected("no auth token configured for this inbox", 403)
    signature = request.headers.get("X-Twilio-Signature", "")
    params = {key: request.POST.get(key, "") for key in request.POST}
    validator = RequestValidator(token)
    if not signature or not any(validator.validate(url, params, signature) for url in candidate_urls(request)):
        logger.warning("twilio.bad_signature inbox=%s path=%s", inbox.slug, request.path)
        raise InboundRejected("invalid signature", 403)
    return params
