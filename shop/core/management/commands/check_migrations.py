"""``manage.py check_migrations``: refuse migrations that would hold a long lock on a large table
(rules in shop/core/migration_safety.py). Exit 1 with each statement, 0 when all are safe."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shop.core.migration_safety import unsafe_migrations


class Command(BaseCommand):
    help = "Check new migrations for long locks on large tables."

    def handle(self, *args, **options):
        findings = unsafe_migrations()
        for finding in findings:
            self.stdout.write(str(finding))
        if findings:
            raise CommandError(f"{len(findings)} unsafe migration statement(s)", returncode=1)
        self.stdout.write("migrations: no long lock on a large table")
