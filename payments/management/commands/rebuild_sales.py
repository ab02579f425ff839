"""``manage.py rebuild_sales``: recompute the sales rollups (designers' SalesDay, ProductSalesDay,
BuyerDay) from orders, order lines, refunds and the ledger (payments/rollups.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from payments import rollups
from shop.core.progress import Progress


class Command(BaseCommand):
    help = "Recompute the daily sales rollups from orders, payments, refunds and disputes (page views are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        progress = Progress("orders", rollups.order_count(), stream=self.stderr, enabled=not opts["no_progress"])
        written = rollups.rebuild(progress.update)
        seconds = progress.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Sales rollups rebuilt in {seconds:.1f} s: {written['days']:,} designer days, "
                f"{written['products']:,} product days, {written['buyers']:,} buyer days."
            )
        )
