"""Read-only admin for satisfaction answers: ratings change through the survey verbs, never by hand."""

from django.contrib import admin
from django.http import HttpRequest

from guichet.analytics.models import SurveyRequest


@admin.register(SurveyRequest)
class SurveyRequestAdmin(admin.ModelAdmin):
    list_display = ["conversation", "channel", "language", "asked_at", "answered_at", "rating"]
    list_filter = ["channel", "language", "rating"]
    search_fields = ["conversation__reference", "comment"]
    readonly_fields = ["conversation", "channel", "language", "asked_at", "answered_at", "rating", "comment"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SurveyRequest | None = None) -> bool:
        return False
