from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "guichet.realtime"
    label = "realtime"
