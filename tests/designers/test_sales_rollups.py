"""Daily sales rollups: written by the money movements, equal to a recomputation from the source
tables after any mix of purchases, partial refunds, cancellations and disputes."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from designers import sales
from designers.models import BuyerDay, ProductSalesDay, SalesDay
from payments import disputes, refunds, rollups, services
from payments.models import LedgerEntry, Payment
from shop.orders import lifecycle as order_lifecycle
from shop.orders.models import Order
from tests.factories import make_designer, make_purchase, make_user, start_payment

pytestmark = pytest.mark.django_db


def stored() -> dict:
    """The rollup tables, in the shape of ``rollups.recompute()``."""
    return {
        "days": {
            (r.designer_id, r.day, r.currency): [r.gross, r.refunds, r.commission, r.orders, r.units]
            for r in SalesDay.objects.all()
            if any([r.gross, r.refunds, r.commission, r.orders, r.units])
        },
        "products": {
            (r.product_id, r.day, r.currency): [r.designer_id, r.revenue, r.refunds, r.orders, r.units]
            for r in ProductSalesDay.objects.all()
            if any([r.revenue, r.refunds, r.orders, r.units])
        },
        "buyers": {(r.day, r.currency, r.buyer) for r in BuyerDay.objects.all()},
    }


def earnings(designer) -> int:
    kinds = ["SALE", "COMMISSION", "COMMISSION_REFUND", "REFUND", "DISPUTE", "DISPUTE_REVERSAL"]
    return sum(LedgerEntry.objects.filter(designer=designer, kind__in=kinds).values_list("amount", flat=True))


def net(designer) -> int:
    return sum(r.gross - r.refunds - r.commission for r in SalesDay.objects.filter(designer=designer))


@contextmanager
def clock(at: datetime):
    """The wall clock (Django's ``timezone.now``) at ``at``: the one thing out of a test's reach."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def paid(*parts, at: datetime | None = None, **kwargs):
    purchase = make_purchase(*parts, gateway="dummy", **kwargs)
    if at is None:
        start_payment(purchase)
    else:
        with clock(at):
            start_payment(purchase)
    return purchase


def test_a_paid_purchase_enters_each_designers_day(settings):
    settings.PLATFORM_COMMISSION_RATE = 0.15
    ha, minh = make_designer(display_name="Hà"), make_designer(display_name="Minh")
    buyer = make_user()
    purchase = paid((ha, [(100000, 2), (50000, 1)]), (minh, [(300000, 1)]), user=buyer, shipping=30000)
    today = sales.local_day(timezone.now())
    row = SalesDay.objects.get(designer=ha)
    assert (row.day, row.currency, row.gross, row.commission, row.orders, row.units, row.refunds) == (
        today,
        "VND",
        280000,
        42000,
        1,
        3,
        0,
    )
    assert SalesDay.objects.get(designer=minh).gross == 330000
    products = {r.product.name: (r.revenue, r.units, r.orders) for r in ProductSalesDay.objects.filter(designer=ha)}
    assert sorted(products.values()) == [(50000, 1, 1), (200000, 2, 1)]
    assert list(BuyerDay.objects.values_list("buyer", flat=True)) == [f"u:{buyer.pk}"]
    assert net(ha) == earnings(ha) == 238000
    assert stored() == rollups.recompute()
    # paying again (a duplicated confirmation) changes nothing
    services.mark_purchase_paid(purchase_id=purchase.pk, payment_id=purchase.payments.get().pk)
    assert stored() == rollups.recompute()


def test_unpaid_and_cancelled_orders_never_count():
    ha = make_designer()
    buyer = make_user()
    purchase = make_purchase((ha, [(100000, 1)]), gateway="dummy", user=buyer)
    assert not SalesDay.objects.exists()
    order_lifecycle.cancel_order(order_id=purchase.orders.get().pk, actor=buyer)
    # the money arrives after all: recorded as due for refund, never as a sale
    payment = Payment.objects.create(
        purchase=purchase, gateway="dummy", amount=100000, currency="VND", idempotency_key="late"
    )
    services.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
    assert not SalesDay.objects.exists() and not ProductSalesDay.objects.exists()
    assert stored() == rollups.recompute() == {"days": {}, "products": {}, "buyers": set()}


def test_a_refund_counts_on_its_own_day_and_gives_commission_back(settings):
    settings.PLATFORM_COMMISSION_RATE = 0.1
    staff = make_user(staff=True)
    ha = make_designer()
    last_week = timezone.now() - timedelta(days=7)
    purchase = paid((ha, [(100000, 2)]), at=last_week)
    order = purchase.orders.get()
    line = order.lines.get()
    refunds.refund_order(actor=staff, order_id=order.pk, lines=[{"line_id": line.pk, "quantity": 1}])
    sale_day, refund_day = sales.local_day(last_week), sales.local_day(timezone.now())
    rows = {r.day: (r.gross, r.refunds, r.commission, r.orders) for r in SalesDay.objects.filter(designer=ha)}
    assert rows == {sale_day: (200000, 0, 20000, 1), refund_day: (0, 100000, -10000, 0)}
    product = ProductSalesDay.objects.get(day=refund_day)
    assert (product.revenue, product.refunds) == (0, 100000)
    assert net(ha) == earnings(ha) == 90000
    assert stored() == rollups.recompute()


def test_disputes_lost_count_like_refunds_and_won_ones_give_it_back(settings):
    settings.PLATFORM_COMMISSION_RATE = 0.1
    ha, minh = make_designer(display_name="Hà"), make_designer(display_name="Minh")
    purchase = paid((ha, [(100000, 1)]), (minh, [(300000, 1)]))
    payment = purchase.payments.get()
    common = {"payment_id": payment.pk, "currency": "VND", "reason": "fraudulent"}
    disputes.record_dispute(dispute_id="dp_1", amount=200000, status="needs_response", closed=False, **common)
    assert (SalesDay.objects.get(designer=ha).refunds, SalesDay.objects.get(designer=minh).refunds) == (50000, 150000)
    assert SalesDay.objects.get(designer=minh).commission == 30000 - 15000
    assert stored() == rollups.recompute()
    for designer in (ha, minh):
        assert net(designer) == earnings(designer)
    disputes.record_dispute(dispute_id="dp_1", amount=200000, status="won", closed=True, **common)
    disputes.record_dispute(dispute_id="dp_1", amount=200000, status="won", closed=True, **common)  # duplicated
    assert SalesDay.objects.get(designer=minh).refunds == 0
    assert SalesDay.objects.get(designer=minh).commission == 30000
    assert stored() == rollups.recompute()
    assert net(ha) == earnings(ha) == 90000


def test_a_paid_order_cancelled_by_staff_counts_until_refunded():
    staff = make_user(staff=True)
    ha = make_designer()
    purchase = paid((ha, [(100000, 1)]))
    order = purchase.orders.get()
    order_lifecycle.cancel_order(order_id=order.pk, actor=staff, reason="out of stock")
    assert SalesDay.objects.get(designer=ha).gross == 100000
    refunds.refund_order(actor=staff, order_id=order.pk, amount="100000")
    row = SalesDay.objects.get(designer=ha)
    assert (row.gross, row.refunds, row.orders) == (100000, 100000, 1)
    assert net(ha) == earnings(ha) == 0
    assert stored() == rollups.recompute()


def test_day_boundaries_follow_the_marketplace_time_zone(settings):
    """23:30 in Hanoi (16:30 UTC) is that Hanoi day; 00:30 in Hanoi (17:30 UTC) the next one."""
    settings.MARKETPLACE_TIME_ZONE = "Asia/Ho_Chi_Minh"
    ha = make_designer()
    paid((ha, [(100000, 1)]), at=datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    paid((ha, [(70000, 1)]), at=datetime(2026, 3, 9, 17, 30, tzinfo=UTC))
    rows = dict(SalesDay.objects.filter(designer=ha).values_list("day", "gross"))
    assert rows == {date(2026, 3, 9): 100000, date(2026, 3, 10): 70000}
    assert stored() == rollups.recompute()
    settings.MARKETPLACE_TIME_ZONE = "UTC"
    assert set(rollups.recompute()["days"]) == {(ha.pk, date(2026, 3, 9), "VND")}


def test_rebuild_sales_replaces_the_rollups_with_the_recomputation():
    staff = make_user(staff=True)
    ha = make_designer()
    purchase = paid((ha, [(100000, 3)]))
    refunds.refund_order(actor=staff, order_id=purchase.orders.get().pk, amount="50000")
    expected = stored()
    SalesDay.objects.update(gross=1)  # drifted, somehow
    ProductSalesDay.objects.all().delete()
    out, err = io.StringIO(), io.StringIO()
    call_command("rebuild_sales", stdout=out, stderr=err)
    assert stored() == expected
    assert "Sales rollups rebuilt" in out.getvalue() and "1 designer days" in out.getvalue()
    assert "orders" in err.getvalue() and "100.0%" in err.getvalue()  # the progress bar


# --- a random mix ---------------------------------------------------------------------------------

step = st.one_of(
    st.tuples(
        st.just("buy"),
        st.lists(st.tuples(st.integers(0, 2), st.integers(1, 300), st.integers(1, 3)), min_size=1, max_size=4),
        st.booleans(),  # paid?
    ),
    st.tuples(st.just("cancel"), st.integers(0, 50), st.booleans()),  # as staff?
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100)),  # percent of what is left
    st.tuples(st.just("refund_line"), st.integers(0, 50), st.integers(0, 5)),
    st.tuples(st.just("dispute"), st.integers(0, 50), st.sampled_from(["open", "won", "lost"])),
)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12), rate=st.sampled_from(["0.15", "0.1234", "0"]))
def test_rollups_equal_a_recomputation_after_any_mix(steps, rate, settings, db):
    settings.PLATFORM_COMMISSION_RATE = float(rate)
    # one example's writes, rolled back: the test's own block, like Django's TestCase transactions
    # (services that call a provider refuse to run inside a transaction of the application's)
    example = transaction.atomic()
    example._from_testcase = True
    with example:
        staff = make_user(staff=True)
        buyer = make_user()
        designers = [make_designer(display_name=f"D{i}") for i in range(3)]
        purchases = []
        for kind, *args in steps:
            if kind == "buy":
                parts, pay = args
                by_designer = {}
                for d, price, qty in parts:
                    by_designer.setdefault(d, []).append((price * 1000, qty))
                purchase = make_purchase(
                    *[(designers[d], lines) for d, lines in by_designer.items()], gateway="dummy", user=buyer
                )
                if pay:
                    start_payment(purchase)
                purchases.append(purchase)
                continue
            orders = list(Order.objects.filter(purchase__in=purchases).order_by("pk"))
            if not orders:
                continue
            order = orders[args[0] % len(orders)]
            try:
                step_block = transaction.atomic()
                step_block._from_testcase = True  # a refund asks its provider outside our transactions
                with step_block:
                    if kind == "cancel":
                        order_lifecycle.cancel_order(order_id=order.pk, actor=staff if args[1] else buyer)
                    elif kind == "refund":
                        left = order.total_amount - order.refunded_amount
                        amount = max(1, int(left * args[1] / 100))
                        refunds.refund_order(actor=staff, order_id=order.pk, amount=str(amount))
                    elif kind == "refund_line":
                        lines = list(order.lines.order_by("pk"))
                        line = lines[args[1] % len(lines)]
                        refunds.refund_order(
                            actor=staff, order_id=order.pk, lines=[{"line_id": line.pk, "quantity": 1}]
                        )
                    else:
                        payment = Payment.objects.filter(purchase_id=order.purchase_id, status="SUCCEEDED").first()
                        if payment is None:
                            continue
                        disputes.record_dispute(
                            payment_id=payment.pk,
                            dispute_id=f"dp_{order.purchase_id}",
                            amount=int(order.purchase.total_amount) // 2 + 1,
                            currency="VND",
                            reason="fraudulent",
                            status={"open": "needs_response"}.get(args[1], args[1]),
                            closed=args[1] != "open",
                        )
            except Exception as exc:  # refused by the rules (nothing written): fine
                from shop.core.errors import PermissionDenied, ServiceError

                assert isinstance(exc, ServiceError | PermissionDenied), exc
        assert stored() == rollups.recompute()
        for designer in designers:
            assert net(designer) == earnings(designer)
        transaction.set_rollback(True)
