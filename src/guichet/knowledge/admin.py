from django.contrib import admin

from guichet.knowledge import actions
from guichet.knowledge.models import Article, ArticleRevision


class RevisionInline(admin.TabularInline):
    model = ArticleRevision
    extra = 0
    can_delete = False
    fields = ("number", "author", "source", "created_at")
    readonly_fields = fields
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("key", "en_title", "fr_title", "status", "audience", "valid_until", "updated_at")
    list_filter = ("status", "audience")
    search_fields = ("key", "en_title", "fr_title", "en_answer", "fr_answer")
    readonly_fields = ("created_at", "updated_at", "updated_by")
    inlines = [RevisionInline]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        actions.save_article(obj, user=request.user, source="admin")

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        actions.delete_article(obj, user=request.user)
