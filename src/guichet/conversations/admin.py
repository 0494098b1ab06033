"""Read-mostly admin: conversations and messages change through actions (the desk), not by hand."""

from django.contrib import admin

from guichet.conversations.models import Contact, ContactIdentity, Conversation, Inbox, Message


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "channel", "default_queue", "bot_enabled", "bot_answers_need_approval"]
    list_filter = ["channel", "bot_enabled", "bot_answers_need_approval"]
    search_fields = ["slug", "name_en", "name_fr"]


class ContactIdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    fields = ["kind", "value", "verified", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "preferred_language", "created_at", "merged_into"]
    list_filter = ["preferred_language"]
    search_fields = ["display_name", "identities__value"]
    inlines = [ContactIdentityInline]
    raw_id_fields = ["merged_into"]


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["seq", "author_kind", "author_agent", "is_private", "body", "language", "delivery_status",
              "created_at"]
    readonly_fields = fields
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


# Fields an administrator may correct by hand; everything with a lifecycle stays with the actions.
CONVERSATION_EDITABLE = ["subject", "priority"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["reference", "status", "inbox", "queue", "assignee", "language", "created_at"]
    list_filter = ["status", "inbox__channel", "queue", "language"]
    search_fields = ["reference", "contact__display_name", "contact__identities__value", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["inbox", "queue", "assignee"]
    inlines = [MessageInline]
    readonly_fields = [f.name for f in Conversation._meta.fields if f.name not in CONVERSATION_EDITABLE]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["conversation", "seq", "author_kind", "is_private", "channel", "delivery_status",
                    "created_at"]
    list_filter = ["author_kind", "is_private", "channel", "delivery_status"]
    search_fields = ["conversation__reference", "body", "provider_id"]
    list_select_related = ["conversation"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
