"""Signed citizen tokens: kept by the browser, they grant exactly one contact's conversations in one inbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

SALT = "guichet.citizen-token.v1"


@dataclass(frozen=True)
class CitizenGrant:
    contact_id: int
    inbox_slug: str
    session_id: str


class InvalidToken(Exception):
    pass


def issue_citizen_token(contact_id: int, inbox_slug: str, session_id: str) -> str:
    return signing.dumps({"c": contact_id, "i": inbox_slug, "s": session_id}, salt=SALT, compress=True)


def read_citizen_token(token: str, inbox_slug: str) -> CitizenGrant:
    if not isinstance(token, str) or len(token) > 1000:
        raise InvalidToken("malformed token")
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.GUICHET_CITIZEN_TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise InvalidToken("expired token") from exc
    except signing.BadSignature as exc:
        raise InvalidToken("forged or damaged token") from exc
    if data.get("i") != inbox_slug:
        raise InvalidToken("token belongs to another inbox")
    return CitizenGrant(contact_id=int(data["c"]), inbox_slug=data["i"], session_id=str(data["s"]))
