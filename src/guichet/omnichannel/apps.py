from django.apps import AppConfig


class OmnichannelConfig(AppConfig):
    name = "guichet.omnichannel"
    label = "omnichannel"
