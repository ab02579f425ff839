"""The ledger: integers, idempotent entries, cumulative commission rounding, the designer's view
(filters, pages, nodes) and who may see it."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from payments import ledger
from payments.models import LedgerEntry, Refund
from shop.core.money import format_money
from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.payments.helpers import order_gid
from tests.support import load_operation

MONEY = load_operation("designer/MyDesignerMoney.graphql")
REFUND = load_operation("staff/OrderRefund.graphql")
NODE = "query($id: ID!) { node(id: $id) { id ... on LedgerEntry { kind amount { amount } } ... on Refund { amount { amount } } } }"


@pytest.fixture
def sold(db, run_on_commit):
    """Three dummy-paid orders of one designer, one partly refunded."""
    designer = make_designer()
    orders = []
    for price in (100000, 200000, 300000):
        purchase = make_purchase((designer, [(price, 1)]), gateway="dummy", user=make_user())
        with run_on_commit():
            start_payment(purchase)
        orders.append(purchase.orders.get())
    return designer, orders


def test_entries_are_written_once_per_reference(sold):
    designer, [order, *_] = sold
    count = LedgerEntry.objects.count()
    again = ledger.record(
        designer_id=designer.pk,
        order_id=order.pk,
        kind="SALE",
        amount=999,
        currency="VND",
        reference=f"sale:order-{order.pk}",
    )
    assert again.amount == 100000 and LedgerEntry.objects.count() == count
    assert ledger.record(designer_id=designer.pk, kind="SALE", amount=0, currency="VND", reference="zero") is None
    with pytest.raises(TypeError):
        ledger.record(designer_id=designer.pk, kind="SALE", amount=Decimal("1.5"), currency="VND", reference="float")


def test_commission_given_back_adds_up_exactly_over_many_small_refunds(gql, db, run_on_commit):
    designer = make_designer(commission_rate=Decimal("0.1337"))
    purchase = make_purchase((designer, [(99999, 1)]), gateway="dummy")
    with run_on_commit():
        start_payment(purchase)
    order = purchase.orders.get()
    staff = make_user(staff=True)
    for amount in ("33333", "33333", "33333"):
        with run_on_commit():
            assert (
                gql(REFUND, {"id": order_gid(order), "input": {"amount": amount}}, user=staff)["data"]["orderRefund"][
                    "errors"
                ]
                == []
            )
    sums = ledger.sums_by_kind(order_id=order.pk)
    assert sums["COMMISSION"] == -13370 and sums["COMMISSION_REFUND"] == 13370
    assert ledger.order_owed(order.pk) == 0


def test_keep_policy_leaves_the_commission_with_the_platform(gql, db, run_on_commit, settings):
    settings.REFUND_COMMISSION_POLICY = "keep"
    designer = make_designer()
    purchase = make_purchase((designer, [(100000, 1)]), gateway="dummy")
    with run_on_commit():
        start_payment(purchase)
    order = purchase.orders.get()
    with run_on_commit():
        gql(REFUND, {"id": order_gid(order), "input": {"amount": "100000"}}, user=make_user(staff=True))
    assert ledger.order_owed(order.pk) == -15000  # the designer owes the commission


def test_allocation_is_exact_and_capped():
    assert ledger.allocate(100000, {1: 330000, 2: 230000}) == {1: 58929, 2: 41071}
    assert ledger.allocate(10, {1: 3, 2: 3}) == {1: 3, 2: 3}
    assert sum(ledger.allocate(7, {1: 1, 2: 1, 3: 1, 4: 5}).values()) == 7
    assert ledger.allocate(5, {}) == {}


def test_amounts_display_per_language():
    assert format_money(Decimal(150000), "VND", "vi") == "150.000 ₫"
    assert format_money(Decimal(150000), "VND", "en") == "150,000 VND"
    assert format_money(Decimal("1234.5"), "USD", "vi") == "1.234,50 USD"
    assert format_money(Decimal("-12.5"), "USD", "en") == "-12.50 USD"


def test_my_ledger_pages_and_filters(gql, sold, run_on_commit, django_assert_max_num_queries):
    designer, orders = sold
    with run_on_commit():
        gql(REFUND, {"id": order_gid(orders[2]), "input": {"amount": "50000"}}, user=designer.user)
    with django_assert_max_num_queries(8):
        first = gql(MONEY, {"first": 3}, user=designer.user)["data"]["myDesigner"]
    page = first["ledger"]
    assert page["totalCount"] == 8 and page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["kind"] for e in page["edges"]] == ["COMMISSION_REFUND", "REFUND", "COMMISSION"]
    rest = gql(MONEY, {"first": 10, "after": page["pageInfo"]["endCursor"]}, user=designer.user)["data"]["myDesigner"][
        "ledger"
    ]
    assert len(rest["edges"]) == 5 and rest["pageInfo"]["hasNextPage"] is False
    assert first["balance"]["pending"]["amount"] == str(600000 - 90000 - 50000 + 7500)

    refunds = gql(MONEY, {"filter": {"kinds": ["REFUND", "COMMISSION_REFUND"]}}, user=designer.user)["data"][
        "myDesigner"
    ]["ledger"]
    assert [(e["node"]["kind"], e["node"]["amount"]["amount"]) for e in refunds["edges"]] == [
        ("COMMISSION_REFUND", "7500"),
        ("REFUND", "-50000"),
    ]
    one_order = gql(MONEY, {"filter": {"order": order_gid(orders[0])}}, user=designer.user)["data"]["myDesigner"][
        "ledger"
    ]
    assert {e["node"]["orderNumber"] for e in one_order["edges"]} == {orders[0].number} and one_order["totalCount"] == 2
    usd = gql(MONEY, {"filter": {"currency": "usd"}, "currency": "USD"}, user=designer.user)["data"]["myDesigner"]
    assert usd["ledger"]["totalCount"] == 0 and usd["balance"]["pending"] == {"amount": "0.00", "currency": "USD"}


def test_the_ledger_query_does_not_grow_with_the_page(gql, sold):
    designer, _orders = sold
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for first in (2, 6):
        with CaptureQueriesContext(connection) as ctx:
            gql(MONEY, {"first": first}, user=designer.user)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_nodes_are_visible_to_their_designer_and_staff_only(gql, sold, run_on_commit):
    designer, orders = sold
    entry = LedgerEntry.objects.filter(designer=designer).first()
    entry_id = to_global_id("LedgerEntry", entry.pk)
    assert gql(NODE, {"id": entry_id}, user=designer.user)["data"]["node"]["kind"] == entry.kind
    assert gql(NODE, {"id": entry_id}, user=make_user(staff=True))["data"]["node"]["id"] == entry_id
    for viewer in (None, make_user(), make_designer().user):
        assert gql(NODE, {"id": entry_id}, user=viewer)["data"]["node"] is None

    with run_on_commit():
        gql(REFUND, {"id": order_gid(orders[0]), "input": {"amount": "1000"}}, user=designer.user)
    refund_id = to_global_id("Refund", Refund.objects.get().pk)
    buyer = orders[0].purchase.user
    assert gql(NODE, {"id": refund_id}, user=buyer)["data"]["node"]["amount"]["amount"] == "1000"
    assert gql(NODE, {"id": refund_id}, user=orders[1].purchase.user)["data"]["node"] is None
