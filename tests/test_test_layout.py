"""How the test suite itself is laid out: fixtures in conftest.py files (pytest injects them by name,
nobody imports them), every builder of test data in tests/factories.py, plumbing in tests/support.py."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def modules():
    for path in sorted(TESTS.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def imported_modules(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or ""), node.lineno
            for alias in node.names:  # from tests.orders import conftest
                yield f"{node.module}.{alias.name}", node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno


def is_fixture(function: ast.FunctionDef) -> bool:
    return any("fixture" in ast.unparse(decorator) for decorator in function.decorator_list)


def test_no_module_imports_from_a_conftest():
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line} imports {name}"
        for path, tree in modules()
        for name, line in imported_modules(tree)
        if name.split(".")[-1] == "conftest"
    ]
    assert not offenders, "use a fixture by name, or move the helper to tests/factories.py or tests/support.py"


def test_builders_of_test_data_live_in_the_factories_module():
    """A module-level ``make_*`` or ``*_factory`` function that is not a fixture belongs in
    tests/factories.py (fixtures may wrap those builders)."""
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{node.lineno} {node.name}"
        for path, tree in modules()
        if path != TESTS / "factories.py"
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and (node.name.startswith("make_") or node.name.endswith("_factory"))
        and not is_fixture(node)
    ]
    assert not offenders


def test_the_checks_above_see_what_they_look_for():
    tree = ast.parse(
        "from tests.orders.conftest import Market\nfrom tests.orders import conftest\nfrom .conftest import x\n"
    )
    assert [name for name, _ in imported_modules(tree) if name.split(".")[-1] == "conftest"] == [
        "tests.orders.conftest",
        "tests.orders.conftest",
        ".conftest",
    ]
    fixture, plain = ast.parse("@pytest.fixture\ndef make_x(db): ...\ndef make_y(): ...\n").body
    assert is_fixture(fixture) and not is_fixture(plain)
