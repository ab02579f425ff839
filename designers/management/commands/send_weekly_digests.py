"""``manage.py send_weekly_digests``: last week's digests now (what Celery beat does on Monday
morning), or with ``--dry-run`` a list of what would be sent plus one real digest written to the
console (nothing recorded, nobody emailed)."""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.management.base import BaseCommand

from designers import digest
from designers.models import WeeklyDigest
from shop.core import money


class Command(BaseCommand):
    help = "Send last week's sales digests (once per designer and week); --dry-run shows them instead."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent and one digest.")

    def handle(self, *args, **opts):
        week = digest.last_week()
        designers = list(digest.recipients().order_by("pk"))
        sent = set(
            WeeklyDigest.objects.filter(week_start=week, sent_at__isnull=False).values_list("designer_id", flat=True)
        )
        self.stdout.write(f"Week of {week.isoformat()}: {len(designers)} designers with the digest on.")
        if not opts["dry_run"]:
            queued = digest.queue_due(force=True)
            self.stdout.write(self.style.SUCCESS(f"{len(queued)} digests queued ({len(sent)} already sent)."))
            return
        for designer in designers:
            state = "already sent" if designer.pk in sent else "would send"
            report = digest.build(designer, week)
            totals = report.this_week.totals
            net = money.format_money(money.from_minor(totals.net, report.currency), report.currency, "en")
            self.stdout.write(
                f"  {state}: {designer.display_name} <{designer.user.email}> ({designer.user.language}): "
                f"{totals.orders} orders, net earnings {net}"
            )
        if designers:
            first = designers[0]
            self.stdout.write(f"One digest, as it would be sent, on the console ({first.display_name}):")
            console = ConsoleBackend(stream=self.stdout._out)
            digest.deliver(digest.build(first, week), connection=console)
