"""One callback concept in the product: routing.CallbackRequest. Pending phone callbacks recorded here before
routing had its own are copied there (same number, language and place in line), then this table goes."""

from django.db import migrations


def copy_pending_callbacks(apps, schema_editor):
    OldCallback = apps.get_model("omnichannel", "CallbackRequest")
    RoutingCallback = apps.get_model("routing", "CallbackRequest")
    for old in OldCallback.objects.filter(status="pending").select_related("conversation"):
        conversation = old.conversation
        if conversation.queue_id is None or RoutingCallback.objects.filter(
                conversation=conversation, status__in=["pending", "assigned"]).exists():
            continue
        RoutingCallback.objects.create(
            conversation=conversation, queue_id=conversation.queue_id, method="phone", phone=old.phone,
            language=old.language, queued_at=conversation.queued_at or conversation.created_at,
            created_at=old.requested_at)


class Migration(migrations.Migration):

    dependencies = [
        ("omnichannel", "0001_initial"),
        ("routing", "0002_callbacks_assignment_log"),
    ]

    operations = [
        migrations.RunPython(copy_pending_callbacks, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="CallbackRequest",
        ),
    ]
