"""Hostile multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec): every
malformed one is a 400 with JSON and ``INVALID_MULTIPART`` (or ``BATCH_NOT_SUPPORTED``), never a
500, and nothing is written or stored. The files themselves are checked by the image pipeline and
the digital-file sniffer (tests/catalog/test_media.py, tests/catalog/test_products.py)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shop.accounts.tokens import create_access_token
from tests.catalog.helpers import gid, isolated_storage
from tests.factories import make_designer, product
from tests.media import image_bytes
from tests.support import load_operation

MEDIA_CREATE = load_operation("designer/ProductMediaCreate.graphql")


@pytest.fixture
def media_storage(settings, tmp_path):
    return isolated_storage(settings, tmp_path)


def post(designer, fields: dict, files: int = 1):
    body = dict(fields)
    for n in range(files):
        body[str(n)] = SimpleUploadedFile(f"{n}.jpg", image_bytes(), "image/jpeg")
    response = Client(raise_request_exception=False).post(
        "/graphql/", data=body, headers={"Authorization": f"Bearer {create_access_token(designer.user)}"}
    )
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return response.status_code, response.json()


def test_malformed_multipart_requests_are_400_json_and_store_nothing(db, db_unchanged, media_storage):
    designer = make_designer()
    item = product(designer)
    operations = {"query": MEDIA_CREATE, "variables": {"productId": gid(item), "image": None}}
    good_map = {"0": ["variables.image"]}
    cases = [
        ({"map": json.dumps(good_map)}, 1, "INVALID_MULTIPART"),  # no operations
        ({"operations": "{not json", "map": json.dumps(good_map)}, 1, "INVALID_MULTIPART"),
        ({"operations": json.dumps(operations), "map": "[oops"}, 1, "INVALID_MULTIPART"),
        ({"operations": json.dumps(operations), "map": json.dumps(["variables.image"])}, 1, "INVALID_MULTIPART"),
        ({"operations": json.dumps(operations), "map": json.dumps({"7": ["variables.image"]})}, 1, "INVALID_MULTIPART"),
        ({"operations": json.dumps(operations), "map": json.dumps({"0": []})}, 1, "INVALID_MULTIPART"),
        ({"operations": json.dumps(operations), "map": json.dumps({"0": "variables.image"})}, 1, "INVALID_MULTIPART"),
        ({"operations": json.dumps(operations), "map": json.dumps({"0": ["query"]})}, 1, "INVALID_MULTIPART"),
        (
            {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.nothing.here"]})},
            1,
            "INVALID_MULTIPART",
        ),
        (
            {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.productId.deeper"]})},
            1,
            "INVALID_MULTIPART",
        ),
        (
            {"operations": json.dumps(operations), "map": json.dumps({str(n): ["variables.image"] for n in range(11)})},
            11,
            "INVALID_MULTIPART",
        ),  # at most 10 files per request
        ({"operations": json.dumps([operations, operations]), "map": json.dumps(good_map)}, 1, "BATCH_NOT_SUPPORTED"),
        ({"operations": json.dumps("a string"), "map": json.dumps(good_map)}, 1, "INVALID_MULTIPART"),
    ]
    with db_unchanged():
        for fields, files, code in cases:
            status, body = post(designer, fields, files)
            assert status == 400, (fields, body)
            assert body["errors"][0]["extensions"]["code"] == code, (fields, body)
            assert body["errors"][0]["message"] and "Traceback" not in json.dumps(body)
        # a file part that no map entry names leaves the variable null: a GraphQL error, not a crash
        status, body = post(designer, {"operations": json.dumps(operations), "map": "{}"})
        assert status == 400 and "must not be null" in body["errors"][0]["message"], body
    assert not any(p.is_file() for root in media_storage.values() for p in root.rglob("*"))
    # the well-formed request works (so the cases above failed for the reason they name)
    status, body = post(designer, {"operations": json.dumps(operations), "map": json.dumps(good_map)})
    assert status == 200 and body["data"]["productMediaCreate"]["errors"] == [], body
