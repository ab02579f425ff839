"""Product lists load only the columns their query asks for (shop.catalog.queries.list_columns),
and never pay for a column they left out with a query per product."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.catalog.models import Category
from tests.factories import make_designer, product
from tests.support import load_operation

EVERYTHING = """
query($first: Int) { products(first: $first) { edges { node {
  __typename id slug name description tags productType status minPrice { amount currency } thumbnail(size: 256)
  variants(first: 3) { edges { node { id sku name price { amount } inStock stockQuantity attributes { name value } } } }
  media(first: 2) { edges { node { id url alt } } }
  designer { __typename id slug displayName bio city links status createdAt }
  category { id slug name position }
  createdAt updatedAt publishedAt isHidden hiddenReason hiddenAt
} } } }
"""
WITH_VARIANT_PRODUCTS = """
query($first: Int) { products(first: $first) { edges { node { name
  variants(first: 3) { edges { node { sku product { description updatedAt } } } }
} } } }
"""


@pytest.fixture
def catalog(db):
    designer = make_designer(display_name="Trần Thùy Linh", bio="Gốm men rạn", city="Hà Nội")
    category = Category.objects.create(name="Gốm", slug="gom")
    return [
        product(designer, name=f"Bát {n}", description=f"<p>Bát số {n}</p>", tags=["gốm"], category=category)
        for n in range(6)
    ]


def _queries(gql, query, first):
    with CaptureQueriesContext(connection) as captured:
        data = gql(query, {"first": first})
    assert "errors" not in data, data
    return data["data"]["products"]["edges"], [q["sql"] for q in captured.captured_queries]


SEARCH = """
query($first: Int) { products(first: $first, filter: {search: "bat"}, sortBy: {field: RANK, direction: DESC}) {
  totalCount edges { node { id slug name minPrice { amount currency } thumbnail(size: 256) designer { displayName } } } } }
"""


@pytest.mark.parametrize(
    "query", [EVERYTHING, WITH_VARIANT_PRODUCTS, load_operation("storefront/Products.graphql"), SEARCH]
)
def test_every_field_costs_the_same_queries_for_two_and_six_products(gql, catalog, query):
    small, small_sql = _queries(gql, query, 2)
    large, large_sql = _queries(gql, query, 6)
    assert len(small) == 2 and len(large) == 6
    assert len(small_sql) == len(large_sql) <= 4


def test_a_card_list_leaves_out_what_it_does_not_show(gql, catalog):
    edges, sql = _queries(gql, load_operation("storefront/Products.graphql"), 6)
    page = sql[0]
    assert '"catalog_product"."description"' not in page and '"designers_designer"."bio"' not in page
    assert '"catalog_product"."name"' in page
    edges, sql = _queries(gql, EVERYTHING, 6)
    node = edges[0]["node"]
    assert node["description"].startswith("<p>Bát") and node["designer"]["bio"] == "Gốm men rạn"
    assert node["designer"]["createdAt"] and node["updatedAt"] and node["publishedAt"]
    assert '"catalog_product"."description"' in sql[0]


def test_a_list_loads_only_the_related_rows_it_shows(gql, catalog):
    from shop.catalog.models import ProductMedia

    # Two images per product, stored in the opposite of their display order.
    for item in catalog:
        ProductMedia.objects.create(
            product=item, image=f"products/t/{item.pk}-second.jpg", position=1, width=8, height=8
        )
        ProductMedia.objects.create(
            product=item, image=f"products/t/{item.pk}-first.jpg", position=0, width=8, height=8
        )
    # A search card shows the thumbnail, not the variants: the first image of each product only.
    edges, sql = _queries(gql, SEARCH, 6)
    assert len(edges) == 6 and not any("catalog_productvariant" in q for q in sql)
    media_sql = [q for q in sql if "catalog_productmedia" in q]
    assert len(media_sql) == 1 and "DISTINCT ON" in media_sql[0]
    assert all(e["node"]["thumbnail"].endswith("-first.jpg") for e in edges), edges
    # A list that shows the media gets all of them, in order; its thumbnail is the same.
    query = """query($first: Int) { products(first: $first) { edges { node { thumbnail(size: 256)
      media(first: 5) { edges { node { url } } } } } } }"""
    edges, sql = _queries(gql, query, 6)
    assert not any("catalog_productvariant" in q for q in sql) and not any("DISTINCT ON" in q for q in sql)
    for edge in edges:
        urls = [m["node"]["url"] for m in edge["node"]["media"]["edges"]]
        assert [u.rsplit("-", 1)[1] for u in urls] == ["first.jpg", "second.jpg"]
        assert edge["node"]["thumbnail"] == urls[0]
    # The storefront grid shows variants and a thumbnail.
    edges, sql = _queries(gql, load_operation("storefront/Products.graphql"), 6)
    assert any("catalog_productvariant" in q for q in sql) and any("DISTINCT ON" in q for q in sql)
    assert all(e["node"]["variants"]["edges"] for e in edges)
