"""Regression tests of the outside review (issue 13) that concern settings and start-up; each is named
after its finding (SECURITY.md, "Reviewed and fixed")."""

import json

import pytest
from django.test import Client

from tests.security.test_settings import PROBE, run


def test_finding_11_debug_defaults_to_production_and_development_keys_are_refused():
    import secrets

    base = {"ALLOWED_HOSTS": "market.example.com", "RATE_LIMIT_CACHE_URL": "redis://127.0.0.1:6379/1"}
    # DEBUG not set at all: production behaviour, so a secret key is required...
    forgot = run(["-c", PROBE], base)
    assert forgot.returncode != 0 and "SECRET_KEY" in forgot.stderr, forgot.stdout[-500:]
    # ...and with one, DEBUG is off, GraphQL is closed and the dummy gateway is not offered
    probe = PROBE.replace('"MIDDLEWARE": s.MIDDLEWARE,', '"MIDDLEWARE": s.MIDDLEWARE, "GATEWAYS": s.PAYMENT_GATEWAYS,')
    ok = run(["-c", probe], {**base, "SECRET_KEY": secrets.token_urlsafe(50)})
    assert ok.returncode == 0, ok.stderr[-2000:]
    import json

    loaded = json.loads(ok.stdout.strip().splitlines()[-1])
    assert loaded["DEBUG"] is False and loaded["GRAPHQL_INTROSPECTION"] is False
    assert not any("Dummy" in g for g in loaded["GATEWAYS"])
    # the published development key may not sign tokens in production, whatever SECRET_KEY is
    dev_jwt = run(
        ["-c", PROBE],
        {
            **base,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "JWT_SECRET": "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz",
        },
    )
    assert dev_jwt.returncode != 0 and "JWT_SECRET" in dev_jwt.stderr
    short_jwt = run(["-c", PROBE], {**base, "SECRET_KEY": secrets.token_urlsafe(50), "JWT_SECRET": "short"})
    assert short_jwt.returncode != 0 and "JWT_SECRET" in short_jwt.stderr
    # development mode is explicit and still zero set-up
    dev = run(["-c", PROBE], {"DEBUG": "true"})
    assert dev.returncode == 0 and json.loads(dev.stdout.strip().splitlines()[-1])["DEBUG"] is True


MALFORMED = {
    # JSON nested 100,000 deep (Python's json raised RecursionError)
    "deep JSON body": '{"query": "{ __typename }", "variables": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}",
    "deep JSON variables string": json.dumps({"query": "{ __typename }", "variables": "[" * 100_000 + "]" * 100_000}),
    # a lone surrogate in the variables of a cacheable query (orjson cannot encode it)
    "surrogate in cached query variables": '{"query": "query($s: String!) { product(slug: $s) { name } }", '
    '"variables": {"s": "\\ud800"}}',
    "surrogate in a document": '{"query": "{ product(slug: \\"\\ud800\\") { name } }"}',
    "surrogate in tokenCreate": json.dumps(
        {
            "query": "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { token } }",
            "variables": {"e": "\ud800@example.com", "p": "\udfff"},
        }
    ),
    "surrogate as operationName": '{"query": "query A { __typename }", "operationName": "\\ud800"}',
    # NaN and infinities as a Decimal, literal or variable
    "NaN Decimal literal": json.dumps(
        {"query": '{ products(first: 5, filter: {priceRange: {gte: "NaN"}}) { totalCount } }'}
    ),
    "Infinity Decimal variable": json.dumps(
        {
            "query": "query($p: Decimal) { products(first: 5, filter: {priceRange: {lte: $p}}) { totalCount } }",
            "variables": {"p": "-Infinity"},
        }
    ),
    "sNaN Decimal variable": json.dumps(
        {
            "query": "query($p: Decimal) { products(first: 5, filter: {priceRange: {lte: $p}}) { totalCount } }",
            "variables": {"p": "sNaN"},
        }
    ),
    # a UUID that is not one, literal or variable
    "bad UUID literal": json.dumps({"query": '{ checkout(token: "not-a-uuid") { token } }'}),
    "bad UUID variable": json.dumps(
        {"query": "query($t: UUID!) { checkout(token: $t) { token } }", "variables": {"t": "zz"}}
    ),
}


@pytest.mark.parametrize("shape", MALFORMED)
def test_finding_09_malformed_input_is_a_coded_4xx_never_a_500(db, settings, shape):
    settings.GRAPHQL_READ_CACHE = True
    response = Client(raise_request_exception=False).post(
        "/graphql/", data=MALFORMED[shape].encode("utf-8", "surrogatepass"), content_type="application/json"
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body["errors"]]
    assert codes and all(codes) and "INTERNAL_ERROR" not in codes, body
