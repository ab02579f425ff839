"""``manage.py seed_bench``: fill an empty database with a marketplace of the size asked for.

Reference dataset (docs/benchmarks.md): ``--reference`` = 2,000 designers, 100,000 products
(3 variants each: 300,000), 400,000 orders with 1,000,000 order lines.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.seed.generate import PASSWORD, Counts, Seeder, SeedError

REFERENCE = {"designers": 2000, "products": 100_000, "orders": 400_000, "order_lines": 1_000_000}
QUICK = {"designers": 60, "products": 3000, "orders": 4000, "order_lines": 10_000}


class Command(BaseCommand):
    help = "Fill an empty database with a believable marketplace of the given size, deterministically from --seed."

    def add_arguments(self, parser):
        parser.add_argument("--designers", type=int)
        parser.add_argument("--products", type=int)
        parser.add_argument("--orders", type=int, help="Orders (one per designer per purchase).")
        parser.add_argument("--order-lines", type=int, help="Order lines in all (default: 2.5 per order).")
        parser.add_argument("--buyers", type=int, help="Registered buyers (default: one per 8 orders, at least 100).")
        parser.add_argument(
            "--reference",
            action="store_true",
            help="The reference size: " + ", ".join(f"{k} {v:,}" for k, v in REFERENCE.items()),
        )
        parser.add_argument(
            "--quick",
            action="store_true",
            help="A small marketplace for CI: " + ", ".join(f"{k} {v:,}" for k, v in QUICK.items()),
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--until", help="The data's 'today' (YYYY-MM-DD, UTC). Default: today.")
        parser.add_argument(
            "--reset", action="store_true", help="Empty every table of the marketplace first (TRUNCATE)."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        if opts["reset"] and not settings.DEBUG:
            raise CommandError("--reset empties every table: refused with DEBUG=false (a production database?).")
        preset = REFERENCE if opts["reference"] else QUICK if opts["quick"] else {}
        designers = opts["designers"] or preset.get("designers")
        products = opts["products"] if opts["products"] is not None else preset.get("products")
        orders = opts["orders"] if opts["orders"] is not None else preset.get("orders")
        if not designers or products is None or orders is None:
            raise CommandError("Give --designers, --products and --orders (or --reference / --quick).")
        lines = opts["order_lines"] if opts["order_lines"] is not None else preset.get("order_lines", int(orders * 2.5))
        if lines < orders:
            raise CommandError("--order-lines must be at least --orders (every order has a line).")
        buyers = opts["buyers"] if opts["buyers"] is not None else max(100, orders // 8)
        until = None
        if opts["until"]:
            try:
                until = datetime.strptime(opts["until"], "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                raise CommandError("--until takes a date: YYYY-MM-DD.")
        counts = Counts(designers=designers, products=products, orders=orders, order_lines=lines, buyers=buyers)
        seeder = Seeder(counts, seed=opts["seed"], until=until, verbose=not opts["no_progress"], stream=sys.stderr)
        try:
            report = seeder.run(reset=opts["reset"])
        except SeedError as exc:
            raise CommandError(str(exc))
        self.stdout.write(self.style.SUCCESS(f"Seeded in {report.total_seconds:.1f} s (seed {opts['seed']})."))
        for table, n in sorted(report.rows.items()):
            self.stdout.write(f"  {table:<36} {n:>12,}")
        for stage, seconds in report.seconds.items():
            self.stdout.write(f"  {stage:<36} {seconds:>10.1f} s")
        self.stdout.write(f"Every user's password: {PASSWORD}  (staff: staff@bench.rethink.market)")
