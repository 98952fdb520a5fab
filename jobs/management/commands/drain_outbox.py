"""`manage.py drain_outbox`: publish the tasks waiting in the outbox now (beat does it
every minute; this is for operators after an outage)."""

from django.core.management.base import BaseCommand

from jobs import outbox


class Command(BaseCommand):
    help = "Publish the tasks that waited in the outbox while the broker was unreachable."

    def handle(self, *args, **options):
        result = outbox.drain()
        self.stdout.write(f"published {result['sent']}, still waiting {result['left']}")
