from django.apps import AppConfig


class OmnichannelConfig(AppConfig):
    name = "guichet.omnichannel"
    label = "omnichannel"

    def ready(self) -> None:
        # Registers the "omnichannel.deliver" and "omnichannel.sms_direct" job handlers.
        from guichet.omnichannel import actions  # noqa: F401
