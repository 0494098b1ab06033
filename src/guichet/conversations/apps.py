from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "guichet.conversations"
    label = "conversations"
