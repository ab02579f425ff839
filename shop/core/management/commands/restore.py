"""``manage.py restore FILE --database NAME``: restore a ``manage.py backup`` file into a NEW database.

It never writes over a database that has tables (restore into a fresh one, check it with
``manage.py check_money`` against it, then point ``DATABASE_URL`` at it): a restore is a decision,
not an accident. The database is created on the configured server when it does not exist.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

from shop.core.pgtools import connect_kwargs, run_client


class Command(BaseCommand):
    help = "Restore a backup (pg_restore) into a new, empty database."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--database", required=True, help="name of the database to restore into (created if missing)"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no backup file at {path}")
        name = options["database"]
        db = settings.DATABASES["default"]
        with psycopg.connect(**connect_kwargs(db, dbname="postgres"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        with psycopg.connect(**connect_kwargs(db, dbname=name)) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchone()[0]
        if tables:
            raise CommandError(f"database {name} already has {tables} tables: restore into a new database")
        failure = run_client("pg_restore", db, ["--exit-on-error", f"--dbname={name}", str(path)])
        if failure is not None:
            raise CommandError(f"pg_restore failed: {failure}")
        self.stdout.write(f"restored {path} into database {name}")
