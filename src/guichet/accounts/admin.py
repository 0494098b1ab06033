"""Users are edited with their agent profile inline, so creating an agent is one form."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from guichet.agents.admin import AgentProfileForm
from guichet.agents.models import AgentProfile


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    # Same validation as the AgentProfile admin: capacities and skills routing can use.
    form = AgentProfileForm
    can_delete = False
    verbose_name_plural = _("agent profile")
    filter_horizontal = ["teams"]
    readonly_fields = ["presence_changed_at", "idle_since"]
    extra = 0


class GuichetUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, AgentProfileInline]
    list_display = [*UserAdmin.list_display, "agent_role"]

    @admin.display(description=_("agent role"))
    def agent_role(self, obj: User) -> str:
        agent = getattr(obj, "agent", None)
        return agent.get_role_display() if agent else "—"


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, GuichetUserAdmin)
