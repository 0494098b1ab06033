from django.apps import AppConfig


class WfmConfig(AppConfig):
    name = "guichet.wfm"
    label = "wfm"
