
from django.contrib import admin

from guichet.bot.models import BotTurn, Flow, FollowUpTask, Integration


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ("slug", "enabled", "updated_at")
    # Flow.clean() validates the definition and lists every problem under the field.


@admin.register(BotTurn)
class BotTurnAdmin(admin.ModelAdmin):
    list_display = ("created_at", "outcome", "reason", "language", "feedback", "question")
    list_filter = ("outcome", "feedback", "language")
    search_fields = ("question",)
    readonly_fields = [field.name for field in BotTurn._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "status", "queue", "phone", "language")
    list_filter = ("kind", "status", "queue")




@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "enabled", "updated_at")
    list_filter = ("enabled",)
