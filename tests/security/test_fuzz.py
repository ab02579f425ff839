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
