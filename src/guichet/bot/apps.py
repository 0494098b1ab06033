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
