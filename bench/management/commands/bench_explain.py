"""``manage.py bench_explain OPERATION [--variables JSON]``: run one operation of
``graphql/operations/`` through the real view (anonymous unless ``--as-email``), capture every SQL
statement it ran, and print them with PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)`` plan, as JSON.

The harness uses it to put the search's plan in docs/benchmarks.md (index-backed or not)."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

OPERATIONS = settings.BASE_DIR / "graphql" / "operations"


def explain_operation(
    operation: str, variables: dict | None = None, *, token: str | None = None, match: str | None = None
) -> dict:
    path = OPERATIONS / operation
    if not path.is_file():
        raise CommandError(f"No operation graphql/operations/{operation}.")
    body = {"query": path.read_text(), "variables": variables or {}, "operationName": path.stem}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    host = (settings.ALLOWED_HOSTS or ["127.0.0.1"])[0].lstrip(".")
    with CaptureQueriesContext(connection) as captured:
        response = Client(raise_request_exception=False).post(
            "/graphql/",
            data=json.dumps(body),
            content_type="application/json",
            headers=headers,
            HTTP_HOST=host,
        )
    result = response.json()
    statements = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if match and match.lower() not in sql.lower():
            continue
        plan = None
        if sql.lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
        statements.append({"sql": sql, "ms": float(query["time"]) * 1000, "plan": plan})
    return {
        "operation": operation,
        "variables": variables or {},
        "status": response.status_code,
        "errors": result.get("errors"),
        "statements": statements,
        "index_scans": sorted({name for s in statements for name in index_scans(s["plan"] or "")}),
    }


# "Index Scan using x on t", "Index Only Scan Backward using x on t", "Bitmap Index Scan on x"
_INDEX_SCAN = re.compile(r"Index (?:Only )?Scan (?:Backward )?using (\S+)|Bitmap Index Scan on (\S+)")


def index_scans(plan: str) -> set[str]:
    """The indexes an EXPLAIN text plan reads (plain, index-only, backward and bitmap scans)."""
    return {m.group(1) or m.group(2) for m in _INDEX_SCAN.finditer(plan)}


class Command(BaseCommand):
    help = "Run an operation from graphql/operations/, print its SQL with EXPLAIN (ANALYZE, BUFFERS) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("operation", help="e.g. storefront/ProductSearch.graphql")
        parser.add_argument("--variables", default="{}", help="JSON object")
        parser.add_argument("--token", help="An access token to send (default: anonymous).")
        parser.add_argument("--match", help="Only statements whose SQL contains this text.")

    def handle(self, *args, operation, variables, token=None, match=None, **options):
        try:
            values = json.loads(variables)
        except ValueError:
            raise CommandError("--variables must be a JSON object.")
        if not isinstance(values, dict):
            raise CommandError("--variables must be a JSON object.")
        self.stdout.write(
            json.dumps(explain_operation(operation, values, token=token, match=match), ensure_ascii=False, indent=2)
        )
