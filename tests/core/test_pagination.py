"""Keyset pagination (shop.core.pagination.paginate): every sort order pages without gaps or repeats,
forwards and backwards, without OFFSET or COUNT; old offset cursors keep working; a cursor that
does not fit the list is refused with INVALID_CURSOR, never a crash."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.catalog.models import Product
from shop.catalog.selectors.listing import product_list, search_ranking
from shop.catalog.services.search import sort_name, sync_search
from shop.catalog.types import ProductConnection
from shop.core.pagination import paginate
from tests.factories import make_designer, make_product, make_variant
from tests.support import load_operation

PRODUCTS = load_operation("storefront/Products.graphql")


@pytest.fixture
def catalog(db):
    """Eleven products with ties everywhere a sort can tie: equal creation times, equal prices,
    equal names, and products without any price (NULL)."""
    designer = make_designer()
    now = timezone.now().replace(microsecond=0)
    specs = [
        ("Áo dài lụa", 300000, 0),
        ("ao dai lua", 300000, 0),
        ("Bình gốm", 120000, 1),
        ("Bình gốm", None, 1),
        ("Chén trà", 90000, 2),
        ("Đèn lồng lụa", None, 2),
        ("Khăn lụa", 120000, 2),
        ("Nhẫn bạc", 450000, 3),
        ("Tranh sơn mài", 90000, 4),
        ("Túi da", 300000, 5),
        ("Zine", None, 5),
    ]
    products = []
    for n, (name, price, hours) in enumerate(specs):
        product = make_product(
            designer=designer,
            name=name,
            sort_name=sort_name(name),
            slug=f"p-{n}",
            created_at=now - timedelta(hours=hours),
            tags=["lụa"] if "lụa" in name.lower() else [],
        )
        if price is not None:
            make_variant(product=product, price=price)
        sync_search(product)
        products.append(product)
    return products


def _all(**kwargs):
    return list(product_list(None, **kwargs))


def _ranked(ranked: bool, kwargs):
    """The search rows that rank the list's matches (``search_ranking``), if ``ranked``."""
    return search_ranking(None, **kwargs) if ranked else None


def _walk_forward(size=2, ranked=False, **kwargs):
    seen, after = [], None
    for _ in range(50):
        page = paginate(
            product_list(None, **kwargs),
            ProductConnection,
            first=size,
            after=after,
            ranked=_ranked(ranked, kwargs),
        )
        seen += [e.node for e in page.edges]
        if not page.page_info.has_next_page:
            return seen
        assert len(page.edges) == size
        after = page.page_info.end_cursor
    raise AssertionError(f"no end after 50 pages: {[p.pk for p in seen][:30]}")


def _walk_backward(size=3, ranked=False, **kwargs):
    seen, before = [], None
    for _ in range(50):
        page = paginate(
            product_list(None, **kwargs),
            ProductConnection,
            last=size,
            before=before,
            ranked=_ranked(ranked, kwargs),
        )
        seen = [e.node for e in page.edges] + seen
        if not page.page_info.has_previous_page:
            return seen
        before = page.page_info.start_cursor
    raise AssertionError(f"no start after 50 pages: {[p.pk for p in seen][:30]}")


SORTS = [
    {},
    {"sort_field": "CREATED_AT", "sort_direction": "ASC"},
    {"sort_field": "CREATED_AT", "sort_direction": "DESC"},
    {"sort_field": "NAME", "sort_direction": "ASC"},
    {"sort_field": "NAME", "sort_direction": "DESC"},
    {"sort_field": "PRICE", "sort_direction": "ASC"},
    {"sort_field": "PRICE", "sort_direction": "DESC"},
    {"search": "lua"},
    {"search": "lua", "sort_field": "RANK", "sort_direction": "ASC"},
]


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: "-".join(str(v) for v in s.values()) or "default")
def test_every_order_pages_forwards_and_backwards_without_gaps_or_repeats(catalog, sort):
    expected = [p.pk for p in _all(**sort)]
    assert len(expected) == (len(catalog) if "search" not in sort else 4)
    # a search's pages also read their ids from the search rows (as the API does)
    for ranked in (False, True) if "search" in sort else (False,):
        assert [p.pk for p in _walk_forward(ranked=ranked, **sort)] == expected
        assert [p.pk for p in _walk_backward(ranked=ranked, **sort)] == expected
        assert [p.pk for p in _walk_forward(size=1, ranked=ranked, **sort)] == expected


def test_prices_sort_with_null_prices_last_in_both_directions(catalog):
    for direction in ("ASC", "DESC"):
        prices = [p.min_price for p in _walk_forward(sort_field="PRICE", sort_direction=direction)]
        assert prices[-3:] == [None, None, None] and None not in prices[:-3]


def test_pages_after_the_first_use_neither_offset_nor_count(catalog):
    first = paginate(product_list(None), ProductConnection, first=4)
    with CaptureQueriesContext(connection) as captured:
        paginate(product_list(None), ProductConnection, first=4, after=first.page_info.end_cursor)
        paginate(product_list(None), ProductConnection, last=4)
    page_sql = [
        q["sql"].upper() for q in captured.captured_queries if '"CATALOG_PRODUCT"."ID"' in q["sql"].upper()[:60]
    ]
    assert page_sql and not any("OFFSET" in q or "COUNT(" in q for q in page_sql)
    # the first key's range bound lets the index scan start at the cursor
    assert '"CATALOG_PRODUCT"."CREATED_AT" <=' in page_sql[0]


def test_middle_pages_in_both_directions(catalog):
    expected = [p.pk for p in _all()]
    head = paginate(product_list(None), ProductConnection, first=3)
    middle = paginate(product_list(None), ProductConnection, first=3, after=head.page_info.end_cursor)
    assert [e.node.pk for e in middle.edges] == expected[3:6]
    assert middle.page_info.has_previous_page and middle.page_info.has_next_page
    back = paginate(product_list(None), ProductConnection, last=2, before=middle.page_info.end_cursor)
    assert [e.node.pk for e in back.edges] == expected[3:5]
    between = paginate(
        product_list(None),
        ProductConnection,
        first=10,
        after=head.page_info.end_cursor,
        before=middle.page_info.end_cursor,
    )
    assert [e.node.pk for e in between.edges] == expected[3:5] and between.page_info.has_next_page


def _offset_cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"o:{n}".encode()).decode()


def test_offset_cursors_from_before_keyset_paging_still_work(gql, catalog):
    expected = [p.slug for p in _all()]
    page = gql(PRODUCTS, {"first": 3, "after": _offset_cursor(2)})["data"]["products"]
    assert [e["node"]["slug"] for e in page["edges"]] == expected[3:6]


def _keyset_cursor(signature, values) -> str:
    return base64.urlsafe_b64encode(b"k:" + json.dumps([signature, values]).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.urlsafe_b64encode(b"k:{not json").decode(),
        base64.urlsafe_b64encode(b"x:1").decode(),
        _keyset_cursor("-created_at,-id", ["not a date", 1]),
        _keyset_cursor("-created_at,-id", [None, 1]),
        _keyset_cursor("-created_at,-id", ["2026-01-01T00:00:00+00:00"]),
        _keyset_cursor("-created_at,-id", ["2026-01-01T00:00:00+00:00", "x"]),
        _keyset_cursor("-created_at,-id", ["2026-01-01T00:00:00+00:00", 2**80]),
        _keyset_cursor("sort_name,name,id", ["a", "b", 1]),  # a cursor of another order
        _keyset_cursor(["-created_at,-id"], ["2026-01-01T00:00:00+00:00", 1]),
    ],
)
def test_cursors_that_do_not_fit_are_refused(gql, catalog, cursor):
    for arg in ("after", "before"):
        page = {"first": 2} if arg == "after" else {}
        query = (
            "query($c: String, $first: Int, $last: Int) { products(first: $first, last: $last, %s: $c) { edges { node { id } } } }"
            % arg
        )
        variables = {"c": cursor, **(page or {"last": 2})}
        result = gql(query, variables)
        assert result["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", result


def test_a_price_cursor_pages_through_decimal_and_null_values(gql, catalog):
    query = load_operation("storefront/Products.graphql")
    sort = {"field": "PRICE", "direction": "DESC"}
    seen, after = [], None
    for _ in range(20):
        page = gql(query, {"first": 4, "after": after, "sortBy": sort})["data"]["products"]
        seen += [e["node"]["slug"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [p.slug for p in _all(sort_field="PRICE", sort_direction="DESC")]
    assert Product.objects.filter(min_price=Decimal("300000")).count() == 3


SEARCH = """query($after: String) { products(first: 2, after: $after, filter: {search: "lua"}) {
  totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { slug } } } }"""


def test_a_search_counts_its_matches_with_its_first_page(gql, catalog):
    expected = [p.slug for p in _all(search="lua")]
    with CaptureQueriesContext(connection) as captured:
        first = gql(SEARCH)["data"]["products"]
    sql = [q["sql"] for q in captured.captured_queries]
    assert not any(s.startswith("SELECT COUNT(*)") for s in sql) and any("OVER ()" in s for s in sql)
    assert first["totalCount"] == len(expected) == 4
    assert [e["node"]["slug"] for e in first["edges"]] == expected[:2]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    second = gql(SEARCH, {"after": first["pageInfo"]["endCursor"]})["data"]["products"]
    assert second["totalCount"] == 4 and [e["node"]["slug"] for e in second["edges"]] == expected[2:]
    assert not second["pageInfo"]["hasNextPage"]
    nothing = gql(SEARCH.replace('"lua"', '"zzzz"'))["data"]["products"]
    assert nothing == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
        "edges": [],
    }
