"""Query abuse is refused before anything executes: each limit passes at N and fails at N+1 with a
clear error, an ``extensions.code`` and HTTP 400 — never a 500, whatever the document holds."""

import json

from django.test import Client, RequestFactory
from django.utils import translation

from graphql import build_schema, get_introspection_query, parse
from shop.core.query_limits import Limits, analyze
from shop.core.views import GraphQLView
from shop.schema import schema as project_schema
from tests.factories import make_designer, make_user
from tests.support import load_operation

SCHEMA = project_schema.graphql_schema


def codes(body) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def refused(result, code):
    assert result["_status"] == 400, result
    assert code in codes(result), result
    assert "data" not in result or result["data"] is None
    assert all(e["message"] for e in result["errors"])
    return result["errors"][list(codes(result)).index(code)]


def accepted(result):
    assert result["_status"] == 200, result
    assert not {
        "QUERY_TOO_DEEP",
        "TOO_MANY_ALIASES",
        "QUERY_TOO_COMPLEX",
        "TOO_MANY_MUTATIONS",
        "TOO_MANY_TOKENS",
    } & set(codes(result))
    return result


# --- depth: the project's schema is not 11 levels deep yet, so a recursive schema is served by the
# same view class --------------------------------------------------------------------------------

DEEP = build_schema("""
type Query { item: Item }
type Item { name: String child: Item }
""")


def deep_query(depth: int) -> str:
    # item (1) + child x (depth - 2) + name (1)
    return "{ item { " + "child { " * (depth - 2) + "name" + " }" * (depth - 2) + " } }"


def call(view_schema, query, variables=None):
    request = RequestFactory().post(
        "/graphql/", data=json.dumps({"query": query, "variables": variables or {}}), content_type="application/json"
    )
    response = GraphQLView.as_view(schema=view_schema)(request)
    body = json.loads(response.content)
    body["_status"] = response.status_code
    return body


def test_depth_passes_at_10_and_fails_at_11(db):
    ok = accepted(call(DEEP, deep_query(10)))
    assert ok["data"] == {"item": None} and ok["extensions"]["cost"] == 0  # Item is no entity (not a Node)
    with translation.override("en"):  # the view alone, without LocaleMiddleware
        error = refused(call(DEEP, deep_query(11)), "QUERY_TOO_DEEP")
    assert error["extensions"]["depth"] == 11 and error["extensions"]["maxDepth"] == 10
    assert "11 levels" in error["message"]


def test_depth_counts_through_fragments_and_inline_fragments(db):
    query = (
        "{ item { ...A } } fragment A on Item { child { ... on Item { child { ...B } } } } fragment B on Item { "
        + "child { " * 7
        + "name"
        + " }" * 7
        + " }"
    )
    refused(call(DEEP, query), "QUERY_TOO_DEEP")  # 1 + 2 + 7 + 1 = 11


def test_parser_nesting_guard_is_a_clear_400(db):
    query = "{ item { " + "child { " * 400 + "name" + " }" * 400 + " } }"
    result = call(DEEP, query)
    assert result["_status"] == 400 and codes(result) in (["QUERY_TOO_DEEP"], ["TOO_MANY_TOKENS"])


# --- aliases -------------------------------------------------------------------------------------


def aliased(n: int) -> str:
    return "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(n)) + " }"


def test_aliases_pass_at_15_and_fail_at_16(gql):
    accepted(gql(aliased(15)))
    error = refused(gql(aliased(16)), "TOO_MANY_ALIASES")
    assert error["extensions"]["aliases"] == 16 and error["extensions"]["maxAliases"] == 15


def test_aliases_in_fragments_count_each_time_they_are_spread(gql):
    fragment = "fragment F on Query { " + " ".join(f"x{i}: me {{ id }}" for i in range(8)) + " }"
    accepted(gql("{ ...F } " + fragment))
    # 8 aliases spread twice (through a second fragment) = 16
    refused(gql("{ ...F ...H } fragment H on Query { ...F } " + fragment), "TOO_MANY_ALIASES")


# --- mutations per document ----------------------------------------------------------------------


def mutations(n: int) -> str:
    return "mutation { " + " ".join(f'm{i}: tokenVerify(token: "x") {{ isValid }}' for i in range(n)) + " }"


def test_mutations_pass_at_4_and_fail_at_5(gql):
    ok = accepted(gql(mutations(4)))
    assert all(ok["data"][f"m{i}"]["isValid"] is False for i in range(4))
    assert ok["extensions"]["cost"] == 4 * 10
    error = refused(gql(mutations(5)), "TOO_MANY_MUTATIONS")
    assert error["extensions"]["mutations"] == 5


def test_mutations_hidden_in_fragments_are_counted(gql, db_unchanged):
    fragment = (
        "fragment M on Mutation { " + " ".join(f'm{i}: tokenVerify(token: "x") {{ isValid }}' for i in range(3)) + " }"
    )
    with db_unchanged():
        refused(gql("mutation { ...M ... on Mutation { ...M } } " + fragment), "TOO_MANY_MUTATIONS")


# --- tokens and size ------------------------------------------------------------------------------


def with_tokens(n: int) -> str:
    # 23 tokens around a list literal of n - 23 strings
    strings = " ".join('"https://x.example"' for _ in range(n - 23))
    query = 'mutation { designerApply(input: {displayName: "x", links: [' + strings + "]}) { errors { code } } }"
    return query


def test_tokens_pass_at_1000_and_fail_at_1001(gql, db_unchanged):
    from graphql.language import Lexer, Source, TokenKind

    lexer, count = Lexer(Source(with_tokens(1000))), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    assert count == 1000
    with db_unchanged():
        ok = gql(with_tokens(1000))  # parsed and validated; anonymous, so refused by permission
        assert ok["_status"] == 200 and codes(ok) == ["PERMISSION_DENIED"]
        error = refused(gql(with_tokens(1001)), "TOO_MANY_TOKENS")
    assert "1000 tokens" in error["message"]


def test_comment_padding_counts_too(gql):
    refused(gql("{ me { id } }\n" + "# padding\n" * 1001), "TOO_MANY_TOKENS")


def test_document_size_limit_and_a_one_megabyte_document(gql, settings):
    limit = settings.GRAPHQL_MAX_QUERY_BYTES
    padding = "#" + "x" * (limit - 100) + "\n"
    query = padding + "{ me { id } }"
    assert len(query.encode()) <= limit
    accepted(gql(query))
    error = refused(gql("#" + "x" * limit + "\n{ me { id } }"), "QUERY_TOO_LARGE")
    assert str(limit) in error["message"]
    megabyte = "{ " + "me { id } " * (1024 * 1024 // 10 + 1) + "}"
    assert len(megabyte) >= 1024 * 1024
    refused(gql(megabyte), "QUERY_TOO_LARGE")
    # multi-byte characters count as bytes, not characters
    refused(gql("# " + "ệ" * (limit // 2) + "\n{ me { id } }"), "QUERY_TOO_LARGE")


# --- cost ---------------------------------------------------------------------------------------

# edges and statusHistory are value objects; each Designer node costs 1: 2 + 100 x 1 = 102
A = "designers(first: 100) { edges { node { id statusHistory { reason } } } }"


def costly(extra: str = "") -> str:
    # 9 x 102 + (2 + n) for j, plus whatever `extra` adds
    pages = " ".join(f"{alias}: {A}" for alias in "abcdefghi")
    return "query($n: Int) { %s j: designers(first: $n) { edges { node { id } } } %s }" % (pages, extra)


def test_cost_passes_at_1000_and_fails_at_1001(gql):
    make_designer()
    ok = accepted(gql(costly(), {"n": 80}))
    assert ok["extensions"]["cost"] == 1000 and ok["extensions"]["costLimit"] == 1000
    assert len(ok["data"]["a"]["edges"]) == 1
    error = refused(gql(costly("me { id }"), {"n": 80}), "QUERY_TOO_COMPLEX")
    assert error["extensions"]["cost"] == 1001 and error["extensions"]["maxCost"] == 1000


def test_cost_reads_first_from_variables_and_their_defaults(gql):
    assert refused(gql(costly(), {"n": 82}), "QUERY_TOO_COMPLEX")["extensions"]["cost"] == 1002
    with_default = costly().replace("$n: Int", "$n: Int = 82")
    assert refused(gql(with_default), "QUERY_TOO_COMPLEX")["extensions"]["cost"] == 1002
    assert accepted(gql(with_default, {"n": 80}))["extensions"]["cost"] == 1000


def test_missing_first_counts_as_the_maximum_page(gql):
    result = gql("{ designers { edges { node { id } } } }")
    # counted as 100 items (2 + 100 x 1); paginate then refuses it at run time
    assert result["extensions"]["cost"] == 102
    assert codes(result) == ["INVALID_PAGINATION"]
    assert refused(gql(costly(), {}), "QUERY_TOO_COMPLEX")["extensions"]["cost"] == 9 * 102 + 102


def test_page_info_and_total_count_are_paid_once_per_page(gql):
    result = accepted(gql("{ designers(first: 10) { totalCount pageInfo { hasNextPage } edges { node { id } } } }"))
    assert result["extensions"]["cost"] == 2 + 10 * 1


def test_page_sizes_known_before_execution_are_checked_statically(gql):
    for first in (0, 101, -5):
        error = refused(
            gql(
                "query($n: Int) { designers(first: $n) { totalCount } }",
                {"n": first},
                headers={"Accept-Language": "en"},
            ),
            "INVALID_PAGINATION",
        )
        assert "between 1 and 100" in error["message"]
        refused(gql("{ designers(first: %d) { totalCount } }" % first), "INVALID_PAGINATION")
    refused(gql("{ designers(first: 5, last: 5) { totalCount } }"), "INVALID_PAGINATION")
    accepted(gql("{ designers(first: 100) { totalCount } x: designers(last: 1) { totalCount } }"))


def test_cost_counts_entities_not_value_objects(gql):
    """Each Relay node a query returns costs 1; values (Money, attribute pairs, pageInfo, the
    connection's edges) cost nothing: the storefront's 100 products, each with its designer, its
    category and three variants, cost 2 + 100 x (1 + 1 + 1 + (2 + 3 x 1)) = 802 (the figure in
    shop/core/query_limits.py)."""
    storefront = load_operation("storefront/Products.graphql")
    assert accepted(gql(storefront, {"first": 100}))["extensions"]["cost"] == 802
    assert accepted(gql(storefront, {"first": 10}))["extensions"]["cost"] == 2 + 10 * 8
    bare = "{ products(first: 100) { edges { node { id designer { id } category { id } variants(first: 3) { edges { node { id } } } } } } }"
    assert accepted(gql(bare))["extensions"]["cost"] == 802  # the values asked for above were free


def test_mutations_cost_ten_each(gql):
    result = gql('mutation { tokenVerify(token: "x") { isValid user { id } } }')
    assert result["extensions"]["cost"] == 10 + 1


# --- documents graphene's depth limiter crashes on ------------------------------------------------


def test_undefined_fragment_and_fragment_cycles_are_400_not_500(gql):
    hostile = [
        "{ ...Missing }",
        "{ me { ...Missing } }",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        "{ ...A } fragment A on Query { ...A }",
        "{ me { ...U } } fragment U on User { ...V } fragment V on User { ...U }",
        "mutation { ...M } fragment M on Mutation { ...M }",
    ]
    for query in hostile:
        result = gql(query)
        assert result["_status"] == 400, query
        assert codes(result) and set(codes(result)) == {"GRAPHQL_VALIDATION_FAILED"}, result


def test_analysis_itself_survives_cycles_and_unknown_fragments():
    """Our limits never run on such documents (the standard rules refuse them first), but they are
    robust on their own: no recursion error, a clear error instead."""
    limits = Limits(max_depth=10, max_aliases=15, max_cost=1000, max_mutations=4, introspection=False)
    for query in (
        "{ ...A } fragment A on Query { me { ...B } } fragment B on User { ...C } fragment C on User { ...B }",
        "{ ...Missing }",
        "mutation { ...M } fragment M on Mutation { ...N } fragment N on Mutation { ...M }",
    ):
        document = parse(query)
        analysis = analyze(SCHEMA, document, document.definitions[0], None, limits)
        assert [e.extensions["code"] for e in analysis.errors] == ["GRAPHQL_VALIDATION_FAILED"], query


def test_exponentially_spread_fragments_are_analysed_in_linear_time(gql):
    n = 40
    fragments = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }} " for i in range(n))
    query = "{ ...F0 } " + fragments + f"fragment F{n} on Query {{ a: me {{ id }} }}"
    result = gql(query)
    assert result["_status"] == 400 and {"TOO_MANY_ALIASES", "QUERY_TOO_COMPLEX"} <= set(codes(result))
    error = next(e for e in result["errors"] if e["extensions"]["code"] == "TOO_MANY_ALIASES")
    assert error["extensions"]["aliases"] == 2**n


def test_batches_and_non_objects_are_refused(db):
    client = Client()
    for body in ([{"query": "{ me { id } }"}] * 2, [], "x"):
        response = client.post("/graphql/", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 400


# --- introspection and suggestions ----------------------------------------------------------------


def test_introspection_is_refused_when_off(gql, settings):
    settings.GRAPHQL_INTROSPECTION = False
    for query in (
        get_introspection_query(),
        "{ __schema { queryType { name } } }",
        '{ __type(name: "User") { fields { name } } }',
        "{ ...I } fragment I on Query { __schema { types { name } } }",
        "{ a: __schema { types { name } } }",
    ):
        error = refused(gql(query, headers={"Accept-Language": "en"}), "INTROSPECTION_DISABLED")
        assert error["message"] == "Introspection is disabled."
    assert gql("{ __typename me { __typename } }")["data"] == {"__typename": "Query", "me": None}


def test_introspection_works_with_debug_within_the_limits(gql, settings):
    settings.GRAPHQL_INTROSPECTION = True
    result = accepted(gql(get_introspection_query(descriptions=True)))
    names = {t["name"] for t in result["data"]["__schema"]["types"]}
    assert {"Query", "Mutation", "Designer", "User"} <= names


def test_suggestions_are_not_leaked_without_debug(gql, settings):
    probes = [
        ("{ designerz(first: 1) { totalCount } }", "designers"),
        ("{ designers(frist: 1) { totalCount } }", "first"),
        ("{ designers(first: 1, filter: {status: PENDIN}) { totalCount } }", "PENDING"),
        ("query($f: DesignerFiltrInput) { designers(first: 1, filter: $f) { totalCount } }", "DesignerFilterInput"),
    ]
    settings.GRAPHQL_FIELD_SUGGESTIONS = True
    for query, _hint in probes:
        assert "Did you mean" in gql(query)["errors"][0]["message"], query
    settings.GRAPHQL_FIELD_SUGGESTIONS = False
    for query, hint in probes:
        result = gql(query)
        assert result["_status"] == 400
        text = json.dumps(result)
        assert "Did you mean" not in text and hint not in text.replace(query, ""), result
    # variables that fail coercion carry suggestions too
    result = gql(
        "query($f: DesignerFilterInput) { designers(first: 1, filter: $f) { totalCount } }", {"f": {"ctiy": "x"}}
    )
    assert result["_status"] == 400 and "Did you mean" not in json.dumps(result) and "city" not in json.dumps(result)


def test_graphiql_is_off_when_debug_is_off(db, settings):
    settings.GRAPHIQL_ENABLED = False
    page = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert page.status_code == 404 and page["Content-Type"].startswith("application/json")
    assert b"<script" not in page.content.lower() and page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_signed_in_and_anonymous_answers_report_cost(gql):
    user = make_user()
    result = gql("{ me { id email } }", user=user)
    assert result["data"]["me"]["email"] == user.email and result["extensions"]["cost"] == 1
