"""The contract: graphql/schema.graphql is printed from code, and every operation real clients
send validates against it and is run by a test."""

from pathlib import Path

import pytest

from graphql import parse, validate
from shop.core.management.commands.export_schema import SCHEMA_PATH, printed_schema
from shop.schema import schema
from tests.support import OPERATIONS_DIR

OPERATION_FILES = sorted(OPERATIONS_DIR.rglob("*.graphql"))
TESTS_DIR = Path(__file__).parent


def test_checked_in_schema_is_current():
    assert SCHEMA_PATH.read_text() == printed_schema(), "graphql/schema.graphql is stale: run `make schema`"


def test_there_are_operations_for_each_client():
    clients = {p.parent.name for p in OPERATION_FILES}
    assert {"account", "designer", "staff", "storefront"} <= clients


@pytest.mark.parametrize("path", OPERATION_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_operation_validates_and_is_named_after_its_file(path):
    document = parse(path.read_text())
    assert validate(schema.graphql_schema, document) == []
    names = [d.name.value for d in document.definitions if getattr(d, "name", None)]
    assert names == [path.stem], "one operation per file, named like the file"


@pytest.mark.parametrize("path", OPERATION_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_operation_is_run_by_a_test(path):
    rel = f"{path.parent.name}/{path.name}"
    sources = "\n".join(p.read_text() for p in TESTS_DIR.rglob("test_*.py") if p.name != "test_contract.py")
    assert f'"{rel}"' in sources, f"no test runs {rel}"


def _connections_without_page_size(document) -> list[str]:
    """Connection fields selected without `first`/`last`: paginate refuses them at run time."""
    from graphql import TypeInfo, TypeInfoVisitor, Visitor, get_named_type, is_object_type, visit

    missing: list[str] = []
    type_info = TypeInfo(schema.graphql_schema)

    class Check(Visitor):
        def enter_field(self, node, *_):
            field_def = type_info.get_field_def()
            named = get_named_type(field_def.type) if field_def else None
            if (
                field_def is not None
                and is_object_type(named)
                and "edges" in named.fields
                and "first" in field_def.args
                and not {a.name.value for a in node.arguments or ()} & {"first", "last"}
            ):
                missing.append(node.name.value)

    visit(document, TypeInfoVisitor(type_info, Check()))
    return missing


@pytest.mark.parametrize("path", OPERATION_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_operation_is_within_the_query_limits(path, settings):
    """What real clients send must pass the limits real clients meet (with the operation's own
    variable defaults, and 100 for page sizes left to the client)."""
    from graphql import get_operation_ast
    from shop.core.query_limits import Limits, analyze

    document = parse(path.read_text())
    assert _connections_without_page_size(document) == [], "give every connection `first` or `last`"
    analysis = analyze(schema.graphql_schema, document, get_operation_ast(document), {}, Limits.from_settings())
    assert [e.message for e in analysis.errors] == []
