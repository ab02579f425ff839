"""Migrations that would lock a large table for long are refused before they ship.

A migration runs against a live database: while ``CREATE INDEX`` builds, or ``ADD CONSTRAINT``
scans the table to validate, writes to that table wait, and every request behind them. On the
tables that grow with the marketplace's traffic (each app lists its own in ``AppConfig.large_tables``),
a new migration must:

- build indexes ``CONCURRENTLY`` (``django.contrib.postgres.operations.AddIndexConcurrently`` in a
  migration with ``atomic = False``), and drop them the same way;
- add foreign-key and check constraints ``NOT VALID`` and ``VALIDATE CONSTRAINT`` them in a later
  step (validation takes only a SHARE UPDATE EXCLUSIVE lock);
- never rewrite the table (``ALTER COLUMN ... TYPE``) nor ``SET NOT NULL`` on an existing column
  (add a ``CHECK (col IS NOT NULL) NOT VALID``, validate it, then set NOT NULL).

Tables created by the same migration are empty, so anything goes there. The migrations that existed
when this rule was made (``AppConfig.migrations_before_safety_rule``) ran long ago on small tables and are not re-judged.
``manage.py migrate`` also sets ``lock_timeout`` (``MIGRATION_LOCK_TIMEOUT``), so a migration that
waits behind a long transaction fails fast instead of queueing every request behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def large_tables() -> frozenset[str]:
    """The tables that grow with the marketplace's traffic: each app names its own, in its
    ``AppConfig.large_tables``."""
    return frozenset(table for config in apps.get_app_configs() for table in getattr(config, "large_tables", ()))


def grandfathered() -> frozenset[tuple[str, str]]:
    """``(app label, migration)`` of the migrations written before the rule (each app's
    ``AppConfig.migrations_before_safety_rule``)."""
    return frozenset(
        (config.label, name)
        for config in apps.get_app_configs()
        for name in getattr(config, "migrations_before_safety_rule", ())
    )


def _ours(app_label: str) -> bool:
    """An app of this repository (not Django's, not a dependency's)."""
    path = Path(apps.get_app_config(app_label).path).resolve()
    return (
        Path(settings.BASE_DIR).resolve() in path.parents
        and ".venv" not in path.parts
        and "site-packages" not in path.parts
    )


_CREATE_TABLE = re.compile(r'^\s*CREATE TABLE\s+"?(\w+)"?', re.I)
_CREATE_INDEX = re.compile(
    r'^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)(?:IF NOT EXISTS\s+)?"?\w+"?\s+ON\s+"?(\w+)"?', re.I
)
_DROP_INDEX = re.compile(r"^\s*DROP INDEX\s+(?!CONCURRENTLY)", re.I)
_ALTER_TABLE = re.compile(r'^\s*ALTER TABLE\s+(?:ONLY\s+)?"?(\w+)"?\s+(.*)$', re.I | re.S)


@dataclass(frozen=True)
class Finding:
    app_label: str
    migration: str
    table: str
    statement: str
    why: str

    def __str__(self) -> str:
        return f"{self.app_label}.{self.migration} on {self.table}: {self.why}\n    {self.statement[:200]}"


def judge(statements: list[str], *, tables: frozenset[str] | None = None) -> list[tuple[str, str, str]]:
    """``(table, statement, why)`` for each statement that would hold a long lock on a large,
    existing table."""
    tables = large_tables() if tables is None else tables
    created = {m.group(1) for s in statements if (m := _CREATE_TABLE.match(s))}
    found = []
    for statement in statements:
        if m := _CREATE_INDEX.match(statement):
            table = m.group(2)
            if table in tables and table not in created:
                found.append((table, statement, "index built without CONCURRENTLY (blocks writes while it builds)"))
            continue
        if _DROP_INDEX.match(statement):
            table = next((t for t in tables if t in statement), None)
            if table:
                found.append((table, statement, "index dropped without CONCURRENTLY"))
            continue
        m = _ALTER_TABLE.match(statement)
        if not m or m.group(1) not in tables or m.group(1) in created:
            continue
        table, rest = m.group(1), m.group(2).upper()
        if "ADD CONSTRAINT" in rest and ("FOREIGN KEY" in rest or "CHECK" in rest) and "NOT VALID" not in rest:
            found.append((table, statement, "constraint added without NOT VALID (validated under a long lock)"))
        elif "ADD CONSTRAINT" in rest and "UNIQUE" in rest and "USING INDEX" not in rest:
            found.append(
                (
                    table,
                    statement,
                    "unique constraint builds its index under a lock (build it CONCURRENTLY, then USING INDEX)",
                )
            )
        elif re.search(r"ALTER COLUMN\s+\"?\w+\"?\s+TYPE", rest):
            found.append((table, statement, "column type change rewrites the table"))
        elif re.search(r"ALTER COLUMN\s+\"?\w+\"?\s+SET NOT NULL", rest):
            found.append((table, statement, "SET NOT NULL scans the table under an exclusive lock"))
    return found


def unsafe_migrations(*, exempt=None, tables: frozenset[str] | None = None) -> list[Finding]:
    """Every finding in the project's migrations that are not grandfathered (or in ``exempt``)."""
    exempt = grandfathered() if exempt is None else exempt
    tables = large_tables() if tables is None else tables
    loader = MigrationExecutor(connection).loader
    findings = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if (app_label, name) in exempt or not _ours(app_label):
            continue
        statements = loader.collect_sql([(migration, False)])
        for table, statement, why in judge(statements, tables=tables):
            findings.append(Finding(app_label, name, table, statement, why))
    return findings
