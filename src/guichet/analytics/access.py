"""Who may read reports: supervisors and administrators (agents see only their own work on the desk)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from guichet.agents.decorators import agent_required, refusal


def supervisor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def check_role(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        if not request.agent.sees_all_queues:  # type: ignore[attr-defined]
            return refusal(request, 403, _("Reports and workforce planning are for supervisors and "
                                           "administrators."))
        return view(request, *args, **kwargs)

    return agent_required(check_role)
