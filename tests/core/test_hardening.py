"""Regression tests of the outside review (issue 13) for the API core; each is named after its
finding (SECURITY.md, "Reviewed and fixed")."""

import pytest

from designers.services.profiles import reject_designer, suspend_designer
from shop.catalog.services.products import moderate_product, unpublish_product
from tests.core.test_read_cache import Reader, _persisted, _write

pytestmark = pytest.mark.usefixtures("read_cache")


@pytest.mark.parametrize("change", ["suspend", "reject", "hide", "unpublish"])
def test_finding_06_the_read_cache_never_serves_what_left_the_storefront(
    shop,
    staff,
    django_capture_on_commit_callbacks,
    change,
):
    """Operations that select only the product's own fields (not its designer) depend on the
    designer's visibility all the same; nor does a revalidation answer 304 for what is gone."""
    reader = Reader()
    slug = shop.bowl.slug
    narrow = "query Narrow($slug: String!) { product(slug: $slug) { name } }"
    listing = "query List { products(first: 5) { edges { node { name } } } }"
    by_hash = {**_persisted(narrow, {"slug": slug}, "Narrow"), "query": narrow}
    for _ in range(2):
        assert reader.data(narrow, {"slug": slug})["product"] == {"name": shop.bowl.name}
        assert len(reader.data(listing)["products"]["edges"]) == 2
    etag = reader.get(by_hash)["ETag"]
    assert reader.get(by_hash, **{"If-None-Match": etag}).status_code == 304
    if change == "suspend":
        _write(
            django_capture_on_commit_callbacks,
            suspend_designer,
            designer_id=shop.designer.pk,
            actor=staff,
            reason="Giao hàng chậm",
        )
    elif change == "reject":
        shop.designer.__class__.objects.filter(pk=shop.designer.pk).update(status="PENDING")
        _write(
            django_capture_on_commit_callbacks,
            reject_designer,
            designer_id=shop.designer.pk,
            actor=staff,
            reason="Hồ sơ chưa đủ",
        )
    elif change == "hide":
        _write(
            django_capture_on_commit_callbacks,
            moderate_product,
            product_id=shop.bowl.pk,
            actor=staff,
            hidden=True,
            reason="Ảnh không đúng",
        )
    else:
        _write(
            django_capture_on_commit_callbacks,
            unpublish_product,
            product_id=shop.bowl.pk,
            actor=shop.designer.user,
        )
    assert reader.data(narrow, {"slug": slug})["product"] is None
    revalidated = reader.get(by_hash, **{"If-None-Match": etag})
    assert revalidated.status_code == 200 and revalidated.json()["data"]["product"] is None
    assert shop.bowl.name not in [e["node"]["name"] for e in reader.data(listing)["products"]["edges"]]


def test_finding_04_only_documents_that_pass_every_check_are_persisted_and_the_store_is_capped(db, settings):
    import hashlib
    import json

    from django.core.cache import caches
    from django.test import Client

    from shop.core.persisted_queries import PERSISTED_PREFIX

    settings.GRAPHQL_PERSISTED_QUERIES = "apq"
    settings.GRAPHQL_PERSISTED_QUERIES_MAX = 2
    cache = caches[settings.GRAPHQL_READ_CACHE_ALIAS]
    cache.clear()
    client = Client(raise_request_exception=False)

    def send(document):
        digest = hashlib.sha256(document.encode()).hexdigest()
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        response = client.post(
            "/graphql/", json.dumps({"query": document, "extensions": extensions}), content_type="application/json"
        )
        return response, cache.get(PERSISTED_PREFIX + digest)

    refused = [
        "x" * 99_000,  # not GraphQL at all
        "{ products(first: 5) { edges { node { nope } } } }",  # does not validate
        "{ me { " * 12 + "email" + " }" * 12,  # does not parse, or too deep
        "{ a1: me { email } "
        + " ".join(f"a{i}: me {{ email }}" for i in range(2, 20))
        + " }",  # passes validation, fails our alias limit
    ]
    for document in refused:
        response, stored = send(document)
        assert response.status_code >= 400 and stored is None, (document[:60], response.content[:200])
    for n in range(1, 4):
        response, stored = send(f"query Q{n} {{ products(first: {n}) {{ totalCount }} }}")
        assert response.status_code == 200
        assert (stored is not None) == (n <= 2)  # answered every time, stored while under the cap
