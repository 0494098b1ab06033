from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from guichet.agents.models import AgentConnection, AgentProfile, Team
from guichet.routing import actions as routing_actions


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_fr", "member_count"]
    search_fields = ["slug", "name_en", "name_fr"]

    @admin.display(description=_("members"))
    def member_count(self, obj: Team) -> int:
        return obj.members.count()


class AgentProfileForm(forms.ModelForm):
    """Routing's own checks, so an administrator cannot save a capacity or skills routing would reject."""

    class Meta:
        model = AgentProfile
        fields = ["user", "display_name", "role", "teams", "languages", "skills", "capacity", "ui_language",
                  "presence", "voice_address"]

    def clean_capacity(self) -> dict[str, int]:
        return self._checked("capacity", routing_actions.check_agent_capacity)

    def clean_skills(self) -> dict[str, int]:
        # An empty skills box means "no skills", which routing accepts.
        if self.cleaned_data.get("skills") in (None, ""):
            return {}
        return self._checked("skills", routing_actions.check_skills)

    def _checked(self, field: str, check) -> dict[str, int]:  # type: ignore[no-untyped-def]
        try:
            return check(self.cleaned_data.get(field))
        except routing_actions.ConfigurationError as exc:
            raise forms.ValidationError(exc.messages) from exc


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    form = AgentProfileForm
    list_display = ["display_name", "user", "role", "presence", "ui_language", "presence_changed_at"]
    list_filter = ["role", "presence", "ui_language", "teams"]
    search_fields = ["display_name", "user__username", "user__email"]
    filter_horizontal = ["teams"]
    readonly_fields = ["presence_changed_at", "idle_since"]
    list_select_related = ["user"]


@admin.register(AgentConnection)
class AgentConnectionAdmin(admin.ModelAdmin):
    list_display = ["agent", "channel_name", "opened_at", "last_seen_at"]
    readonly_fields = ["agent", "channel_name", "opened_at", "last_seen_at"]
    list_select_related = ["agent"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
