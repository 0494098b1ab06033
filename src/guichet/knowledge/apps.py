from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "guichet.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from guichet.knowledge.models import Article

        def changed(sender, **kwargs):  # type: ignore[no-untyped-def]
            from guichet.knowledge.index import knowledge_changed

            knowledge_changed()

        # Signals rather than calls in actions: admin bulk deletes and shell edits must refresh the bot too.
        post_save.connect(changed, sender=Article, dispatch_uid="knowledge.article_saved", weak=False)
        post_delete.connect(changed, sender=Article, dispatch_uid="knowledge.article_deleted", weak=False)
