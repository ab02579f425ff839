"""The import contracts (pyproject.toml [tool.importlinter], docs/architecture.md) hold, and
they do fail when an import points the wrong way, closes a cycle, pulls the GraphQL layer into
the domain, or when graphql/ shadows graphql-core."""

from __future__ import annotations

import subprocess
import sys
from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from importlinter import api  # noqa: F401  (configures import-linter)
from importlinter.application import use_cases
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

from tests.architecture.contracts import shadowing

ROOT = Path(__file__).resolve().parents[2]


def test_the_code_keeps_every_import_contract():
    run = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 kept, 0 broken" in run.stdout


@pytest.fixture(scope="module")
def options():
    user_options = use_cases.read_user_options(str(ROOT / "pyproject.toml"))
    contracts = {c["id"]: c for c in user_options.contracts_options}
    return user_options.session_options, contracts


@pytest.fixture(scope="module")
def graph(options):
    session, _contracts = options
    return grimp.build_graph(*session["root_packages"], include_external_packages=True, cache_dir=None)


def check(contract_class, options, contract_id, graph, *extra_imports):
    session, contracts = options
    copy = deepcopy(graph)
    for importer, imported in extra_imports:
        copy.add_import(importer=importer, imported=imported)
    contract = contract_class(name=contract_id, session_options=session, contract_options=contracts[contract_id])
    return contract.check(copy, verbose=False).kept


def test_the_layers_refuse_a_wrong_way_import_and_a_cycle(options, graph):
    assert check(LayersContract, options, "layers", graph)
    # the catalog asking the orders app directly instead of through catalog.variant_in_use
    assert not check(LayersContract, options, "layers", graph, ("shop.catalog.services", "shop.orders.models"))
    # orders queuing the payments' settlement itself: orders <-> payments, a cycle
    assert not check(LayersContract, options, "layers", graph, ("shop.orders.tasks", "payments.tasks"))
    # core naming an app
    assert not check(LayersContract, options, "layers", graph, ("shop.core.views", "shop.accounts.tokens"))
    # the GraphQL layer may import any app's types and domain modules
    assert check(LayersContract, options, "layers", graph, ("shop.accounts.types", "shop.checkout.types"))


def test_the_modules_of_an_app_form_no_cycle(options, graph):
    assert check(AcyclicSiblingsContract, options, "acyclic-apps", graph)
    # catalog services read through the selectors; selectors calling back into services closes a cycle
    assert not check(
        AcyclicSiblingsContract, options, "acyclic-apps", graph, ("shop.catalog.selectors", "shop.catalog.services")
    )


def test_the_domain_never_imports_the_graphql_layer(options, graph):
    assert check(ForbiddenContract, options, "domain-below-api", graph)
    for imported in ("shop.orders.types", "shop.core.ids", "graphql_relay", "graphene"):
        assert not check(ForbiddenContract, options, "domain-below-api", graph, ("shop.orders.lifecycle", imported))
    # ... not even through another module
    assert not check(
        ForbiddenContract,
        options,
        "domain-below-api",
        graph,
        ("shop.catalog.models", "shop.core.text"),
        ("shop.core.text", "shop.catalog.types"),
    )


def test_graphql_is_never_shadowed(tmp_path):
    assert shadowing("graphql", ROOT) == []
    (tmp_path / "graphql").mkdir()
    (tmp_path / "graphql" / "__init__.py").write_text("")
    assert shadowing("graphql", tmp_path) == ["graphql/__init__.py shadows the installed graphql"]
