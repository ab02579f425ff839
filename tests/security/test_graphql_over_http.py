"""The GraphQL-over-HTTP spec, SHOULD level (issue 13): the media type is negotiated from `Accept`;
with `application/json` every well-formed request that reaches GraphQL is answered 200 (parse,
validation, variable-coercion errors and our own query limits included), with
`application/graphql-response+json` those are 4xx; malformed requests stay 400, rate limits 429.
No `Accept` at all keeps the legacy answer (application/json, 4xx). The whole audit runs in CI
(`make audit`, tests/http_audit/)."""

import json

import pytest
from django.test import Client

JSON = "application/json"
GRAPHQL_JSON = "application/graphql-response+json"

REFUSED = {
    "parse": {"query": "{ products("},
    "validation": {"query": "{ nope }"},
    "coercion": {"query": "query($n: Int!) { products(first: $n) { totalCount } }", "variables": {"n": "x"}},
    "depth limit": {"query": "{ me { " * 11 + "email" + " }" * 11},
    "cost limit": {
        "query": "{ a: products(first: 100) { edges { node { variants(first: 100) { edges { node { sku } } } } } } }"
    },
    "unknown operation name": {"query": "query A { __typename }", "operationName": "B"},
    "NUL in a variable": {"query": "query($s: String!) { product(slug: $s) { name } }", "variables": {"s": "a\x00"}},
}


def post(body, accept=None, **headers):
    if accept is not None:
        headers["Accept"] = accept
    return Client(raise_request_exception=False).post(
        "/graphql/", data=json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.mark.parametrize("kind", REFUSED)
def test_graphql_errors_are_200_with_application_json_and_4xx_with_graphql_response_json(db, kind):
    as_json = post(REFUSED[kind], JSON)
    assert as_json.status_code == 200 and as_json["Content-Type"].startswith(JSON), (as_json.status_code, kind)
    body = as_json.json()
    assert body["errors"][0]["extensions"]["code"] and not body.get("data")
    strict = post(REFUSED[kind], f"{GRAPHQL_JSON}, {JSON};q=0.9")
    assert strict.status_code == 400 and strict["Content-Type"].startswith(GRAPHQL_JSON), (strict.status_code, kind)
    assert strict.json()["errors"][0]["extensions"]["code"] == body["errors"][0]["extensions"]["code"]
    legacy = post(REFUSED[kind])  # no Accept: as before (application/json, 400)
    assert legacy.status_code == 400 and legacy["Content-Type"].startswith(JSON)


def test_the_response_media_type_follows_accept(db):
    ok = {"query": "{ __typename }"}
    assert post(ok, GRAPHQL_JSON)["Content-Type"] == f"{GRAPHQL_JSON}; charset=utf-8"
    assert post(ok, JSON)["Content-Type"].startswith(JSON)
    assert post(ok, "*/*")["Content-Type"].startswith(JSON)
    assert post(ok, f"{JSON};q=0.5, {GRAPHQL_JSON}")["Content-Type"].startswith(GRAPHQL_JSON)
    assert "Accept" in post(ok, JSON)["Vary"]
    # a request sent as application/graphql-response+json is read like JSON
    sent = Client().post("/graphql/", data=json.dumps(ok), content_type=GRAPHQL_JSON, headers={"Accept": GRAPHQL_JSON})
    assert sent.status_code == 200 and sent.json()["data"] == {"__typename": "Query"}


def test_malformed_requests_stay_400_and_rate_limits_429(db, settings, rate_limit_redis):
    for accept in (JSON, GRAPHQL_JSON):
        bad = Client(raise_request_exception=False).post(
            "/graphql/", data="{not json", content_type="application/json", headers={"Accept": accept}
        )
        assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert post({"variables": {}}, accept).status_code == 400  # no query
    settings.RATE_LIMITS = {"ip": "1/3600"}
    post({"query": "{ __typename }"}, JSON)
    for accept in (JSON, GRAPHQL_JSON):
        limited = post({"query": "{ nope }"}, accept)
        assert limited.status_code == 429 and limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
