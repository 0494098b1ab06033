"""Sign in, sign out and the agent's interface language."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from guichet.accounts import actions
from guichet.accounts.forms import LanguagePreferenceForm, SignInForm
from guichet.accounts.ratelimits import allow_login_attempt, login_limit
from guichet.agents.decorators import agent_required


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        username = str(request.POST.get("username", ""))[:150]
        if not allow_login_attempt(request, username):
            return self.refuse_too_many(request)
        return super().post(request, *args, **kwargs)

    def refuse_too_many(self, request: HttpRequest) -> HttpResponse:
        _limit, window = login_limit()
        minutes = max(1, round(window / 60))
        form = self.get_form_class()(request, data=None)
        message = ngettext(
            "Too many sign-in attempts for this account from your network. Wait %(minutes)d minute, then "
            "try again. If you forgot your password, ask your supervisor to reset it.",
            "Too many sign-in attempts for this account from your network. Wait %(minutes)d minutes, then "
            "try again. If you forgot your password, ask your supervisor to reset it.",
            minutes,
        ) % {"minutes": minutes}
        context = self.get_context_data(form=form, throttle_message=message)
        response = render(request, self.template_name, context, status=429)
        response["Retry-After"] = str(window)
        return response


class SignOutView(auth_views.LogoutView):
    """POST signs out (CSRF-protected); GET only shows a confirmation button, so links cannot sign anyone out."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
        return render(request, "accounts/logout_confirm.html")


@require_http_methods(["GET", "POST"])
@agent_required
def preferences(request: HttpRequest) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    if request.method == "POST":
        form = LanguagePreferenceForm(request.POST)
        if form.is_valid():
            actions.set_ui_language(agent, form.cleaned_data["ui_language"])
            messages.success(request, _("Your preferences are saved."))
            return redirect("accounts:preferences")
        return render(request, "accounts/preferences.html", {"form": form}, status=400)
    form = LanguagePreferenceForm(initial={"ui_language": agent.ui_language})
    return render(request, "accounts/preferences.html", {"form": form})
