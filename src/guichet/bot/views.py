"""Thin views: hand a conversation back to the virtual agent (desk), and the editors' insights page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.bot.access import require_editor, turn_for_editor
from guichet.bot.actions import hand_back_to_bot, send_proposed_answer
from guichet.bot.insights import cluster_turns, confirmed_wordings, unanswered_turns
from guichet.conversations.access import access_conversation, agent_of
from guichet.conversations.actions import ActionError
from guichet.knowledge.actions import add_phrasing
from guichet.knowledge.models import Article


@login_required
@require_POST
def handback(request: HttpRequest, reference: str) -> HttpResponse:
    """POST /bot/handback/<reference>/ from the desk's button.

    A plain form post is redirected back to the desk conversation with a flash message. htmx: success reloads
    the page (204 + HX-Refresh) showing the flash message; a refusal is JSON {"error", "message"} with its 4xx
    status, which desk.js shows beside the button. A client asking for JSON (Accept: application/json) gets
    {"reference", "status"} or the refusal.
    """
    agent = agent_of(request.user)
    conversation = access_conversation(request.user, reference)
    wants_json = "application/json" in request.headers.get("Accept", "")
    htmx = bool(request.headers.get("HX-Request"))
    try:
        conversation = hand_back_to_bot(agent, conversation)
    except ActionError as error:
        if wants_json or htmx:
            return JsonResponse({"error": error.code, "message": error.message}, status=error.status)
        messages.error(request, error.message)
        return redirect("agents:conversation", reference=conversation.reference)
    if wants_json:
        return JsonResponse({"reference": conversation.reference, "status": conversation.status})
    messages.success(request, _("The conversation is back with the virtual agent."))
    if htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("agents:conversation", reference=conversation.reference)


@login_required
def insights(request: HttpRequest) -> HttpResponse:
    require_editor(request.user)
    try:
        days = max(1, min(int(request.GET.get("days", 30)), 365))
    except ValueError:
        days = 30
    clusters = cluster_turns(unanswered_turns(days))
    for cluster in clusters:
        field = f"{cluster.language}_title"
        other = "en_phrasings" if cluster.language == "en" else "fr_phrasings"
        examples = cluster.distinct_examples()
        cluster.create_url = reverse("knowledge:new") + "?" + urlencode(
            {field: examples[0], other: "\n".join(examples[1:])})
    return render(request, "bot/insights.html",
                  {"clusters": clusters, "days": days, "wordings": confirmed_wordings(days)})


@login_required
@require_POST
def add_confirmed_wording(request: HttpRequest) -> HttpResponse:
    """POST /bot/insights/phrasing/ {turn}: the turn's question becomes a phrasing of the article chosen."""
    try:
        turn_id = int(request.POST.get("turn", ""))
    except ValueError:
        return HttpResponse(_("Choose a question to add."), status=400)
    turn = turn_for_editor(request.user, turn_id)
    article = Article.objects.filter(pk=int(turn.article_id)).first() if turn.article_id.isdigit() else None
    if article is None:
        messages.error(request, _("That article no longer exists."))
    elif add_phrasing(article, turn.language, turn.question, user=request.user) is None:
        messages.info(request, _("That wording is already a phrasing of the article."))
    else:
        messages.success(request, _("Added as a phrasing of “%(title)s”.") % {"title": article.title_in(turn.language)})
    return redirect(reverse("bot:insights") + "?" + urlencode({"days": request.POST.get("days", 30)}))


@login_required
@require_POST
def approve(request: HttpRequest, reference: str) -> HttpResponse:
    """POST /bot/approve/<reference>/ from the desk: send the answer the virtual agent proposed."""
    agent = agent_of(request.user)
    conversation = access_conversation(request.user, reference)
    try:
        send_proposed_answer(agent, conversation)
    except ActionError as error:
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"error": error.code, "message": error.message}, status=error.status)
        messages.error(request, error.message)
    else:
        messages.success(request, _("The answer was sent to the citizen."))
    return redirect("agents:conversation", reference=conversation.reference)
