"""The GraphQL documents the view runs: the project's schema, each document parsed and validated
once (cached by its text, with whether a string in it holds a character no string may hold), its
hash, and the static limits of each of its operations (shop/core/query_limits.py), cached too."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.utils import translation
from graphene_django.settings import graphene_settings

from graphql import parse, validate, visit
from shop.core.graphql_request import NulFinder
from shop.core.identity_cache import IdentityCache
from shop.core.query_limits import Limits, analyze


@lru_cache(maxsize=1)
def project_schema():
    """The project's schema, named by settings (GRAPHENE["SCHEMA"]): core imports no app's types."""
    return graphene_settings.SCHEMA.graphql_schema


@lru_cache(maxsize=512)
def parse_and_validate(query: str, schema=None, max_tokens: int = 1000):
    """Parsed document and its standard validation errors, cached by the document text."""
    document = parse(query, max_lexical_tokens=max_tokens, max_comments=max_tokens)
    errors = validate(schema or project_schema(), document)
    finder = NulFinder()
    visit(document, finder)
    return document, tuple(errors), finder.found


@lru_cache(maxsize=1024)
def document_hash(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


_analyses = IdentityCache(maxsize=2048)


def analyze_operation(schema, document, operation, variables: dict | None):
    """The static limits of an operation (shop.core.query_limits), computed once per document,
    operation, set of Int variables and limits: Ints are the only variables the analysis reads
    (page sizes), so a product page asked for 500 slugs is analysed once. Its error messages are
    in the request's language, which is part of the key."""
    ints = tuple(sorted((k, v) for k, v in (variables or {}).items() if type(v) is int))
    limits = Limits.from_settings()
    key = (id(document), id(operation), ints, id(schema), limits, translation.get_language())
    return _analyses.get_or_make(key, document, lambda: analyze(schema, document, operation, variables, limits))
