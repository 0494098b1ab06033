from django.contrib import admin

from guichet.routing.forms import QueueAdminForm
from guichet.routing.models import AssignmentLog, CallbackRequest, Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    form = QueueAdminForm
    list_display = ("slug", "name_en", "team", "default_priority", "always_open", "callback_offer_after_s")
    search_fields = ("slug", "name_en", "name_fr")


@admin.register(CallbackRequest)
class RoutingCallbackAdmin(admin.ModelAdmin):
    list_display = ("conversation", "method", "phone", "email", "status", "queued_at", "assignee")
    list_filter = ("status", "method", "queue")
    raw_id_fields = ("conversation", "assignee")


@admin.register(AssignmentLog)
class AssignmentLogAdmin(admin.ModelAdmin):
    list_display = ("conversation", "agent", "queue", "channel", "assigned_at", "waited_s")
    list_filter = ("queue", "channel")
    raw_id_fields = ("conversation", "agent")
