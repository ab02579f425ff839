"""productViewRecord: once per visitor, product and day; buffered in a real Redis and flushed in
bulk; dropped (and logged) when Redis is down; conversion in the designer's sales."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from designers import page_views, sales
from designers.models import ProductViewDay
from tests.designers.test_sales_rollups import paid
from tests.factories import make_designer, make_product, make_user
from tests.support import load_operation, wait_for

VIEW = load_operation("storefront/ProductViewRecord.graphql")
MY_SALES = load_operation("designer/MySales.graphql")


def view(gql, product, *, anonymous_id=None, user=None):
    variables = {"productId": to_global_id("Product", product.pk), "anonymousId": anonymous_id}
    result = gql(VIEW, variables, user=user)
    assert "errors" not in result, result
    return result["data"]["productViewRecord"]


def views_of(product) -> int:
    return sum(ProductViewDay.objects.filter(product=product).values_list("views", flat=True))


@pytest.fixture
def products(db):
    ha = make_designer(display_name="Hà")
    return ha, make_product(designer=ha, name="Khăn lụa"), make_product(designer=ha, name="Bình gốm")


def test_views_count_once_per_visitor_product_and_day_and_are_flushed_in_bulk(gql, products, rate_limit_redis):
    ha, scarf, vase = products
    buyer = make_user()
    assert view(gql, scarf, anonymous_id="visitor-one-1234") == {"recorded": True, "errors": []}
    assert view(gql, scarf, anonymous_id="visitor-one-1234")["recorded"] is False  # same visitor, same day
    assert view(gql, scarf, anonymous_id="visitor-two-1234")["recorded"] is True
    assert view(gql, scarf, user=buyer)["recorded"] is True
    assert view(gql, scarf, user=buyer, anonymous_id="ignored-when-signed-in")["recorded"] is False
    assert view(gql, vase, user=buyer)["recorded"] is True
    assert not ProductViewDay.objects.exists()  # buffered: no SQL write per view
    with CaptureQueriesContext(connection) as ctx:
        assert page_views.flush() == 2
    assert len(ctx.captured_queries) <= 3  # one upsert for the day (inside a savepoint)
    assert (views_of(scarf), views_of(vase)) == (3, 1)
    row = ProductViewDay.objects.get(product=scarf)
    assert (row.designer_id, row.day) == (ha.pk, sales.local_day(row_time()))
    assert page_views.flush() == 0  # nothing new
    view(gql, scarf, anonymous_id="visitor-three-1234")
    page_views.flush()
    assert views_of(scarf) == 4


def row_time():
    from django.utils import timezone

    return timezone.now()


def test_a_view_on_another_day_counts_again(products, rate_limit_redis):
    _ha, scarf, _vase = products
    monday = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
    visitor = page_views.visitor_key(user_id=None, anonymous_id="visitor-one-1234")
    assert page_views.record_view(product_id=scarf.pk, visitor=visitor, now=monday) is True
    assert page_views.record_view(product_id=scarf.pk, visitor=visitor, now=monday + timedelta(hours=15)) is True
    assert page_views.record_view(product_id=scarf.pk, visitor=visitor, now=monday + timedelta(hours=16)) is False
    page_views.flush()
    assert dict(ProductViewDay.objects.values_list("day", "views")) == {date(2026, 3, 9): 1, date(2026, 3, 10): 1}


def test_bad_view_requests_are_refused_with_codes(gql, products, rate_limit_redis):
    _ha, scarf, _vase = products
    draft = make_product(designer=products[0], status="DRAFT")
    cases = [
        ({"productId": to_global_id("Product", scarf.pk)}, "REQUIRED"),
        ({"productId": to_global_id("Product", scarf.pk), "anonymousId": "short"}, "INVALID"),
        ({"productId": to_global_id("Product", draft.pk), "anonymousId": "visitor-one-1234"}, "NOT_FOUND"),
        ({"productId": to_global_id("Designer", scarf.pk), "anonymousId": "visitor-one-1234"}, "NOT_FOUND"),
        ({"productId": "garbage", "anonymousId": "visitor-one-1234"}, "NOT_FOUND"),
    ]
    for variables, code in cases:
        result = gql(VIEW, variables)["data"]["productViewRecord"]
        assert [e["code"] for e in result["errors"]] == [code] and result["recorded"] is None, (variables, result)
    page_views.flush()
    assert not ProductViewDay.objects.exists()


def test_when_redis_is_down_the_view_is_dropped_with_a_log_line(gql, products, settings, caplog):
    _ha, scarf, _vase = products
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.RATE_LIMIT_ENABLED = False
    with caplog.at_level(logging.WARNING, logger="designers.page_views"):
        assert view(gql, scarf, anonymous_id="visitor-one-1234") == {"recorded": False, "errors": []}
    assert any("dropped" in r.getMessage() for r in caplog.records)
    assert not ProductViewDay.objects.exists()


def test_without_redis_the_demo_writes_views_at_once(products, settings):
    """Local memory (the one-process demo): deduplicated in the cache, written at once."""
    _ha, scarf, _vase = products
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "views-test"},
    }
    visitor = page_views.visitor_key(user_id=7, anonymous_id=None)
    assert page_views.record_view(product_id=scarf.pk, visitor=visitor) is True
    assert page_views.record_view(product_id=scarf.pk, visitor=visitor) is False
    assert views_of(scarf) == 1


def test_conversion_in_the_designers_sales(gql, products, rate_limit_redis):
    ha, scarf, vase = products
    for i in range(4):
        view(gql, scarf, anonymous_id=f"visitor-{i}-abcdefgh")
    view(gql, vase, anonymous_id="visitor-0-abcdefgh")
    page_views.flush()
    from payments.models import LedgerEntry  # noqa: F401  (the sale goes through the payments app)
    from tests.factories import make_purchase, make_variant, start_payment

    purchase = make_purchase((ha, [(100000, 1)]), gateway="dummy")
    line = purchase.orders.get().lines.get()
    line.variant = make_variant(product=scarf, price=100000)
    line.save()
    start_payment(purchase)
    today = sales.local_day(row_time())
    result = gql(MY_SALES, {"period": {"from": today.isoformat(), "to": today.isoformat()}}, user=ha.user)
    data = result["data"]["myDesigner"]["sales"]
    assert (data["views"], data["orders"], data["conversion"]) == (5, 1, 0.2)
    top = data["topProducts"]
    assert [(t["product"]["name"], t["views"], t["conversion"]) for t in top] == [("Khăn lụa", 4, 0.25)]
    # another designer sees none of it
    other = make_designer(display_name="Minh")
    theirs = gql(MY_SALES, {"period": {"from": today.isoformat(), "to": today.isoformat()}}, user=other.user)
    assert theirs["data"]["myDesigner"]["sales"]["views"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_flushes_the_views(celery_worker, rate_limit_redis):
    from designers.tasks import flush_product_views

    ha = make_designer()
    scarf = make_product(designer=ha)
    visitor = page_views.visitor_key(user_id=None, anonymous_id="visitor-one-1234")
    page_views.record_view(product_id=scarf.pk, visitor=visitor)
    flush_product_views.delay()
    wait_for(lambda: views_of(scarf) == 1)


def test_beat_flushes_the_views(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["flush-product-views"]
    assert entry["task"] == "designers.tasks.flush_product_views"
    paid  # noqa: B018  (shared helpers imported for the other tests)
