from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "guichet.analytics"
    label = "analytics"
