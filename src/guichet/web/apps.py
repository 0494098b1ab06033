from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "guichet.web"
    label = "web"

    def ready(self) -> None:
        from guichet.realtime.widget_service import ACTION_HANDLERS
        from guichet.web.widget_actions import QUEUE_POSITION_ACTION, send_queue_position

        ACTION_HANDLERS.setdefault(QUEUE_POSITION_ACTION, send_queue_position)
