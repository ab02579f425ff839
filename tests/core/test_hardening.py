"""Regression tests of the outside review (issue 13) for the API core; each is named after its
finding (SECURITY.md, "Reviewed and fixed")."""

import pytest

from designers import services as designer_services
from shop.catalog import services as catalog_services
from tests.core.test_read_cache import Reader, _persisted, _write, read_cache, shop  # noqa: F401


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
            designer_services.suspend_designer,
            designer_id=shop.designer.pk,
            actor=staff,
            reason="Giao hàng chậm",
        )
    elif change == "reject":
        shop.designer.__class__.objects.filter(pk=shop.designer.pk).update(status="PENDING")
        _write(
            django_capture_on_commit_callbacks,
            designer_services.reject_designer,
            designer_id=shop.designer.pk,
            actor=staff,
            reason="Hồ sơ chưa đủ",
        )
    elif change == "hide":
        _write(
            django_capture_on_commit_callbacks,
            catalog_services.moderate_product,
            product_id=shop.bowl.pk,
            actor=staff,
            hidden=True,
            reason="Ảnh không đúng",
        )
    else:
        _write(
            django_capture_on_commit_callbacks,
            catalog_services.unpublish_product,
            product_id=shop.bowl.pk,
            actor=shop.designer.user,
        )
    assert reader.data(narrow, {"slug": slug})["product"] is None
    revalidated = reader.get(by_hash, **{"If-None-Match": etag})
    assert revalidated.status_code == 200 and revalidated.json()["data"]["product"] is None
    assert shop.bowl.name not in [e["node"]["name"] for e in reader.data(listing)["products"]["edges"]]
