"""Transport-level behaviour of /graphql/: JSON errors with codes, never HTML or a stack trace."""

import json

from django.test import Client
from django.utils import translation

from graphql import GraphQLError
from shop.core.graphql_errors import format_error

ME = "query { me { email } }"


def post_raw(body, content_type="application/json", **headers):
    return Client(raise_request_exception=False).post(
        "/graphql/", data=body, content_type=content_type, headers=headers
    )


def test_malformed_bodies_are_400_json(db):
    for body in ("{not json", "[]", "42", json.dumps({"variables": {}}), json.dumps({"query": ""})):
        response = post_raw(body)
        assert response.status_code == 400, body
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["errors"][0]["extensions"]["code"]


def test_batches_are_refused(db):
    response = post_raw(json.dumps([{"query": ME}, {"query": ME}]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BATCH_NOT_SUPPORTED"


def test_unknown_field_is_a_validation_error_not_empty_data(db):
    response = post_raw(json.dumps({"query": "{ me { email } nonsense }"}))
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body and "nonsense" in body["errors"][0]["message"]


def test_syntax_error_and_bad_variables(db):
    assert post_raw(json.dumps({"query": "{ me { "})).status_code == 400
    bad_vars = post_raw(json.dumps({"query": ME, "variables": "not json"}))
    assert bad_vars.status_code == 400
    wrong_shape = post_raw(json.dumps({"query": ME, "variables": [1, 2]}))
    assert wrong_shape.status_code == 400


def test_get_allows_queries_only(db):
    client = Client()
    ok = client.get("/graphql/", {"query": ME})
    assert ok.status_code == 200 and ok.json()["data"] == {"me": None}
    mutation = client.get("/graphql/", {"query": 'mutation { tokenVerify(token: "x") { isValid } }'})
    assert mutation.status_code == 405 and mutation.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_unsupported_methods_and_content_types(db):
    client = Client()
    assert client.put("/graphql/", data="{}").status_code == 405
    response = post_raw("query=x", content_type="text/plain")
    assert response.status_code == 415


def test_bad_authorization_headers(db):
    for header in ("Basic abc", "Bearer", "Bearer not-a-token"):
        response = post_raw(json.dumps({"query": ME}), HTTP_AUTHORIZATION=header, Authorization=header)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


def test_every_response_has_a_request_id(db):
    response = post_raw(json.dumps({"query": ME}))
    assert len(response["X-Request-Id"]) >= 8


def test_unexpected_errors_are_masked_with_a_request_id():
    try:
        {}["missing"]
    except KeyError as exc:
        error = GraphQLError("'missing'", original_error=exc, path=["me"])
    with translation.override("en"):
        formatted = format_error(error)
    assert formatted["message"] == "Internal server error."
    assert formatted["extensions"]["code"] == "INTERNAL_ERROR" and "requestId" in formatted["extensions"]
    assert "missing" not in json.dumps(formatted) and "Traceback" not in json.dumps(formatted)


def test_graphiql_is_served_to_browsers_in_debug(db, settings):
    settings.GRAPHIQL_ENABLED = True
    page = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"graphiql" in page.content.lower()
    settings.GRAPHIQL_ENABLED = False
    off = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert off.status_code == 404


def test_nul_characters_are_refused_up_front(db):
    """PostgreSQL cannot store U+0000; a NUL anywhere in a string is a 400 before any resolver runs
    (found by the fuzzer: tokenCreate(email: "\\u0000") used to fail inside the database)."""
    login = 'mutation($e: String!) { tokenCreate(email: $e, password: "x") { token } }'
    for body in (
        {"query": login, "variables": {"e": "a\x00b@example.com"}},
        {"query": 'mutation { tokenCreate(email: "\\u0000", password: "") { token } }'},
        {"query": '{ designer(slug: """a\x00b""") { id } }'},
        {
            "query": "query($f: DesignerFilterInput) { designers(first: 1, filter: $f) { totalCount } }",
            "variables": {"f": {"search": ["x"], "city": "Hà\x00Nội"}},
        },
    ):
        response = post_raw(json.dumps(body))
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CHARACTERS"
    ok = post_raw(json.dumps({"query": login, "variables": {"e": "a\\u0000b@example.com"}}))
    assert ok.status_code == 200  # a backslash followed by "u0000" is just text


def test_oversized_bodies_are_refused_before_they_are_read(db, settings):
    settings.REQUEST_MAX_BYTES = 1000
    response = post_raw(json.dumps({"query": ME, "variables": {"pad": "x" * 2000}}))
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert post_raw(json.dumps({"query": ME})).status_code == 200


def test_the_body_cap_leaves_room_for_the_largest_upload(settings):
    assert settings.REQUEST_MAX_BYTES > settings.DIGITAL_FILE_MAX_BYTES
