"""Writes of the analytics app: satisfaction surveys and the lifecycle hook that keeps reports current.

`check_*` validate (raising `SurveyError` with a message for the citizen) before anything is stored.
Other apps call:
- `record_sms_survey_reply(conversation, text) -> bool` (SMS inbound: True when the text was a survey answer
  and must not be treated as a new message),
- `on_conversation_resolved(conversation)` runs from `conversations.actions.RESOLVE_HOOKS`.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.analytics.facts import record_conversation
from guichet.analytics.models import SurveyRequest
from guichet.conversations import actions as conversation_actions
from guichet.conversations.models import Conversation, Message

logger = logging.getLogger("guichet.analytics")

SURVEY_ACTION = "survey.rate"
SURVEY_SCALE = 5
SURVEY_SALT = "guichet.analytics.survey"
MAX_COMMENT_CHARS = 2000
SURVEY_CHANNELS = ("web", "email", "sms")
_SMS_DIGIT = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")


class SurveyError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def survey_window(channel: str) -> timedelta:
    if channel == "sms":
        return timedelta(seconds=getattr(settings, "GUICHET_SURVEY_SMS_WINDOW_S", 24 * 3600))
    return timedelta(seconds=getattr(settings, "GUICHET_SURVEY_WINDOW_S", 7 * 24 * 3600))


# --- validation ---------------------------------------------------------------------------------------


def check_rating(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SURVEY_SCALE:
        raise SurveyError("invalid_rating", _("Choose a rating from 1 (very dissatisfied) to 5 (very satisfied)."))
    return value


def check_comment(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SurveyError("invalid_comment", _("The comment must be text."))
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise SurveyError("comment_too_long", _("The comment is too long (%(count)d characters; the limit is "
                                                "%(limit)d).") % {"count": len(text), "limit": MAX_COMMENT_CHARS})
    return text


def check_open(survey: SurveyRequest | None, *, allow_change: bool = True) -> SurveyRequest:
    if survey is None:
        raise SurveyError("no_survey", _("There is no satisfaction survey to answer for this conversation."), 404)
    if timezone.now() - survey.asked_at > survey_window(survey.channel):
        raise SurveyError("survey_closed", _("This satisfaction survey has closed. Thank you all the same."), 410)
    if survey.answered_at is not None and not allow_change:
        raise SurveyError("already_answered", _("You have already answered this survey. Thank you."), 409)
    return survey


# --- asking -------------------------------------------------------------------------------------------


def on_conversation_resolved(conversation: Conversation) -> None:
    """RESOLVE_HOOKS: update the report aggregates, then ask the citizen how it went.

    Runs inside the agent's resolving transaction: a failure here is logged and rolled back to a savepoint so
    that it never stops the resolution (the nightly rollup repairs the aggregates).
    """
    from guichet.analytics.jobs import schedule_nightly_rollup

    for step in (record_conversation, ask_survey):
        try:
            with transaction.atomic():
                step(conversation)
        except Exception:  # noqa: BLE001 - reports and surveys must not block the citizen's resolution
            logger.exception("analytics.hook_failed step=%s ref=%s", step.__name__, conversation.reference)
    schedule_nightly_rollup()


def ask_survey(conversation: Conversation) -> SurveyRequest | None:
    """Ask for a 1-5 rating on the channel the citizen used, in their language (not on the phone line)."""
    channel = conversation.inbox.channel
    if not getattr(settings, "GUICHET_SURVEYS_ENABLED", True) or channel not in SURVEY_CHANNELS:
        return None
    if not Message.objects.filter(conversation=conversation, author_kind=Message.Author.CONTACT).exists():
        return None  # nobody wrote in: there is no one to ask
    survey = SurveyRequest.objects.create(conversation=conversation, channel=channel,
                                          language=conversation.language)
    metadata: dict[str, Any] = {}
    if channel == "web":
        with override(conversation.language):
            question = _("How satisfied are you with this conversation?")
        metadata = {"survey": {"question": question, "scale": SURVEY_SCALE, "action": SURVEY_ACTION}}
        text = _web_survey_text
    elif channel == "email":
        link = survey_url(survey)

        def text() -> str:
            return _("How satisfied are you with the help you received? Please rate it from 1 to 5 here: "
                     "%(link)s") % {"link": link}
    else:
        text = _sms_survey_text
    conversation_actions.post_system_notice(conversation, text, metadata={**metadata, "kind": "survey"})
    logger.info("survey.asked ref=%s channel=%s", conversation.reference, channel)
    return survey


def _web_survey_text() -> str:
    return _("How satisfied are you with this conversation? Choose a rating from 1 (very dissatisfied) "
             "to 5 (very satisfied).")


def _sms_survey_text() -> str:
    return _("How satisfied are you with the help you received? Reply with a number from 1 (very "
             "dissatisfied) to 5 (very satisfied).")


def survey_token(survey: SurveyRequest) -> str:
    return signing.dumps({"survey": survey.pk}, salt=SURVEY_SALT, compress=True)


def survey_url(survey: SurveyRequest) -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    return base + reverse("analytics:survey", args=[survey_token(survey)])


def survey_from_token(token: str) -> SurveyRequest:
    """The survey a signed link points at; a forged, damaged or unknown link is an error for the citizen."""
    try:
        data = signing.loads(token, salt=SURVEY_SALT)
    except signing.BadSignature as error:
        raise SurveyError("invalid_link", _("This survey link is not valid. Check that you copied all of it."),
                          404) from error
    survey_id = data.get("survey") if isinstance(data, dict) else None
    survey = SurveyRequest.objects.select_related("conversation").filter(pk=survey_id).first() \
        if isinstance(survey_id, int) else None
    if survey is None:
        raise SurveyError("invalid_link", _("This survey link is not valid. Check that you copied all of it."), 404)
    return survey


# --- answering ----------------------------------------------------------------------------------------


def record_survey_answer(survey: SurveyRequest, rating: Any, comment: Any = "", *,
                         allow_change: bool = True) -> SurveyRequest:
    """Validate and store a rating: on the survey, on the conversation, and in the report aggregates."""
    check_open(survey, allow_change=allow_change)
    value = check_rating(rating)
    text = check_comment(comment)
    with transaction.atomic():
        survey = SurveyRequest.objects.select_for_update().get(pk=survey.pk)
        survey.rating, survey.comment, survey.answered_at = value, text, timezone.now()
        survey.save(update_fields=["rating", "comment", "answered_at"])
        Conversation.objects.filter(pk=survey.conversation_id).update(satisfaction=value,
                                                                     satisfaction_comment=text)
        conversation = Conversation.objects.select_related("inbox").get(pk=survey.conversation_id)
        if conversation.status == Conversation.Status.RESOLVED:
            record_conversation(conversation)
    logger.info("survey.answered ref=%s channel=%s", conversation.reference, survey.channel)
    return survey


def latest_survey(conversation: Conversation, channel: str) -> SurveyRequest | None:
    return SurveyRequest.objects.filter(conversation=conversation, channel=channel).first()


def rate_from_widget(conversation: Conversation, grant: Any, value: Any) -> None:
    """`widget_service.ACTION_HANDLERS["survey.rate"]`: value is {"rating": 1..5, "comment": str} or a number."""
    from guichet.realtime.widget_service import WidgetError

    rating, comment = (value.get("rating"), value.get("comment", "")) if isinstance(value, dict) else (value, "")
    try:
        record_survey_answer(check_open(latest_survey(conversation, "web")), rating, comment)
    except SurveyError as error:
        raise WidgetError(error.code, error.message) from error


def record_sms_survey_reply(conversation: Conversation, text: str) -> bool:
    """True when `text` answered this conversation's open SMS survey (a lone digit 1-5 within the window)."""
    match = _SMS_DIGIT.match(text or "")
    if match is None:
        return False
    survey = latest_survey(conversation, "sms")
    try:
        record_survey_answer(check_open(survey, allow_change=False), int(match.group(1)))
    except SurveyError:
        return False
    return True
