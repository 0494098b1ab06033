from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "guichet.bot"
    label = "bot"
    verbose_name = _("Virtual agent")

    def ready(self) -> None:
        from guichet.bot import dialogue, flow_runtime, jobs, widget_actions  # noqa: F401 - registers job handlers
        from guichet.conversations.actions import BOT_HOOKS, RESOLVE_HOOKS
        from guichet.realtime.widget_service import ACTION_HANDLERS

        if dialogue.on_citizen_message not in BOT_HOOKS:
            BOT_HOOKS.append(dialogue.on_citizen_message)
        if jobs.mark_abandoned not in RESOLVE_HOOKS:
            RESOLVE_HOOKS.append(jobs.mark_abandoned)
        ACTION_HANDLERS.update(widget_actions.HANDLERS)
        self._warm_up_when_serving()

    @staticmethod
    def _warm_up_when_serving() -> None:
        import sys

        from django.conf import settings

        if sys.argv[1:2] == ["serve"] and getattr(settings, "GUICHET_BOT_WARM_UP", True):
            from guichet.knowledge.index import warm_up_in_background

            warm_up_in_background()
