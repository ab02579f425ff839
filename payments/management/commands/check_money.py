"""``manage.py check_money``: the money invariants (payments/reconcile.py), read-only.

Prints what it checked and each difference; exits 1 when there is any, 0 when the books agree.
Safe in production: it only reads, in one repeatable-read snapshot, and takes no lock.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from payments import reconcile


class Command(BaseCommand):
    help = "Check that purchases, orders, refunds, transfers and the ledger agree (read-only)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:  # one snapshot for every query (inside a caller's transaction: the caller's)
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            counts = reconcile.counts()
            differences = reconcile.money_differences()
        if options["json"]:
            self.stdout.write(json.dumps({"checked": counts, "differences": [vars(d) for d in differences]}))
        else:
            self.stdout.write("checked: " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
            for difference in differences:
                self.stdout.write(str(difference))
            self.stdout.write(f"{len(differences)} difference(s)")
        if differences:
            raise CommandError(f"{len(differences)} money difference(s)", returncode=1)
