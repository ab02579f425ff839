"""Error codes: one enum per domain (``<app>/errors.py``, shop/core/errors.py), used by the services
and exposed as the schema's ``<Domain>ErrorCode``, so that a misspelt or foreign code cannot ship.

The proof is static, over the source: every code is written as an enum member (no string
literal), every member named exists, and for every mutation, every code that the functions its
``perform`` calls can raise — followed through the services, selectors and core helpers they call —
is a value of the mutation's enum (else BaseMutation would answer it as INVALID)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from functools import cache
from pathlib import Path

import pytest

from shop.core.errors import ErrorCode
from shop.core.graphql import BaseMutation

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shop", "designers", "payments")
ERROR_CALLS = {"ServiceError", "FieldError", "Problem", "NotFound", "_refuse"}
CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or parts[-1] in ("settings", "wsgi", "celery", "gunicorn_worker"):
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text())


def _resolve(expression: ast.AST, namespace: dict, cls: type | None):
    """The object a Name/Attribute chain refers to, looked up in the function's globals and
    closure (``cls``/``self``: the mutation class), or None."""
    if isinstance(expression, ast.Name):
        if expression.id in ("cls", "self") and cls is not None:
            return cls
        return namespace.get(expression.id)
    if isinstance(expression, ast.Attribute):
        owner = _resolve(expression.value, namespace, cls)
        return getattr(owner, expression.attr, None) if owner is not None else None
    return None


def _ours(obj):
    """The plain function behind ``obj`` (bound, classmethod, decorated) when it is one of ours."""
    obj = getattr(obj, "__func__", obj)
    try:
        obj = inspect.unwrap(obj)
    except ValueError:
        return None
    if inspect.isfunction(obj) and obj.__module__ in MODULES:
        return obj
    return None


@cache
def _source(func) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(func)))


def _direct(func, cls: type | None) -> tuple[set[str], list]:
    """The codes a function names and the functions of ours it calls."""
    namespace = dict(func.__globals__)
    namespace.update(inspect.getclosurevars(func).nonlocals)
    codes, calls = set(), []
    for node in ast.walk(_source(func)):
        if isinstance(node, ast.Attribute):
            value = _resolve(node, namespace, cls)
            if isinstance(value, ErrorCode):
                codes.add(value.value)
        elif isinstance(node, ast.Call):
            target = _ours(_resolve(node.func, namespace, cls))
            if target is not None:
                calls.append(target)
    return codes, calls


def raisable_codes(func, cls: type | None = None) -> dict[str, str]:
    """Every code the function, or any function of ours it calls (transitively), names: code ->
    the function that names it."""
    seen: set = set()
    found: dict[str, str] = {}
    todo = [_ours(func)]
    while todo:
        current = todo.pop()
        if current.__code__ in seen:
            continue
        seen.add(current.__code__)
        codes, calls = _direct(current, cls)
        for code in codes:
            found.setdefault(code, f"{current.__module__}.{current.__qualname__}")
        todo.extend(calls)
    return found


def _mutations() -> list[type[BaseMutation]]:
    from shop.schema import schema  # noqa: F401  (every mutation class is defined)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return sorted(
        {m for m in subclasses(BaseMutation) if vars(m).get("_meta") is not None and m.__module__ in MODULES},
        key=lambda m: m.__name__,
    )


def test_every_error_code_is_an_enum_member_never_a_string():
    literals = []
    for module in MODULES:
        for node in ast.walk(_tree(module)):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in ERROR_CALLS:
                continue
            arguments = node.args[:1] + [k.value for k in node.keywords if k.arg == "code"]
            literals += [
                f"{module}:{node.lineno} {a.value}"
                for a in arguments
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and CODE.match(a.value)
            ]
    assert literals == []


def test_every_enum_member_named_in_the_code_exists():
    missing = []
    for module in MODULES:
        namespace = vars(importlib.import_module(module))
        for node in ast.walk(_tree(module)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
                owner = _resolve(node.value, namespace, None)
                if (
                    isinstance(owner, type)
                    and issubclass(owner, ErrorCode)
                    and not node.attr.startswith("_")
                    and node.attr not in owner.__members__
                ):
                    missing.append(f"{module}:{node.lineno} {owner.__name__}.{node.attr}")
    assert missing == []


def test_the_schema_enums_are_the_domain_enums():
    mutations = _mutations()
    assert len(mutations) > 40
    for mutation in mutations:
        assert issubclass(mutation.error_codes._meta.enum, ErrorCode), mutation


@pytest.mark.parametrize("mutation", _mutations(), ids=lambda m: m.__name__)
def test_every_code_a_mutation_can_raise_is_in_its_enum(mutation):
    """Followed from ``perform`` through every function of ours it calls."""
    codes = raisable_codes(mutation.perform, mutation)
    allowed = set(mutation.error_codes._meta.enum.__members__)
    assert {code: where for code, where in codes.items() if code not in allowed} == {}


def test_the_analysis_follows_calls_into_services_and_core_helpers():
    from shop.checkout.mutations import CheckoutComplete, ShippingMethodCreate

    completion = raisable_codes(CheckoutComplete.perform, CheckoutComplete)
    assert completion["PAYMENT_ERROR"] == "shop.checkout.completion.complete_checkout"
    assert completion["EMPTY_CHECKOUT"].startswith("shop.checkout.selectors.")
    assert "INSUFFICIENT_STOCK" in completion  # from shop.orders.stock, through place_purchase
    shipping = raisable_codes(ShippingMethodCreate.perform, ShippingMethodCreate)
    assert shipping["REQUIRED"].startswith(("shop.core.validation", "shop.checkout.shipping_methods"))
    assert "PAYMENT_ERROR" not in shipping
