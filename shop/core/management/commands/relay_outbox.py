"""``manage.py relay_outbox``: send now the tasks waiting in the outbox (the broker was down when
they were queued). Safe beside the periodic relay: each row is claimed by one relay."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shop.core.models import OutboxMessage
from shop.core.queueing import relay_outbox


class Command(BaseCommand):
    help = "Send the Celery tasks waiting in the outbox."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="also the messages younger than OUTBOX_RELAY_AFTER_SECONDS"
        )

    def handle(self, *args, **options):
        total = 0
        while True:
            sent = relay_outbox(min_age_seconds=0 if options["all"] else None)
            total += sent
            if not sent:
                break
        left = OutboxMessage.objects.count()
        self.stdout.write(f"outbox: {total} message(s) sent, {left} waiting")
        if left and not total:
            self.stderr.write("the broker took no message; run again when it is back")
