"""Guided self-service flows: declarative steps that ask for values, call an integration and answer.

A definition (YAML file in bot/flows/ or a `Flow` row edited in the admin, which wins over a file):

    slug: application-status
    title: {en: Check my application status, fr: Vérifier l'état de ma demande}
    steps:
      - {type: ask, slot: reference, prompt: {en: ..., fr: ...}, error: {en: ..., fr: ...},
         validate: {kind: pattern, pattern: '^[A-Z]{2}\\d{6}$', upper: true}}
      - {type: ask, slot: birth_date, prompt: {...}, validate: {kind: date}}
      - {type: call, integration: application_status, send: [reference, birth_date], timeout_s: 5, retries: 2}
      - {type: answer, template: {en: "Application {reference}: {result.status}", fr: "..."}}
      - {type: handoff, reason: flow_done}            # optional: give the case to a person

Validator kinds: text (min_length/max_length), pattern (regex, optional upper), date (YYYY-MM-DD or
DD/MM/YYYY, optional past: true), postal_code_ca, phone, email, choice (options: [...]).
Integrations are named; their URL and signing secret come from settings.GUICHET_INTEGRATIONS
({"name": {"url", "secret"}}), the environment (GUICHET_INTEGRATION_<NAME>_URL / _SECRET), or else an
`Integration` row edited in the admin (a URL starting with "/" is a path on this site, joined to
PUBLIC_BASE_URL; `bot.demo.load_demo_flows()` points both shipped flows at the demo API). The request
body is JSON, signed with HMAC-SHA256 in the `X-Guichet-Signature: sha256=<hex>` header over
"<timestamp>.<body>" (timestamp in `X-Guichet-Timestamp`), and runs in a background job with retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from django.conf import settings

FLOW_DIR = Path(__file__).resolve().parent / "flows"
STEP_TYPES = ("ask", "call", "answer", "handoff")
VALIDATOR_KINDS = ("text", "pattern", "date", "postal_code_ca", "phone", "email", "choice")
_SLOT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)?)\}")
_POSTAL_CA = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]) ?(\d[ABCEGHJ-NPRSTV-Z]\d)$")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)*\.[a-zA-Z]{2,}$")
MAX_RESULT_VALUE = 300


class FlowDefinitionError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class IntegrationFailure(Exception):
    """The integration cannot give a usable answer; `transient` failures are retried."""

    def __init__(self, reason: str, *, transient: bool):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class FlowDefinition:
    slug: str
    title: dict[str, str]
    steps: list[dict[str, Any]] = field(default_factory=list)

    def title_in(self, language: str) -> str:
        return self.title.get(language) or next(iter(self.title.values()), self.slug)


def _check_texts(value: Any, where: str, problems: list[str], required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, dict) or not value or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()):
        problems.append(f"{where}: must map language codes to non-empty texts, e.g. {{en: ..., fr: ...}}")
    elif "en" not in value and "fr" not in value:
        problems.append(f"{where}: needs at least an 'en' or 'fr' text")


def _check_validator(spec: Any, where: str, problems: list[str]) -> None:
    if spec is None:
        return
    if not isinstance(spec, dict) or spec.get("kind") not in VALIDATOR_KINDS:
        problems.append(f"{where}.validate: kind must be one of {', '.join(VALIDATOR_KINDS)}")
        return
    if spec["kind"] == "pattern":
        try:
            re.compile(str(spec.get("pattern", "")))
        except re.error as error:
            problems.append(f"{where}.validate.pattern: not a valid regular expression ({error})")
        if not spec.get("pattern"):
            problems.append(f"{where}.validate.pattern: required for kind 'pattern'")
    if spec["kind"] == "choice" and not (isinstance(spec.get("options"), list) and spec["options"]):
        problems.append(f"{where}.validate.options: a non-empty list is required for kind 'choice'")


def parse_definition(slug: str, data: Any) -> FlowDefinition:
    """Validate a flow definition; every problem is listed with where it is."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise FlowDefinitionError(["the definition must be an object with 'title' and 'steps'"])
    _check_texts(data.get("title"), "title", problems)
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.append("steps: must be a non-empty list")
        steps = []
    slots: set[str] = set()
    for position, step in enumerate(steps, start=1):
        where = f"steps[{position}]"
        if not isinstance(step, dict) or step.get("type") not in STEP_TYPES:
            problems.append(f"{where}.type: must be one of {', '.join(STEP_TYPES)}")
            continue
        kind = step["type"]
        if kind == "ask":
            slot = step.get("slot")
            if not isinstance(slot, str) or not _SLOT.match(slot):
                problems.append(f"{where}.slot: lower-case letters, digits and '_', starting with a letter")
            elif slot in slots:
                problems.append(f"{where}.slot: '{slot}' is asked twice")
            else:
                slots.add(slot)
            _check_texts(step.get("prompt"), f"{where}.prompt", problems)
            _check_texts(step.get("error"), f"{where}.error", problems, required=False)
            _check_validator(step.get("validate"), where, problems)
        elif kind == "call":
            if not isinstance(step.get("integration"), str) or not step["integration"]:
                problems.append(f"{where}.integration: the integration's name is required")
            unknown = [name for name in step.get("send", []) if name not in slots]
            if unknown:
                problems.append(f"{where}.send: not asked before this step: {', '.join(map(str, unknown))}")
            for number in ("timeout_s", "retries"):
                value = step.get(number, 1)
                if not isinstance(value, int | float) or value < 0 or value > 60:
                    problems.append(f"{where}.{number}: a number between 0 and 60")
        elif kind == "answer":
            _check_texts(step.get("template"), f"{where}.template", problems)
            for text in (step.get("template") or {}).values() if isinstance(step.get("template"), dict) else ():
                for name in _PLACEHOLDER.findall(str(text)):
                    if not name.startswith("result.") and name not in slots:
                        problems.append(f"{where}.template: '{{{name}}}' is neither a slot nor result.<field>")
        elif kind == "handoff":
            _check_texts(step.get("message"), f"{where}.message", problems, required=False)
    if problems:
        raise FlowDefinitionError(problems)
    return FlowDefinition(slug=slug, title=dict(data["title"]), steps=list(steps))


@lru_cache(maxsize=1)
def shipped_flows() -> dict[str, FlowDefinition]:
    flows = {}
    for path in sorted(FLOW_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        slug = data.get("slug") or path.stem
        flows[slug] = parse_definition(slug, data)
    return flows


def get_flow(slug: str) -> FlowDefinition | None:
    """An enabled admin-edited flow wins over the shipped file of the same slug."""
    from guichet.bot.models import Flow

    row = Flow.objects.filter(slug=slug).first()
    if row is not None:
        if not row.enabled:
            return None
        try:
            return parse_definition(row.slug, row.definition)
        except FlowDefinitionError:
            return None
    return shipped_flows().get(slug)


def text_in(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()))


# --- validation of what the citizen types --------------------------------------------------------------


def validate_value(spec: dict[str, Any] | None, raw: str) -> str | None:
    """The normalised value, or None when it does not fit (the flow then repeats its error and prompt)."""
    value = raw.strip()
    spec = spec or {"kind": "text"}
    kind = spec.get("kind", "text")
    if kind == "text":
        return value if spec.get("min_length", 1) <= len(value) <= spec.get("max_length", 500) else None
    if kind == "pattern":
        candidate = value.upper() if spec.get("upper") else value
        return candidate if re.fullmatch(spec["pattern"], candidate) else None
    if kind == "date":
        return _parse_date(value, past=bool(spec.get("past")))
    if kind == "postal_code_ca":
        match = _POSTAL_CA.match(value.upper())
        return f"{match.group(1)} {match.group(2)}" if match else None
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, "CA")
        except phonenumbers.NumberParseException:
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) \
            if phonenumbers.is_valid_number(number) else None
    if kind == "email":
        return value.lower() if _EMAIL.match(value) else None
    if kind == "choice":
        options = {str(option).lower(): str(option) for option in spec.get("options", [])}
        return options.get(value.lower())
    return None


def _parse_date(value: str, *, past: bool) -> str | None:
    parsed: date | None = None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y"):
        try:
            parsed = datetime.strptime(value, pattern).date()
            break
        except ValueError:
            continue
    if parsed is None or parsed.year < 1900 or (past and parsed > date.today()):
        return None
    return parsed.isoformat()


# --- integrations -----------------------------------------------------------------------------------


def integration_config(name: str) -> tuple[str, str]:
    """(url, secret): settings, then the environment, then an enabled `Integration` row."""
    configured = getattr(settings, "GUICHET_INTEGRATIONS", {}).get(name, {})
    env_name = re.sub(r"[^A-Z0-9]", "_", name.upper())
    url = configured.get("url") or os.environ.get(f"GUICHET_INTEGRATION_{env_name}_URL", "")
    secret = configured.get("secret") or os.environ.get(f"GUICHET_INTEGRATION_{env_name}_SECRET", "")
    if not url:
        from guichet.bot.models import Integration

        row = Integration.objects.filter(name=name, enabled=True).first()
        if row is not None:
            url, secret = row.url, secret or row.secret
    if url.startswith("/"):  # a path on this site (the demo API)
        url = getattr(settings, "PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/") + url
    return url, secret or settings.SECRET_KEY


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def call_integration(name: str, payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """POST the payload, signed; a JSON object back is success, anything else an IntegrationFailure."""
    import httpx

    url, secret = integration_config(name)
    if not url:
        raise IntegrationFailure(f"integration {name!r} has no URL configured", transient=False)
    body = json.dumps(payload, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Guichet-Timestamp": timestamp,
               "X-Guichet-Signature": sign(secret, timestamp, body)}
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.TimeoutException as error:
        raise IntegrationFailure("timeout", transient=True) from error
    except httpx.HTTPError as error:
        raise IntegrationFailure(f"connection failed: {error}", transient=True) from error
    if response.status_code >= 500:
        raise IntegrationFailure(f"server error {response.status_code}", transient=True)
    if response.status_code >= 400:
        raise IntegrationFailure(f"rejected with {response.status_code}", transient=False)
    try:
        data = response.json()
    except ValueError as error:
        raise IntegrationFailure("response is not JSON", transient=False) from error
    if not isinstance(data, dict):
        raise IntegrationFailure("response is not a JSON object", transient=False)
    return {str(key)[:40]: _plain_value(value) for key, value in data.items()}


def _plain_value(value: Any) -> str:
    """Integration values are shown to citizens: text only, no control characters, bounded."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)[:MAX_RESULT_VALUE]


def fill_template(template: str, answers: dict[str, Any], result: dict[str, Any]) -> str:
    """Replace {slot} and {result.field}; a missing result field means the integration's answer is unusable."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("result."):
            key = name.split(".", 1)[1]
            if key not in result:
                raise IntegrationFailure(f"response has no field {key!r}", transient=False)
            return str(result[key])
        return str(answers.get(name, ""))

    return _PLACEHOLDER.sub(replace, template)
