"""Services speak Python names: the error fields that services, selectors and helpers raise are
their arguments' snake_case names (``product_id``, ``lines.2.line_id``); the GraphQL layer alone turns
them into the schema's camelCase (``shop.core.graphql.api_field``). This test reads every module
outside the GraphQL layer and refuses a camelCase error field."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("shop", "designers", "payments")
# the GraphQL layer: API shapes, where camelCase belongs
GRAPHQL_MODULES = re.compile(r"(^|_)(mutations|types|queries|fields|schema|graphql)\.py$")
ERRORS = {"ServiceError": 2, "FieldError": 2, "Problem": 2, "NotFound": 1}  # name -> index of `field`
CAMEL = re.compile(r"[a-z][A-Z]")


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "management" in parts or GRAPHQL_MODULES.search(path.name):
                continue
            yield path


def _text(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def camel_case_fields(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        candidates = []
        if isinstance(node, ast.Call):
            candidates += [k.value for k in node.keywords if k.arg == "field"]
            index = ERRORS.get(_name(node.func) or "")
            if index is not None and len(node.args) > index:
                candidates.append(node.args[index])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            positional = arguments.posonlyargs + arguments.args
            defaults = dict(
                zip([a.arg for a in positional[len(positional) - len(arguments.defaults) :]], arguments.defaults)
            )
            defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None})
            candidates += [d for name, d in defaults.items() if name == "field"]
        for candidate in candidates:
            text = _text(candidate)
            if text and CAMEL.search(text):
                found.append((candidate.lineno, text))
    return found


def test_the_check_sees_a_camel_case_field():
    source = (
        'raise ServiceError(Code.INVALID, "x", "productType")\n'
        'FieldError(Code.INVALID, "x", field=f"lines.{i}.lineId")\n'
        'def store(upload, *, field: str = "digitalFile"): pass\n'
        'raise ServiceError(Code.INVALID, "x", "product_type")\n'
    )
    assert sorted(text for _line, text in camel_case_fields(source)) == ["digitalFile", "lines..lineId", "productType"]


def test_services_and_selectors_name_error_fields_in_snake_case():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in _modules()
        for line, text in camel_case_fields(path.read_text())
    ]
    assert offenders == [], "camelCase error fields outside the GraphQL layer:\n" + "\n".join(offenders)
