from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "guichet.bot"
    label = "bot"
