"""Regression tests of the outside review (issue 13) for the catalog and designers; each is named
after its finding (SECURITY.md, "Reviewed and fixed")."""

import pytest

from designers.models import Designer
from designers.services.profiles import apply_as_designer, approve_designer
from shop.catalog.services.products import create_product, publish_product, update_product
from shop.catalog.services.variants import create_variant
from shop.core.errors import ServiceError
from tests.factories import make_designer, make_user

PRODUCT = "query P($slug: String!, $designer: String) { product(slug: $slug, designer: $designer) { name designer { slug } } }"


def test_finding_08_slugs_reveal_no_draft_and_no_pending_designer(gql, staff):
    a, b = make_designer(display_name="An"), make_designer(display_name="Bình")
    draft = create_product(actor=a.user, name="Bộ sưu tập thu", slug="bo-suu-tap-thu")
    # another designer choosing the slug of A's draft is not told that it exists...
    mine = create_product(actor=b.user, name="Thu", slug="bo-suu-tap-thu")
    assert mine.slug == "bo-suu-tap-thu" and mine.pk != draft.pk
    renamed = create_product(actor=b.user, name="Khác")
    assert update_product(actor=b.user, product_id=renamed.pk, slug="bo-suu-tap-thu-2").slug
    # ...while its own products' slugs are its own business: UNIQUE
    with pytest.raises(ServiceError) as own:
        create_product(actor=a.user, name="Lại", slug="bo-suu-tap-thu")
    assert own.value.errors[0].code == "UNIQUE"
    # a product is addressed by its designer and its slug; the slug alone finds the public one
    for p in (draft, mine):
        create_variant(actor=p.designer.user, product_id=p.pk, sku="S1", price="100000", stock_quantity=1)
    publish_product(actor=b.user, product_id=mine.pk)
    found = gql(PRODUCT, {"slug": "bo-suu-tap-thu"})["data"]["product"]
    assert found == {"name": "Thu", "designer": {"slug": b.slug}}
    assert gql(PRODUCT, {"slug": "bo-suu-tap-thu", "designer": b.slug})["data"]["product"]["name"] == "Thu"
    assert gql(PRODUCT, {"slug": "bo-suu-tap-thu", "designer": a.slug})["data"]["product"] is None  # a draft
    own_draft = gql(PRODUCT, {"slug": "bo-suu-tap-thu", "designer": a.slug}, user=a.user)["data"]["product"]
    assert own_draft["name"] == "Bộ sưu tập thu"

    # designers: a pending applicant's slug is not an oracle either
    pending = apply_as_designer(user=make_user(), display_name="Chưa duyệt", slug="chua-duyet")
    second = apply_as_designer(user=make_user(), display_name="Ai đó", slug="chua-duyet")
    assert pending.slug == second.slug == "chua-duyet"
    with pytest.raises(ServiceError) as public:  # a public designer's slug is public: UNIQUE
        apply_as_designer(user=make_user(), display_name="Giả", slug=a.slug)
    assert public.value.errors[0].code == "UNIQUE"
    # approval makes the slug public: the second one approved gets a free variant of it
    first = approve_designer(designer_id=pending.pk, actor=staff)
    later = approve_designer(designer_id=second.pk, actor=staff)
    assert first.slug == "chua-duyet" and later.slug.startswith("chua-duyet-")
    assert Designer.objects.filter(slug="chua-duyet").count() == 1
