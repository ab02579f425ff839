"""``myDesigner { sales }`` and ``marketplaceStats`` through HTTP: numbers, buckets, rules, periods,
isolation and query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from designers import sales
from designers.models import DesignerStatusChange, ProductViewDay
from payments import refunds
from tests.designers.test_sales_rollups import paid
from tests.factories import make_designer, make_user
from tests.support import load_operation

MY_SALES = load_operation("designer/MySales.graphql")
STATS = load_operation("staff/MarketplaceStats.graphql")

pytestmark = pytest.mark.django_db


def period(start: date, end: date) -> dict:
    return {"from": start.isoformat(), "to": end.isoformat()}


def my_sales(gql, user, start, end, **variables):
    result = gql(MY_SALES, {"period": period(start, end), **variables}, user=user)
    assert "errors" not in result, result
    return result["data"]["myDesigner"]["sales"]


@pytest.fixture
def shop(settings):
    """Hà sold twice in March 2026 (one refunded in part today), Minh once; a buyer paid."""
    settings.PLATFORM_COMMISSION_RATE = 0.1
    settings.MARKETPLACE_TIME_ZONE = "Asia/Ho_Chi_Minh"
    staff = make_user(staff=True)
    ha, minh = make_designer(display_name="Hà"), make_designer(display_name="Minh")
    buyer = make_user()
    first = paid((ha, [(100000, 2), (50000, 1)]), user=buyer, at=datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    paid((ha, [(100000, 1)]), (minh, [(400000, 1)]), user=buyer, at=datetime(2026, 3, 16, 3, 0, tzinfo=UTC))
    order = first.orders.get()
    refund = refunds.refund_order(actor=staff, order_id=order.pk, amount="50000")
    return {"staff": staff, "ha": ha, "minh": minh, "buyer": buyer, "order": order, "refund": refund}


def test_a_designer_sees_its_numbers_series_and_top_products(gql, shop):
    ha = shop["ha"]
    product = shop["order"].lines.order_by("pk").first().variant.product
    ProductViewDay.objects.create(designer=ha, product=product, day=date(2026, 3, 9), views=8)
    result = my_sales(gql, ha.user, date(2026, 3, 1), date(2026, 3, 31))
    assert result["currency"] == "VND"
    assert result["grossSales"] == {"amount": "350000", "currency": "VND"}
    assert result["commission"]["amount"] == "35000"
    assert result["refunds"]["amount"] == "0"  # refunded today: counted today
    assert result["netEarnings"]["amount"] == "315000"
    assert (result["orders"], result["units"], result["views"]) == (2, 4, 8)
    assert result["averageOrderValue"]["amount"] == "175000"
    assert result["conversion"] == 0.25
    series = result["series"]
    assert len(series) == 31 and series[0]["start"] == "2026-03-01" and series[-1]["start"] == "2026-03-31"
    # the order paid at 23:30 in Hanoi (16:30 UTC) is on the 9th
    by_day = {b["start"]: b for b in series if b["orders"]}
    assert set(by_day) == {"2026-03-09", "2026-03-16"}
    assert by_day["2026-03-09"]["grossSales"]["amount"] == "250000"
    assert by_day["2026-03-09"]["netEarnings"]["amount"] == "225000"
    assert all(b["grossSales"]["amount"] == "0" for b in series if not b["orders"])
    top = result["topProducts"]
    assert [(t["product"]["name"], t["units"], t["revenue"]["amount"]) for t in top][0][1:] == (2, "200000")
    assert top[0]["views"] == 8 and top[0]["conversion"] == 0.125
    assert len(top) == 3


def test_refunds_count_on_their_day_and_weeks_start_on_monday(gql, shop):
    ha = shop["ha"]
    refund_day = sales.local_day(shop["refund"].created_at)
    result = my_sales(gql, ha.user, date(2026, 3, 1), refund_day, granularity="WEEK")
    starts = [b["start"] for b in result["series"]]
    assert starts[0] == "2026-02-23" and all(date.fromisoformat(s).weekday() == 0 for s in starts)
    assert len(starts) == (refund_day - timedelta(days=refund_day.weekday()) - date(2026, 2, 23)).days // 7 + 1
    week_of_refund = result["series"][-1]
    assert week_of_refund["netEarnings"]["amount"] == "-45000"  # 50000 refunded, 5000 commission given back
    assert week_of_refund["grossSales"]["amount"] == "0" and week_of_refund["orders"] == 0
    assert result["refunds"]["amount"] == "50000"
    assert result["grossSales"]["amount"] == "350000"
    monthly = my_sales(gql, ha.user, date(2026, 3, 15), date(2026, 4, 30), granularity="MONTH")
    assert [(b["start"], b["grossSales"]["amount"]) for b in monthly["series"]] == [
        ("2026-03-01", "100000"),  # only the 15th-31st of March are in the period
        ("2026-04-01", "0"),
    ]


def test_an_empty_period_has_every_bucket_at_zero(gql, shop):
    result = my_sales(gql, shop["ha"].user, date(2025, 1, 1), date(2025, 1, 7))
    assert [b["start"] for b in result["series"]] == [f"2025-01-0{d}" for d in range(1, 8)]
    assert result["grossSales"]["amount"] == "0" and result["orders"] == 0 and result["topProducts"] == []
    assert result["averageOrderValue"]["amount"] == "0" and result["conversion"] is None


def test_designers_see_only_their_own_sales(gql, shop):
    minh = my_sales(gql, shop["minh"].user, date(2026, 3, 1), date(2026, 4, 30))
    assert minh["grossSales"]["amount"] == "400000" and minh["orders"] == 1
    assert [t["units"] for t in minh["topProducts"]] == [1]
    other = make_designer(display_name="Lan")
    empty = my_sales(gql, other.user, date(2026, 3, 1), date(2026, 4, 30))
    assert empty["grossSales"]["amount"] == "0" and empty["topProducts"] == []
    # another designer's sales through designer(slug): null; staff see them
    query = 'query($slug: String!) { designer(slug: $slug) { sales(period: {from: "2026-03-01", to: "2026-03-31"}) { orders } } }'
    assert gql(query, {"slug": shop["ha"].slug}, user=shop["minh"].user)["data"]["designer"]["sales"] is None
    assert gql(query, {"slug": shop["ha"].slug})["data"]["designer"]["sales"] is None
    assert gql(query, {"slug": shop["ha"].slug}, user=shop["staff"])["data"]["designer"]["sales"] == {"orders": 2}


@pytest.mark.parametrize(
    "start,end,granularity,code",
    [
        (date(2026, 3, 2), date(2026, 3, 1), "DAY", "INVALID_PERIOD"),
        (date(2020, 1, 1), date(2023, 1, 2), "DAY", "PERIOD_TOO_LONG"),
        (date(2010, 1, 1), date(2020, 1, 2), "MONTH", "PERIOD_TOO_LONG"),
        (date(2010, 1, 1), date(2020, 1, 2), "WEEK", "PERIOD_TOO_LONG"),
    ],
)
def test_invalid_periods_are_refused_with_codes(gql, shop, start, end, granularity, code):
    for query, user in ((MY_SALES, shop["ha"].user), (STATS, shop["staff"])):
        result = gql(query, {"period": period(start, end), "granularity": granularity}, user=user)
        assert result["errors"][0]["extensions"]["code"] == code, result
        assert result["_status"] == 200


def test_long_periods_within_the_limits_are_answered(gql, shop):
    assert len(my_sales(gql, shop["ha"].user, date(2023, 1, 2), date(2026, 1, 1))["series"]) == 1096
    monthly = my_sales(gql, shop["ha"].user, date(2016, 6, 1), date(2026, 5, 31), granularity="MONTH")
    assert len(monthly["series"]) == 120 and monthly["orders"] == 2


def test_my_sales_costs_a_constant_number_of_queries(gql, shop):
    def count(first):
        with CaptureQueriesContext(connection) as ctx:
            my_sales(gql, shop["ha"].user, date(2026, 1, 1), date(2026, 12, 31), top=first)
        return len(ctx.captured_queries)

    assert count(1) == count(100) <= 10


def test_staff_see_the_marketplace(gql, shop):
    ha, minh, staff = shop["ha"], shop["minh"], shop["staff"]
    applied = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    for designer, hours in ((ha, 10), (minh, 30)):
        DesignerStatusChange.objects.create(designer=designer, from_status="", to_status="PENDING", created_at=applied)
        DesignerStatusChange.objects.create(
            designer=designer, from_status="PENDING", to_status="APPROVED", created_at=applied + timedelta(hours=hours)
        )
    guest = paid((minh, [(10000, 1)]), email="khach@example.com", at=datetime(2026, 3, 20, 1, 0, tzinfo=UTC))
    assert guest.user is None
    result = gql(STATS, {"period": period(date(2026, 3, 1), date(2026, 3, 31))}, user=staff)
    stats = result["data"]["marketplaceStats"]
    assert stats["grossMerchandiseValue"]["amount"] == "760000"
    assert stats["commission"]["amount"] == "76000"
    assert (stats["paidOrders"], stats["buyers"], stats["activeDesigners"]) == (4, 2, 2)
    assert stats["newApplications"] == 2 and stats["medianHoursToDecision"] == 20.0
    assert [b["start"] for b in stats["series"]] == ["2026-03-01"]
    top = stats["topDesigners"]
    assert [(t["designer"]["displayName"], t["grossSales"]["amount"], t["orders"]) for t in top] == [
        ("Minh", "410000", 2),
        ("Hà", "350000", 2),
    ]
    assert stats["refunds"]["amount"] == "0"
    refund_day = sales.local_day(shop["refund"].created_at)
    later = gql(STATS, {"period": period(date(2026, 4, 1), refund_day)}, user=staff)["data"]["marketplaceStats"]
    assert later["refunds"]["amount"] == "50000" and later["commission"]["amount"] == "-5000"
    assert later["paidOrders"] == 0 and later["activeDesigners"] == 0 and later["buyers"] == 0


def test_only_staff_get_marketplace_stats(gql, shop):
    for user in (None, shop["buyer"], shop["ha"].user):
        result = gql(STATS, {"period": period(date(2026, 3, 1), date(2026, 3, 31))}, user=user)
        assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        assert result["data"] is None


def test_local_day_of_utc_times():
    assert sales.local_day(datetime(2026, 3, 9, 16, 59, tzinfo=UTC)) == date(2026, 3, 9)
    assert sales.local_day(datetime(2026, 3, 9, 17, 0, tzinfo=UTC)) == date(2026, 3, 10)
    assert sales.local_day(timezone.now()) >= date(2026, 1, 1)
