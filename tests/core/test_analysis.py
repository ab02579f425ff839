"""The static analysis of an operation (shop.core.query_limits.analyze) on a small schema, called
directly: each limit's error carries its measure and limit, in the request's language, and a
fragment that is unknown or spreads itself is reported once, at the root and below it. And the
identity cache (shop.core.identity_cache) that keeps the analyses and the fast executor's plans."""

from __future__ import annotations

import pytest
from django.utils import translation

from graphql import build_schema, parse
from shop.core.identity_cache import IdentityCache
from shop.core.query_limits import Limits, analyze

SCHEMA = build_schema(
    """
    interface Node { id: ID! }
    type Thing implements Node { id: ID! name: String child: Thing }
    type Query { thing: Thing version: Int }
    type Mutation { touch: Int }
    """
)
LOOSE = Limits(max_depth=10, max_aliases=15, max_cost=1000, max_mutations=4, introspection=False)


def run(source: str, limits: Limits = LOOSE):
    document = parse(source)
    return analyze(SCHEMA, document, document.definitions[0], None, limits)


@pytest.mark.parametrize(
    "source, limits, code, extensions, english",
    [
        (
            "{ thing { child { child { name } } } }",
            Limits(max_depth=3, max_aliases=15, max_cost=1000, max_mutations=4, introspection=False),
            "QUERY_TOO_DEEP",
            {"depth": 4, "maxDepth": 3},
            "The query is nested 4 levels deep; at most 3 are allowed.",
        ),
        (
            "{ a: version b: version }",
            Limits(max_depth=10, max_aliases=1, max_cost=1000, max_mutations=4, introspection=False),
            "TOO_MANY_ALIASES",
            {"aliases": 2, "maxAliases": 1},
            "The query uses 2 aliases; at most 1 are allowed.",
        ),
        (
            "mutation { a: touch b: touch c: touch }",
            Limits(max_depth=10, max_aliases=15, max_cost=1000, max_mutations=2, introspection=False),
            "TOO_MANY_MUTATIONS",
            {"mutations": 3, "maxMutations": 2},
            "The document runs 3 mutations; at most 2 are allowed per request.",
        ),
        (
            "{ thing { child { name } } }",
            Limits(max_depth=10, max_aliases=15, max_cost=1, max_mutations=4, introspection=False),
            "QUERY_TOO_COMPLEX",
            {"cost": 2, "maxCost": 1},
            "The query costs 2; at most 1 is allowed. Ask for smaller pages or fewer fields.",
        ),
    ],
)
def test_each_limit_reports_its_measure_and_limit_in_the_clients_language(source, limits, code, extensions, english):
    with translation.override("en"):
        (error,) = run(source, limits).errors
    assert error.message == english
    assert error.extensions == {"code": code, **extensions}
    with translation.override("vi"):
        (error,) = run(source, limits).errors
    assert error.message != english and str(extensions[next(iter(extensions))]) in error.message
    assert error.extensions == {"code": code, **extensions}
    assert run(source, LOOSE).errors == []


@pytest.mark.parametrize(
    "source, message",
    [
        ("{ ...Missing }", "Unknown fragment “Missing”."),
        ("{ thing { ...Missing } }", "Unknown fragment “Missing”."),
        ("{ ...Loop ...Loop } fragment Loop on Query { ...Loop }", "Fragment “Loop” spreads itself."),
        ("{ thing { ...Loop ...Loop } } fragment Loop on Thing { ...Loop }", "Fragment “Loop” spreads itself."),
    ],
)
def test_a_fragment_unknown_or_spreading_itself_is_one_error(source, message):
    with translation.override("en"):
        errors = run(source).errors
    assert [(e.message, e.extensions["code"]) for e in errors] == [(message, "GRAPHQL_VALIDATION_FAILED")]


def test_a_fragment_is_summarised_once_and_counted_each_time_it_is_spread():
    analysis = run("{ ...T ...T } fragment T on Query { a: version thing { name } }")
    assert (analysis.aliases, analysis.cost, analysis.depth) == (2, 2, 2)
    assert analysis.root_fields == {"version": 2, "thing": 2}


class Owner:
    pass


def test_the_identity_cache_keeps_a_value_per_owner_and_drops_the_oldest():
    cache = IdentityCache(maxsize=2)
    first, second, third = Owner(), Owner(), Owner()
    made = []

    def make(value):
        return lambda: made.append(value) or value

    assert cache.get_or_make(id(first), first, make("a")) == "a"
    assert cache.get_or_make(id(first), first, make("again")) == "a"
    # the same id with another object (the first one gone and its id reused) is not a hit
    assert cache.get_or_make(id(first), Owner(), make("other")) == "other"
    cache.get_or_make(id(second), second, make("b"))
    cache.get_or_make(id(third), third, make("c"))
    assert len(cache) == 2
    assert cache.get_or_make(id(third), third, make("c again")) == "c"
    assert cache.get_or_make(id(first), first, make("a again")) == "a again"  # the oldest was dropped
    assert made == ["a", "other", "b", "c", "a again"]
