"""`python manage.py routing_sweep`: forget dead agent connections, hand back vanished agents' work, route.

The same sweep runs as the self-rescheduling `agents.sweep` job; this command is for cron or an operator.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from guichet.agents.actions import sweep


class Command(BaseCommand):
    help = "Forget stale agent connections, requeue the work of agents who vanished, and route waiting work."

    def handle(self, *args, **options):
        for name, value in sweep().items():
            self.stdout.write(f"{name}: {value}")
