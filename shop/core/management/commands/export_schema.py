from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from graphene_django.settings import graphene_settings

from graphql import print_schema

SCHEMA_PATH = Path(settings.BASE_DIR) / "graphql" / "schema.graphql"


def printed_schema() -> str:
    # The project's schema, named by settings (GRAPHENE["SCHEMA"]): core imports no app's types.
    return print_schema(graphene_settings.SCHEMA.graphql_schema).rstrip() + "\n"


class Command(BaseCommand):
    help = "Print the GraphQL schema from code into graphql/schema.graphql (the published contract)."

    def handle(self, *args, **options):
        SCHEMA_PATH.write_text(printed_schema())
        self.stdout.write(f"wrote {SCHEMA_PATH}")
