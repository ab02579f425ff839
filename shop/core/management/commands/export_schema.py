from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

SCHEMA_PATH = Path(settings.BASE_DIR) / "graphql" / "schema.graphql"


def printed_schema() -> str:
    from graphql import print_schema
    from shop.schema import schema

    return print_schema(schema.graphql_schema).rstrip() + "\n"


class Command(BaseCommand):
    help = "Print the GraphQL schema from code into graphql/schema.graphql (the published contract)."

    def handle(self, *args, **options):
        SCHEMA_PATH.write_text(printed_schema())
        self.stdout.write(f"wrote {SCHEMA_PATH}")
