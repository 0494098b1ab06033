"""Agent desk: thin views over agents.access (reads) and conversations.actions (writes).

Every view is wrapped by `agent_required`. Writes answer htmx with the re-rendered fragment (errors inline,
4xx status), and plain form posts with a redirect (progressive enhancement: the desk works without JS).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.agents import access as desk_access
from guichet.agents.actions import PresenceError, set_presence
from guichet.agents.decorators import agent_required, is_htmx, refusal
from guichet.agents.forms import MessageForm, PresenceForm, TransferForm
from guichet.bot import access as bot_access
from guichet.bot.actions import finish_follow_up
from guichet.conversations import actions
from guichet.conversations.access import access_conversation
from guichet.conversations.models import Conversation
from guichet.routing import access as routing_access

# --- desk home ----------------------------------------------------------------------------------------


def list_context(agent: Any, name: str) -> dict[str, Any]:
    rows = list(desk_access.DESK_LISTS[name](agent))
    callbacks = routing_access.open_callbacks_by_conversation(rows)
    for row in rows:
        row.waiting_since = desk_access.waiting_since(row)
        row.callback = callbacks.get(row.pk)
    return {"list_name": name, "rows": rows, "can_take": name in {"waiting", "bot"}}


@require_GET
@agent_required
def desk(request: HttpRequest) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    lists = [{"name": name, **list_context(agent, name)} for name in desk_access.DESK_LISTS]
    return render(request, "agents/desk.html", {
        "agent": agent, "lists": lists, "presence_form": PresenceForm(initial={"presence": agent.presence}),
        "sees_all": agent.sees_all_queues, "follow_up_count": bot_access.follow_ups_for_agent(agent).count(),
    })


@require_GET
@agent_required
def desk_list(request: HttpRequest, name: str) -> HttpResponse:
    if name not in desk_access.DESK_LISTS:
        raise Http404
    return render(request, "agents/fragments/list.html", list_context(request.agent, name))  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
@agent_required
def presence(request: HttpRequest) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    if request.method == "GET":
        return render_presence(request, agent, PresenceForm(initial={"presence": agent.presence}))
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return render_presence(request, agent, form, status=400)
    try:
        agent = set_presence(agent, form.cleaned_data["presence"])
    except PresenceError as exc:
        form.add_error("presence", str(exc))
        return render_presence(request, agent, form, status=400)
    if not is_htmx(request):
        return redirect("agents:desk")
    return render_presence(request, agent, PresenceForm(initial={"presence": agent.presence}),
                           announce=_("Your status is now: %(status)s.") % {
                               "status": agent.get_presence_display()})


def render_presence(request: HttpRequest, agent: Any, form: PresenceForm, *, status: int = 200,
                    announce: str = "") -> HttpResponse:
    if not is_htmx(request) and status >= 400:
        messages.error(request, " ".join(str(e) for e in form.errors.get("presence", [])))
        return redirect("agents:desk")
    return render(request, "agents/fragments/presence.html",
                  {"presence_form": form, "agent": agent, "announce": announce}, status=status)


# --- one conversation ---------------------------------------------------------------------------------


def conversation_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    agent = request.agent  # type: ignore[attr-defined]
    return {
        "conversation": conversation,
        "agent": agent,
        "messages_list": desk_access.transcript(conversation),
        "earlier": desk_access.earlier_conversations(agent, conversation),
        "identities": desk_access.contact_identities(conversation.contact),
        "targets": desk_access.transfer_targets(agent),
        "can_take": can_take(agent, conversation),
        "reply_choices": desk_access.reply_choices(agent, conversation),
        "can_hand_back": can_hand_back(agent, conversation),
        "callback": routing_access.callback_for_conversation(conversation),
        "proposed_answer": proposed_answer_preview(agent, conversation),
    }


def proposed_answer_preview(agent: Any, conversation: Conversation) -> dict[str, Any] | None:
    """Approval mode: the article the virtual agent proposes, as the citizen would receive it."""
    from guichet.bot.actions import proposed_answer_of
    from guichet.bot.dialogue import article_answer, live_article

    proposed = proposed_answer_of(conversation)
    article = live_article(str(proposed.get("article_id", ""))) if proposed else None
    if proposed is None or article is None:
        return None
    language = str(proposed.get("language") or conversation.language)
    text, answer_language, metadata = article_answer(conversation, article, language)
    return {"title": metadata["source_title"] or article.title_in(language), "text": text,
            "language": answer_language, "source_url": metadata["source_url"],
            "can_send": conversation.assignee_id == agent.pk and conversation.is_open}


def can_hand_back(agent: Any, conversation: Conversation) -> bool:
    """Hybrid mode: the agent holding a written conversation of a bot-enabled inbox may return it to the bot
    (a phone call cannot go back to the phone menu once an agent has it)."""
    return (conversation.inbox.bot_enabled and conversation.inbox.channel != "voice"
            and conversation.assignee_id == agent.pk
            and conversation.status in {Conversation.Status.ASSIGNED, Conversation.Status.PENDING})


def can_take(agent: Any, conversation: Conversation) -> bool:
    return conversation.status in {Conversation.Status.QUEUED, Conversation.Status.BOT} or (
        conversation.is_open and conversation.assignee_id is None)


@require_GET
@agent_required
def conversation_page(request: HttpRequest, reference: str) -> HttpResponse:
    conversation = access_conversation(request.user, reference)
    context = conversation_context(request, conversation)
    context.update(reply_form=MessageForm(auto_id="reply_%s"), note_form=MessageForm(auto_id="note_%s"),
                   transfer_form=TransferForm())
    return render(request, "agents/conversation.html", context)


PARTS = {"transcript": "agents/fragments/transcript.html", "status": "agents/fragments/status.html",
         "contact": "agents/fragments/contact.html"}


@require_GET
@agent_required
def conversation_part(request: HttpRequest, reference: str, part: str) -> HttpResponse:
    if part not in PARTS:
        raise Http404
    conversation = access_conversation(request.user, reference)
    return render(request, PARTS[part], conversation_context(request, conversation))


def answer_write(request: HttpRequest, conversation: Conversation, template: str, context: dict[str, Any],
                 *, status: int = 200, announce: str = "", error: str = "") -> HttpResponse:
    """htmx: the fragment (with an inline error or an announcement); plain POST: back to the page."""
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        elif announce:
            messages.success(request, announce)
        return redirect("agents:conversation", reference=conversation.reference)
    context = {**conversation_context(request, conversation), **context, "announce": announce, "error": error}
    return render(request, template, context, status=status)


def message_write(request: HttpRequest, reference: str, *, kind: str,
                  write: Callable[[Any, Conversation, str], Any], done: Callable[[Any], str]) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    conversation = access_conversation(request.user, reference)
    template = f"agents/fragments/{kind}_form.html"
    form = MessageForm(request.POST, auto_id=f"{kind}_%s")
    if not form.is_valid():
        error = " ".join(str(e) for e in form.errors.get("body", []))
        return answer_write(request, conversation, template, {"form": form}, status=400, error=error)
    try:
        written = write(agent, conversation, form.cleaned_data["body"])
    except actions.ActionError as exc:
        return answer_write(request, conversation, template, {"form": form, "via": request.POST.get("via", "")},
                            status=exc.status, error=exc.message)
    conversation.refresh_from_db()
    return answer_write(request, conversation, template, {"form": MessageForm(auto_id=f"{kind}_%s"),
                                                          "refresh_transcript": True}, announce=done(written))


def reply_on_channel(via: str) -> Callable[[Any, Conversation, str], Any]:
    """This conversation, or "Reply via" another channel of the same citizen (omnichannel.reply_via)."""

    def write(agent: Any, conversation: Conversation, body: str) -> Any:
        if not via or via == conversation.inbox.slug:
            return actions.send_agent_reply(agent, conversation, body)
        from guichet.omnichannel.actions import reply_via

        return reply_via(agent, conversation.contact, via, body)

    return write


def reply_announcement(reference: str) -> Callable[[Any], str]:
    def announce(message: Any) -> str:
        conversation = message.conversation
        if conversation.reference == reference:
            return _("Reply sent.")
        return _("Reply sent by %(channel)s in %(reference)s.") % {
            "channel": conversation.inbox.get_channel_display(), "reference": conversation.reference}

    return announce


@require_POST
@agent_required
def reply(request: HttpRequest, reference: str) -> HttpResponse:
    return message_write(request, reference, kind="reply", write=reply_on_channel(request.POST.get("via", "")),
                         done=reply_announcement(reference))


@require_POST
@agent_required
def note(request: HttpRequest, reference: str) -> HttpResponse:
    return message_write(request, reference, kind="note", write=actions.add_private_note,
                         done=lambda _note: _("Internal note added."))


def lifecycle_write(request: HttpRequest, reference: str, verb: Callable[[Any, Conversation], Any],
                    done: str) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    conversation = access_conversation(request.user, reference)
    try:
        verb(agent, conversation)
    except actions.ActionError as exc:
        return answer_write(request, conversation, "agents/fragments/status.html", {}, status=exc.status,
                            error=exc.message)
    conversation = access_conversation(request.user, reference)
    return answer_write(request, conversation, "agents/fragments/status.html",
                        {"refresh_transcript": True}, announce=done)


@require_POST
@agent_required
def take(request: HttpRequest, reference: str) -> HttpResponse:
    return lifecycle_write(request, reference, actions.take_conversation,
                           _("You now have this conversation."))


@require_POST
@agent_required
def resolve(request: HttpRequest, reference: str) -> HttpResponse:
    return lifecycle_write(request, reference, actions.resolve_conversation,
                           _("The conversation is resolved."))


@require_POST
@agent_required
def reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return lifecycle_write(request, reference, actions.reopen_conversation,
                           _("The conversation is open again and assigned to you."))


@require_POST
@agent_required
def transfer(request: HttpRequest, reference: str) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    conversation = access_conversation(request.user, reference)
    template = "agents/fragments/transfer_form.html"
    form = TransferForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return answer_write(request, conversation, template, {"transfer_form": form}, status=400, error=error)
    kind, value = form.target_parts()
    to_team = desk_access.find_transfer_team(value) if kind == "team" else None
    to_agent = desk_access.find_transfer_agent(agent, value) if kind == "agent" else None
    if to_team is None and to_agent is None:
        return answer_write(request, conversation, template, {"transfer_form": form}, status=400,
                            error=_("Choose a team or an agent from the list."))
    try:
        actions.transfer_conversation(agent, conversation, to_team=to_team, to_agent=to_agent,
                                      note=form.cleaned_data["note"])
    except actions.ActionError as exc:
        return answer_write(request, conversation, template, {"transfer_form": form}, status=exc.status,
                            error=exc.message)
    target_name = to_team.name if to_team is not None else to_agent.display_name  # type: ignore[union-attr]
    messages.success(request, _("%(reference)s was transferred to %(target)s.") % {
        "reference": conversation.reference, "target": target_name})
    # The agent may no longer see the conversation (another team's queue): go back to the desk.
    if is_htmx(request):
        response = HttpResponse("")
        response["HX-Redirect"] = reverse("agents:desk")
        return response
    return redirect("agents:desk")


# --- follow-ups the virtual agent took outside business hours ------------------------------------------


@require_GET
@agent_required
def follow_ups(request: HttpRequest) -> HttpResponse:
    return render(request, "agents/follow_ups.html",
                  {"tasks": bot_access.follow_ups_for_agent(request.agent)})  # type: ignore[attr-defined]


@require_POST
@agent_required
def follow_up_done(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        finish_follow_up(request.agent, task_id)  # type: ignore[attr-defined]
    except actions.ActionError as exc:
        return refusal(request, exc.status, exc.message)
    messages.success(request, _("Follow-up marked as done."))
    return redirect("agents:follow_ups")
