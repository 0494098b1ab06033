"""Who may edit the knowledge base: supervisors, administrators, and users given the editor permission."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from guichet.knowledge.models import Article

EDITOR_PERMISSION = "knowledge.change_article"


def is_knowledge_editor(user) -> bool:  # type: ignore[no-untyped-def]
    if not getattr(user, "is_authenticated", False):
        return False
    agent = getattr(user, "agent", None)
    return user.has_perm(EDITOR_PERMISSION) or bool(agent and agent.sees_all_queues)


def require_editor(user) -> None:  # type: ignore[no-untyped-def]
    if not is_knowledge_editor(user):
        raise PermissionDenied("Editing the knowledge base needs the knowledge editor permission.")


def article_for_editor(user, article_id: int) -> Article:  # type: ignore[no-untyped-def]
    require_editor(user)
    return get_object_or_404(Article, pk=article_id)
