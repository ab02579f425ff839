"""Product lists load only the columns their query asks for (shop.catalog.selectors.list_columns),
and never pay for a column they left out with a query per product."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.catalog.models import Category
from tests.catalog.helpers import product
from tests.conftest import load_operation, make_designer

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
    return [product(designer, name=f"Bát {n}", description=f"<p>Bát số {n}</p>", tags=["gốm"], category=category)
            for n in range(6)]


def _queries(gql, query, first):
    with CaptureQueriesContext(connection) as captured:
        data = gql(query, {"first": first})
    assert "errors" not in data, data
    return data["data"]["products"]["edges"], [q["sql"] for q in captured.captured_queries]


SEARCH = """
query($first: Int) { products(first: $first, filter: {search: "bat"}, sortBy: {field: RANK, direction: DESC}) {
  totalCount edges { node { id slug name minPrice { amount currency } thumbnail(size: 256) designer { displayName } } } } }
"""


@pytest.mark.parametrize("query", [EVERYTHING, WITH_VARIANT_PRODUCTS, load_operation("storefront/Products.graphql"), SEARCH])
def test_every_field_costs_the_same_queries_for_two_and_six_products(gql, catalog, query):
    small, small_sql = _queries(gql, query, 2)
    large, large_sql = _queries(gql, query, 6)
    assert len(small) == 2 and len(large) == 6
    assert len(small_sql) == len(large_sql) <= 4


def test_a_card_list_leaves_out_what_it_does_not_show(gql, catalog):
    edges, sql = _queries(gql, load_operation("storefront/Products.graphql"), 6)
    page = sql[0]
    assert '"catalog_product"."description"' not in page and '"designers_designer"."bio"' not in page
    assert '"catalog_product"."search_vector"' not in page and '"catalog_product"."name"' in page
    edges, sql = _queries(gql, EVERYTHING, 6)
    node = edges[0]["node"]
    assert node["description"].startswith("<p>Bát") and node["designer"]["bio"] == "Gốm men rạn"
    assert node["designer"]["createdAt"] and node["updatedAt"] and node["publishedAt"]
    assert '"catalog_product"."description"' in sql[0] and '"catalog_product"."search_vector"' not in sql[0]
