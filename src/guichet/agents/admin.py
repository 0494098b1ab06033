from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from guichet.agents.models import AgentConnection, AgentProfile, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_fr", "member_count"]
    search_fields = ["slug", "name_en", "name_fr"]

    @admin.display(description=_("members"))
    def member_count(self, obj: Team) -> int:
        return obj.members.count()


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
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
