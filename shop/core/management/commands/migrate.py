"""``manage.py migrate`` with a ``lock_timeout`` (``MIGRATION_LOCK_TIMEOUT``, default 5s) and no statement timeout.

A migration that needs a lock held by a long transaction would otherwise wait, and every request
that touches the table would queue behind it: with the timeout it fails fast and can be retried.
See shop/core/migration_safety.py for the rules new migrations follow.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # wait at most this long for a lock; but let a long, lock-free step (an index built
                # CONCURRENTLY) run past the web connections' statement_timeout
                cursor.execute("SELECT set_config('lock_timeout', %s, false)", [settings.MIGRATION_LOCK_TIMEOUT])
                cursor.execute("SELECT set_config('statement_timeout', '0', false)")
        return super().handle(*args, **options)
