"""Thin views: provider webhooks (signed, CSRF-exempt) and agent-facing contact fragments (login required)."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from guichet.conversations.access import (
    access_contact,
    access_conversation,
    agent_of,
    conversations_for_agent,
)
from guichet.conversations.actions import ActionError
from guichet.conversations.identity import contact_timeline, follow_merges, merge_contacts, suggested_merges
from guichet.conversations.models import Contact, Inbox
from guichet.omnichannel import actions
from guichet.omnichannel.adapters.base import InboundRejected
from guichet.omnichannel.adapters.registry import get_adapter
from guichet.omnichannel.models import Attachment, CallSession
from guichet.omnichannel.twilio_auth import validate_request
from guichet.omnichannel.voice import ivr

logger = logging.getLogger("guichet.omnichannel")

TWIML = "text/xml; charset=utf-8"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _inbox(slug: str, channel: str) -> Inbox:
    inbox = Inbox.objects.select_related("default_queue").filter(slug=slug, channel=channel).first()
    if inbox is None:
        raise Http404("No such inbox.")
    return inbox


def _rejected(exc: InboundRejected | ActionError) -> HttpResponse:
    status = exc.status if isinstance(exc, InboundRejected) else exc.status
    reason = exc.reason if isinstance(exc, InboundRejected) else exc.message
    logger.warning("webhook.rejected status=%s reason=%s", status, reason)
    return HttpResponse(reason, status=status if 400 <= status < 500 else 400, content_type="text/plain")


# --- SMS ----------------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest, inbox_slug: str) -> HttpResponse:
    inbox = _inbox(inbox_slug, "sms")
    try:
        inbound = get_adapter(inbox).parse_inbound(request)
        actions.ingest_sms(inbox, inbound)
    except (InboundRejected, ActionError) as exc:
        return _rejected(exc)
    return HttpResponse(EMPTY_TWIML, content_type=TWIML)


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest, inbox_slug: str) -> HttpResponse:
    inbox = _inbox(inbox_slug, "sms")
    try:
        params = validate_request(inbox, request)
    except InboundRejected as exc:
        return _rejected(exc)
    sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not status:
        return HttpResponse("MessageSid and MessageStatus are required", status=400, content_type="text/plain")
    if not actions.record_provider_status("sms", sid, status, params.get("ErrorCode", "")):
        logger.warning("sms.status_unknown sid=%s status=%s", sid, status)
        return HttpResponse("Unknown message", status=404, content_type="text/plain")
    return HttpResponse(status=204)


# --- voice --------------------------------------------------------------------------------------------

VOICE_STEPS = {"language", "menu", "bot", "botwait", "queue", "wait", "waitkey", "dialdone", "status", "recording"}


@csrf_exempt
@require_POST
def voice_incoming(request: HttpRequest, inbox_slug: str) -> HttpResponse:
    inbox = _inbox(inbox_slug, "voice")
    try:
        inbound = get_adapter(inbox).parse_inbound(request)
        response = ivr.incoming(inbox, inbound)
    except (InboundRejected, ActionError) as exc:
        return _rejected(exc)
    return HttpResponse(str(response), content_type=TWIML)


@csrf_exempt
@require_POST
def voice_step(request: HttpRequest, inbox_slug: str, step: str) -> HttpResponse:
    if step not in VOICE_STEPS:
        raise Http404("No such step.")
    inbox = _inbox(inbox_slug, "voice")
    try:
        inbound = get_adapter(inbox).parse_inbound(request)
    except InboundRejected as exc:
        return _rejected(exc)
    session = CallSession.objects.select_related("conversation", "inbox").filter(
        call_sid=inbound.provider_id, inbox=inbox).first()
    if session is None:
        return HttpResponse("Unknown call", status=404, content_type="text/plain")
    attempt = int(request.GET.get("attempt", "1")) if request.GET.get("attempt", "1").isdigit() else 1
    holds = int(request.GET.get("holds", "1")) if request.GET.get("holds", "1").isdigit() else 1
    handlers = {
        "language": lambda: ivr.language(session, inbound, attempt),
        "menu": lambda: ivr.menu(session, inbound, attempt),
        "bot": lambda: ivr.bot(session, inbound),
        "botwait": lambda: ivr.botwait(session, request.GET.get("turn", ""), holds),
        "queue": lambda: ivr.queue(session),
        "wait": lambda: ivr.wait(session),
        "waitkey": lambda: ivr.waitkey(session, inbound),
        "dialdone": lambda: ivr.dialdone(session, inbound),
        "status": lambda: ivr.status(session, inbound),
        "recording": lambda: ivr.recording(session, inbound),
    }
    if session.state == CallSession.State.ENDED and step not in {"status", "recording"}:
        ended = ivr.VoiceResponse()
        ended.hangup()
        return HttpResponse(str(ended), content_type=TWIML)
    try:
        response = handlers[step]()
    except ActionError as exc:
        return _rejected(exc)
    return HttpResponse(str(response), content_type=TWIML)


# --- agent-facing contact fragments -------------------------------------------------------------------


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" or request.GET.get("fragment") == "1"


def _current_contact(request: HttpRequest, contact_id: int) -> Contact:
    """Old links to a merged contact lead to the contact that absorbed it (then the usual access check)."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404("No such contact.")
    return access_contact(request.user, follow_merges(contact).pk)


def _timeline_context(request: HttpRequest, contact: Contact) -> dict:
    agent = agent_of(request.user)
    visible = set(conversations_for_agent(agent).filter(contact=contact).values_list("pk", flat=True))
    entries = [m for m in contact_timeline(contact) if m.conversation_id in visible]
    return {"contact": contact, "entries": entries, "options": actions.reply_options(contact, agent),
            "identities": contact.identities.order_by("kind", "value"),
            "suggestions": suggested_merges(contact, _visible_contacts(agent))}


def _visible_contacts(agent):  # type: ignore[no-untyped-def]
    return Contact.objects.filter(pk__in=conversations_for_agent(agent).values("contact_id"))


@login_required
@require_GET
def contact_timeline_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _current_contact(request, contact_id)
    embedded = _wants_fragment(request)
    template = "omnichannel/timeline_fragment.html" if embedded else "omnichannel/timeline.html"
    return render(request, template, {**_timeline_context(request, contact), "embedded": embedded})


@login_required
@require_GET
def merge_suggestions_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _current_contact(request, contact_id)
    agent = agent_of(request.user)
    return render(request, "omnichannel/merge_suggestions.html",
                  {"contact": contact, "suggestions": suggested_merges(contact, _visible_contacts(agent))})


def _form_int(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise ActionError("invalid_contact", _("Choose a contact."))
    return int(value)


@login_required
@require_POST
def merge_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    survivor = access_contact(request.user, contact_id)
    try:
        absorbed = access_contact(request.user, _form_int(request, "other"))
        merge_contacts(request.user, survivor, absorbed)
    except ActionError as exc:
        return render(request, "omnichannel/error.html", {"error": exc.message}, status=exc.status)
    except PermissionDenied:
        raise
    if request.headers.get("HX-Request") == "true":  # from the desk: identities and history changed everywhere
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("omnichannel:contact_timeline", contact_id=survivor.pk)


@login_required
@require_POST
def reply_via_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _current_contact(request, contact_id)
    agent = agent_of(request.user)
    try:
        actions.reply_via(agent, contact, request.POST.get("via", ""), request.POST.get("body", ""))
    except ActionError as exc:
        context = {**_timeline_context(request, contact), "error": exc.message}
        return render(request, "omnichannel/timeline.html", context, status=exc.status)
    return redirect("omnichannel:contact_timeline", contact_id=contact.pk)


@login_required
@require_GET
def attachment_view(request: HttpRequest, attachment_id: int, token: str) -> FileResponse:
    """Download a citizen's file: only for agents who can see its conversation; never rendered inline."""
    attachment = Attachment.objects.select_related("message__conversation").filter(pk=attachment_id,
                                                                                  token=token).first()
    if attachment is None:
        raise Http404("No such attachment.")
    access_conversation(request.user, attachment.message.conversation.reference)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
