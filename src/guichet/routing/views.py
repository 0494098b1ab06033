"""Supervisor live view and moves; agents' callback tasks. Thin: reads in access.py, writes in actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.agents.decorators import agent_required, refusal
from guichet.conversations.actions import ActionError
from guichet.routing import access, actions
from guichet.routing.callbacks import finish_callback
from guichet.routing.forms import CallbackOutcomeForm, CapacityForm, SkillsForm, TeamsForm, format_pairs


def supervisor_only(request: HttpRequest) -> HttpResponse | None:
    if not access.can_supervise(request.agent):  # type: ignore[attr-defined]
        return refusal(request, 403, _("This page is for supervisors and administrators."))
    return None


def live_context() -> dict[str, Any]:
    return {"queue_rows": access.queue_rows(), "updated_at": timezone.now(),
            "presences": [("available", _("Available")), ("wrap_up", _("In wrap-up")), ("away", _("Away")),
                          ("offline", _("Offline"))]}


def page_context(errors: dict[int, list[str]] | None = None) -> dict[str, Any]:
    rows = access.agent_rows()
    return {**live_context(), "agent_rows": rows, "teams": access.all_teams(), "errors": errors or {},
            "skills_text": {row.agent.pk: format_pairs(row.agent.skills) for row in rows},
            "capacity_text": {row.agent.pk: format_pairs(row.agent.capacity) for row in rows}}


@require_GET
@agent_required
def overview(request: HttpRequest) -> HttpResponse:
    return supervisor_only(request) or render(request, "routing/supervisor.html", page_context())


@require_GET
@agent_required
def live(request: HttpRequest) -> HttpResponse:
    return supervisor_only(request) or render(request, "routing/fragments/live.html", live_context())


def _agent_change(request: HttpRequest, agent_id: int, form_class: type, apply: Any) -> HttpResponse:
    denied = supervisor_only(request)
    if denied:
        return denied
    target = access.find_agent(agent_id)
    if target is None:
        return refusal(request, 404, _("There is no such agent."))
    form = form_class(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            changed = apply(request.agent, target, form.cleaned_data)  # type: ignore[attr-defined]
        except actions.ConfigurationError as exc:
            problems = exc.messages
        else:
            if changed:
                messages.success(request, _("%(name)s updated; routing runs again with the change.")
                                 % {"name": target.display_name})
            else:
                messages.info(request, _("Nothing to change for %(name)s.") % {"name": target.display_name})
            return redirect("routing:overview")
    else:
        problems = [error for errors in form.errors.values() for error in errors]
    return render(request, "routing/supervisor.html", page_context({target.pk: problems}), status=400)


@require_POST
@agent_required
def agent_teams(request: HttpRequest, agent_id: int) -> HttpResponse:
    return _agent_change(request, agent_id, TeamsForm, lambda actor, target, data: actions.set_agent_teams(
        actor, target, [team.pk for team in data["teams"]]))


@require_POST
@agent_required
def agent_skills(request: HttpRequest, agent_id: int) -> HttpResponse:
    return _agent_change(request, agent_id, SkillsForm,
                         lambda actor, target, data: actions.set_agent_skills(actor, target, data["skills"]))


@require_POST
@agent_required
def agent_capacity(request: HttpRequest, agent_id: int) -> HttpResponse:
    return _agent_change(request, agent_id, CapacityForm,
                         lambda actor, target, data: actions.set_agent_capacity(actor, target, data["capacity"]))


@require_GET
@agent_required
def callbacks(request: HttpRequest) -> HttpResponse:
    return render(request, "routing/callbacks.html",
                  {"callbacks": access.callbacks_for_agent(request.agent)})  # type: ignore[attr-defined]


@require_POST
@agent_required
def callback_finish(request: HttpRequest, callback_id: int) -> HttpResponse:
    form = CallbackOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose done or could not reach."))
        return render(request, "routing/callbacks.html",
                      {"callbacks": access.callbacks_for_agent(request.agent)}, status=400)  # type: ignore
    try:
        finish_callback(request.agent, callback_id, form.cleaned_data["outcome"],  # type: ignore[attr-defined]
                        form.cleaned_data["note"])
    except ActionError as exc:
        return refusal(request, exc.status, exc.message)
    messages.success(request, _("Callback recorded."))
    return redirect("routing:callbacks")
