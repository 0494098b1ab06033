from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "guichet.routing"
    label = "routing"

    def ready(self) -> None:
        # Importing registers the background job handlers (routing timers, presence grace, wrap-up, sweep).
        from guichet.agents import actions as agent_actions  # noqa: F401
        from guichet.conversations.actions import RESOLVE_HOOKS
        from guichet.realtime.widget_service import ACTION_HANDLERS
        from guichet.routing import actions as routing_actions  # noqa: F401
        from guichet.routing.callbacks import widget_callback_request
        from guichet.routing.hooks import on_resolved
        from guichet.routing.wait import widget_position_request

        ACTION_HANDLERS["callback.request"] = widget_callback_request
        # The widget asks for its place once it has joined its conversation's group (no event is missed).
        ACTION_HANDLERS["queue.position"] = widget_position_request
        if on_resolved not in RESOLVE_HOOKS:
            RESOLVE_HOOKS.append(on_resolved)
