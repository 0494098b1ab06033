"""Every desk page and fragment needs a signed-in user with an agent profile."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from guichet.agents.models import AgentProfile


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """A 403/404 page (or fragment for htmx) that says what happened in the agent's language."""
    template = "agents/fragments/refusal.html" if is_htmx(request) else "agents/refusal.html"
    title = _("Not allowed") if status == 403 else _("Not found")
    return render(request, template, {"title": title, "message": message, "status": status}, status=status)


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        if not request.user.is_authenticated:
            if is_htmx(request):
                response = HttpResponse(_("Your session has ended. Sign in again."), status=401)
                response["HX-Redirect"] = f"/accounts/login/?next={request.path}"
                return response
            return redirect_to_login(request.get_full_path())
        agent = AgentProfile.objects.filter(user=request.user).prefetch_related("teams").first()
        if agent is None:
            return refusal(request, 403, _("This page is for agents. Your account has no agent profile; "
                                           "ask an administrator to create one."))
        request.agent = agent  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return refusal(request, 403, _("This conversation belongs to a team you are not part of."))
        except Http404:
            return refusal(request, 404, _("There is no conversation with this reference."))

    return wrapper
