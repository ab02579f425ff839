"""The search table (``ProductSearch``) agrees with the storefront after every write that changes
what a search finds or who may see it: the catalog services keep it (``sync_search``)."""

from __future__ import annotations

import re

import pytest

from designers.services.profiles import reinstate_designer, suspend_designer
from shop.catalog.models import Product, ProductSearch
from shop.catalog.selectors.listing import search_words
from shop.catalog.selectors.visibility import storefront_products
from shop.catalog.services.products import (
    archive_product,
    create_product,
    delete_product,
    moderate_product,
    publish_product,
    unpublish_product,
    update_product,
)
from shop.catalog.services.search import sync_search
from shop.core.richtext import html_to_text
from shop.core.text import fold
from tests.factories import make_designer, product
from tests.support import load_operation

SEARCH = load_operation("storefront/ProductSearch.graphql")
# Words of the products' names, tags and descriptions, before and after the changes below.
TERMS = ["binh", "binh gom", "men lam", "gom", "qua tang", "nung cui", "lo hoa", "den", "thu cong", "xanh ngoc", "la"]


@pytest.fixture
def shop(db, staff):
    designer = make_designer(display_name="Lê Quang Minh")
    other = make_designer(display_name="Trần Thùy Linh")
    return {
        "staff": staff,
        "designer": designer,
        "vase": product(
            designer, name="Bình gốm men lam", tags=["gốm", "quà tặng"], description="<p>Nung củi ở Bát Tràng.</p>"
        ),
        "draft": product(designer, name="Lọ hoa men lam", tags=["gốm"], publish=False),
        "lamp": product(other, name="Đèn gốm thủ công", tags=["đèn"], description="<p>Men xanh ngọc.</p>"),
    }


def _expected(term: str) -> set[str]:
    """What the storefront should find, computed from the products themselves: every folded word
    of the term in the product's name, tags or description text (the last one as a prefix)."""
    words = search_words(term)
    found = set()
    for item in storefront_products():
        text = set(re.findall(r"[a-z0-9]+", fold(" ".join([item.name, *item.tags, html_to_text(item.description)]))))
        if all(w in text for w in words[:-1]) and any(t.startswith(words[-1]) for t in text):
            found.add(item.slug)
    return found


def _assert_search_agrees(gql):
    for term in TERMS:
        data = gql(SEARCH, {"search": term, "first": 50})
        assert "errors" not in data, data
        page = data["data"]["products"]
        assert {e["node"]["slug"] for e in page["edges"]} == _expected(term), term
        assert page["totalCount"] == len(_expected(term)), term
    # every product has its row, as the services would write it now
    assert ProductSearch.objects.count() == Product.objects.count()
    fields = ("designer_id", "created_at", "listed", "title", "document")
    for item in Product.objects.all():
        row = ProductSearch.objects.filter(pk=item.pk).values_list(*fields).get()
        sync_search(item)
        assert ProductSearch.objects.filter(pk=item.pk).values_list(*fields).get() == row, item.name


def publish(s):
    publish_product(actor=s["designer"].user, product_id=s["draft"].pk)


def unpublish(s):
    unpublish_product(actor=s["designer"].user, product_id=s["vase"].pk)


def archive(s):
    archive_product(actor=s["designer"].user, product_id=s["vase"].pk)


def republish(s):
    archive_product(actor=s["designer"].user, product_id=s["vase"].pk)
    publish_product(actor=s["designer"].user, product_id=s["vase"].pk)


def hide(s):
    moderate_product(actor=s["staff"], product_id=s["vase"].pk, hidden=True, reason="Ảnh sai")


def show(s):
    hide(s)
    moderate_product(actor=s["staff"], product_id=s["vase"].pk, hidden=False)


def rename(s):
    update_product(actor=s["designer"].user, product_id=s["vase"].pk, name="Lọ hoa lá sen")


def retag(s):
    update_product(actor=s["designer"].user, product_id=s["vase"].pk, tags=["đèn", "lá"])


def describe(s):
    update_product(actor=s["designer"].user, product_id=s["vase"].pk, description="<p>Men <b>xanh ngọc</b>.</p>")


def delete(s):
    delete_product(actor=s["designer"].user, product_id=s["vase"].pk)


def create(s):
    create_product(actor=s["designer"].user, name="Bình gốm nhỏ", tags=["gốm"])


def suspend(s):
    suspend_designer(designer_id=s["designer"].pk, actor=s["staff"], reason="Hàng giả")


def reinstate(s):
    suspend(s)
    reinstate_designer(designer_id=s["designer"].pk, actor=s["staff"])


# (change, whether a buyer's search finds something else afterwards): a round trip (hidden and
# shown again, archived and published again, ...) or a new draft must leave the search as it was.
CHANGES = [
    (publish, True),
    (unpublish, True),
    (archive, True),
    (republish, False),
    (hide, True),
    (show, False),
    (rename, True),
    (retag, True),
    (describe, True),
    (delete, True),
    (create, False),
    (suspend, True),
    (reinstate, False),
]


@pytest.mark.parametrize("change, visible", CHANGES, ids=[c.__name__ for c, _visible in CHANGES])
def test_search_agrees_with_the_storefront_after_every_change(gql, shop, change, visible):
    _assert_search_agrees(gql)
    before = {t: _expected(t) for t in TERMS}
    change(shop)
    assert ({t: _expected(t) for t in TERMS} != before) is visible
    _assert_search_agrees(gql)
