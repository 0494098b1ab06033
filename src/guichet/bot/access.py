"""Who may read the virtual agent's insights: the same people who may edit the knowledge base."""

from __future__ import annotations

from guichet.knowledge.access import is_knowledge_editor, require_editor

__all__ = ["is_knowledge_editor", "require_editor"]
