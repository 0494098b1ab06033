"""Writes made by people about their own account."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from guichet.agents.models import AgentProfile

logger = logging.getLogger("guichet.accounts")


class PreferenceError(ValueError):
    pass


def check_ui_language(code: str) -> str:
    if code not in {language for language, _name in settings.LANGUAGES}:
        raise PreferenceError(_("This language is not available for the interface."))
    return code


def set_ui_language(agent: AgentProfile, code: str) -> AgentProfile:
    agent.ui_language = check_ui_language(code)
    agent.save(update_fields=["ui_language"])
    logger.info("agent.ui_language agent=%s language=%s", agent.pk, code)
    return agent
