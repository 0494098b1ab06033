from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "guichet.agents"
    label = "agents"
