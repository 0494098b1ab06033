"""Sign-in and interface-language forms."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    """Django's form with a message that neither reveals which part was wrong nor whether the user exists."""

    error_messages = {
        "invalid_login": _(
            "The username or password is not correct. Check both (passwords are case-sensitive) and try "
            "again. After several failed attempts you will have to wait a few minutes."
        ),
        "inactive": _("This account is disabled. Ask an administrator to enable it."),
    }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class LanguagePreferenceForm(forms.Form):
    ui_language = forms.ChoiceField(label=_("Interface language"), choices=settings.LANGUAGES)
