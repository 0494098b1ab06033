from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "guichet.analytics"
    label = "analytics"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from guichet.analytics import actions, jobs  # noqa: F401 - registers the rollup job handler
        from guichet.conversations.actions import RESOLVE_HOOKS
        from guichet.realtime.widget_service import ACTION_HANDLERS

        if actions.on_conversation_resolved not in RESOLVE_HOOKS:
            RESOLVE_HOOKS.append(actions.on_conversation_resolved)
        ACTION_HANDLERS[actions.SURVEY_ACTION] = actions.rate_from_widget
