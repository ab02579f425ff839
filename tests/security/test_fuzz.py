"""schemathesis (GraphQL mode) against the in-process WSGI app: every query and mutation of the
published contract (graphql/schema.graphql), a bounded number of generated documents each, as an
anonymous caller and as a signed-in designer. No answer may be a server error (5xx), carry a masked
internal error, or contain a stack trace, and every answer must fit the schema.

``FUZZ_EXAMPLES`` (default 12) sets the examples per operation; runs are derandomised so CI is
reproducible — set ``FUZZ_SEED`` to explore other inputs locally.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings

from shop.accounts.models import User
from shop.accounts.tokens import create_access_token
from shop.core.management.commands.export_schema import SCHEMA_PATH
from tests.factories import make_designer

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
SEED = os.environ.get("FUZZ_SEED")
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages", '.py", line ')


def _register_scalars():
    """Strategies for our custom scalars. Files only travel as multipart parts, so what a fuzzer can
    put in JSON for an `Upload` (strings, numbers, objects) must be refused cleanly."""
    from hypothesis import strategies as st
    from hypothesis_graphql import nodes

    schemathesis.graphql.scalar(
        "Upload",
        st.one_of(st.text(max_size=20).map(nodes.String), st.integers().map(nodes.Int), st.just(nodes.Null)),
    )
    # Decimal travels as a string: exact amounts, and the clumsy or hostile ones.
    schemathesis.graphql.scalar(
        "Decimal",
        st.one_of(
            st.decimals(allow_nan=True, allow_infinity=True, places=3).map(lambda d: nodes.String(str(d))),
            st.sampled_from(["", "abc", "1e999", "-0", "150000", "12.50", "1" * 40]).map(nodes.String),
            st.integers().map(nodes.Int),
        ),
    )
    # UUIDs (checkout and purchase tokens): real ones, and strings that only look like one.
    schemathesis.graphql.scalar(
        "UUID",
        st.one_of(
            st.uuids().map(lambda u: nodes.String(str(u))),
            st.sampled_from(["", "not-a-uuid", "zz", "0" * 33, "{}", "\u00e9" * 36]).map(nodes.String),
            st.integers().map(nodes.Int),
        ),
    )


_register_scalars()


def load_schema():
    schema = schemathesis.graphql.from_path(SCHEMA_PATH)
    schema.app = get_wsgi_application()
    schema.location = "/graphql/"
    return schema


SCHEMA = load_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes database connections at the end of each request (as a server
    should); inside the test's transaction that would drop it. Django's test Client does the same
    as this fixture."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def assert_no_server_error(case, response) -> None:
    body = response.text if hasattr(response, "text") else response.content.decode()
    where = f"{case.operation.label}\n{case.body}\n{json.dumps(case.variables) if getattr(case, 'variables', None) else ''}\n-> {response.status_code} {body[:1000]}"
    assert response.status_code < 500, where
    for marker in TRACE_MARKERS:
        assert marker not in body, where
    payload = json.loads(body)
    codes = [e.get("extensions", {}).get("code") for e in payload.get("errors", [])]
    assert "INTERNAL_ERROR" not in codes, where
    if response.status_code == 200:
        SCHEMA.validate_response(case.operation, response, case=case)  # the answer fits the schema


def fuzz(operation, headers_for) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers_for())
        assert_no_server_error(case, response)

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()


def test_every_operation_is_fuzzed():
    labels = {op.label for op in OPERATIONS}
    assert "Query.designers" in labels and "Mutation.tokenCreate" in labels
    assert len(labels) == len(OPERATIONS) >= 15


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_fuzz_anonymous(operation, db):
    make_designer()  # something to find
    fuzz(operation, lambda: {})


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_fuzz_signed_in_designer(operation, db):
    designer = make_designer(display_name="Fuzz Designer")
    make_designer(display_name="Someone Else", status="PENDING")

    def headers():
        # a fresh token each time: a generated tokensDeactivateAll or passwordChange revokes the last one
        user = User.objects.get(pk=designer.user_id)
        return {"Authorization": f"Bearer {create_access_token(user)}"}

    fuzz(operation, headers)


# --- the transport: malformed bodies and values that no generated document contains ---------------
# (issue 13, finding 9: deep JSON, lone surrogates, NaN and infinities as Decimal, malformed UUIDs)

TRANSPORT_DOCUMENTS = [
    "query($s: String!) { product(slug: $s) { name } }",  # cacheable: its variables make a cache key
    "query($s: String!) { designer(slug: $s) { displayName } }",
    "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { token errors { code } } }",
    "query($p: Decimal) { products(first: 5, filter: {priceRange: {gte: $p}}) { totalCount } }",
    "query($t: UUID!) { checkout(token: $t) { token } }",
]


def _transport_bodies():
    from hypothesis import strategies as st

    surrogate = st.integers(0xD800, 0xDFFF).map(lambda c: f"\\u{c:04x}")
    nasty_text = st.lists(
        st.one_of(surrogate, st.sampled_from(["a", "\\u0000", "@", '\\"', "\\ud83d\\ude00"])), max_size=6
    ).map("".join)
    specials = st.sampled_from(["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "not-a-uuid", ""])
    value = st.one_of(nasty_text.map(lambda t: f'"{t}"'), specials.map(lambda t: f'"{t}"'))

    def with_variables(pair):
        document, v = pair
        names = ["s", "e", "p", "t"]
        variables = ", ".join(f'"{n}": {v}' for n in names)
        return '{"query": %s, "variables": {%s}}' % (json.dumps(document), variables)

    deep = st.tuples(st.integers(65, 200_000), st.sampled_from(["[", '{"a":'])).map(
        lambda d: (
            '{"query": "{ __typename }", "variables": {"x": '
            + d[1] * d[0]
            + "1"
            + ("]" if d[1] == "[" else "}") * d[0]
            + "}}"
        )
    )
    in_document = st.tuples(st.sampled_from(TRANSPORT_DOCUMENTS[:2]), nasty_text).map(
        lambda p: (
            '{"query": %s}' % json.dumps(p[0].replace("$s", '"X"').replace("($s: String!)", "")).replace("X", p[1])
        )
    )
    return st.one_of(st.tuples(st.sampled_from(TRANSPORT_DOCUMENTS), value).map(with_variables), deep, in_document)


def test_fuzz_malformed_transport(db, settings):
    """Bodies no schema-driven generator writes: every one is a coded 4xx (or a 200 answer), never a
    5xx nor a masked internal error. The read cache is on, as in production."""
    from django.test import Client
    from hypothesis import strategies as st

    settings.GRAPHQL_READ_CACHE = True
    make_designer()
    client = Client(raise_request_exception=False)

    @hypothesis_settings(
        max_examples=EXAMPLES * 5,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=_transport_bodies(), auth=st.booleans())
    def run(body, auth):
        headers = {}
        if auth:
            headers["Authorization"] = f"Bearer {create_access_token(User.objects.first())}"
        response = client.post(
            "/graphql/", data=body.encode("utf-8", "surrogatepass"), content_type="application/json", headers=headers
        )
        text = response.content.decode()
        where = f"{body[:300]} -> {response.status_code} {text[:500]}"
        assert response.status_code < 500, where
        for marker in TRACE_MARKERS:
            assert marker not in text, where
        codes = [e.get("extensions", {}).get("code") for e in json.loads(text).get("errors", [])]
        assert "INTERNAL_ERROR" not in codes, where
        if response.status_code >= 400:
            assert codes and all(codes), where

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()
