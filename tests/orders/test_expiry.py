"""Unpaid purchases expire: orders CANCELLED, stock back; idempotent; a payment that in fact went
through is honoured instead."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from shop.catalog.models import ProductVariant
from shop.orders import expiry as order_expiry
from shop.orders import lifecycle as order_lifecycle
from shop.orders.models import Order, OrderEvent, Purchase
from shop.orders.tasks import expire_unpaid_purchases
from tests.gateways import PendingGateway
from tests.support import wait_for


def stock(variant):
    return ProductVariant.objects.get(pk=variant.pk).stock_quantity


def age(purchase, minutes):
    Purchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() - timedelta(minutes=minutes))


def test_expiry_time_comes_from_the_setting(market, settings):
    settings.PURCHASE_EXPIRY_MINUTES = 45
    purchase = market.purchase(gateway="pending")
    assert timedelta(minutes=44) < purchase.expires_at - purchase.created_at <= timedelta(minutes=45)


def test_an_expired_purchase_is_cancelled_and_its_stock_returned_once(market, db_unchanged):
    purchase = market.purchase(gateway="pending")
    fresh = market.purchase(gateway="pending")
    paid = market.purchase()
    assert (stock(market.scarf), stock(market.bowl)) == (4, 7)
    age(purchase, 1)
    Purchase.objects.filter(pk=paid.pk).update(expires_at=timezone.now() - timedelta(minutes=5))

    assert order_expiry.expire_unpaid_purchases() == 1
    purchase.refresh_from_db()
    assert purchase.status == "CANCELLED" and purchase.cancelled_at is not None
    assert set(Order.objects.filter(purchase=purchase).values_list("status", flat=True)) == {"CANCELLED"}
    assert list(
        OrderEvent.objects.filter(order__purchase=purchase, type="EXPIRED").values_list("actor", flat=True)
    ) == [None, None]
    assert (stock(market.scarf), stock(market.bowl)) == (6, 8)
    # the fresh purchase and the paid one are untouched
    assert Purchase.objects.get(pk=fresh.pk).status == "UNPAID" and Purchase.objects.get(pk=paid.pk).status == "PAID"
    # running again changes nothing
    with db_unchanged():
        assert order_expiry.expire_unpaid_purchases() == 0
        assert expire_unpaid_purchases.apply().get() == 0


def test_a_partly_cancelled_purchase_expires_cleanly(market):
    purchase = market.purchase(gateway="pending")
    order_lifecycle.cancel_order(order_id=market.order_of(purchase, market.linh).pk, actor=market.buyer_user)
    assert stock(market.scarf) == 10
    age(purchase, 1)
    assert order_expiry.expire_unpaid_purchases() == 1
    assert stock(market.scarf) == 10 and stock(market.bowl) == 10  # nothing returned twice
    assert Purchase.objects.get().status == "CANCELLED"


def test_a_payment_that_went_through_is_honoured_instead_of_expired(market, settings):
    purchase = market.purchase(gateway="pending")
    payment = purchase.payments.get()
    PendingGateway.settled = {payment.psp_reference: "SUCCEEDED"}
    try:
        age(purchase, 1)
        assert order_expiry.expire_unpaid_purchases() == 0
    finally:
        PendingGateway.settled = {}
    purchase.refresh_from_db()
    assert purchase.status == "PAID" and stock(market.scarf) == 8


def test_when_the_gateway_cannot_tell_the_purchase_waits_for_the_next_run(market):
    purchase = market.purchase(gateway="pending")
    age(purchase, 1)
    PendingGateway.unreachable = True
    try:
        assert order_expiry.expire_unpaid_purchases() == 0
        assert Purchase.objects.get().status == "UNPAID"
    finally:
        PendingGateway.unreachable = False
    assert order_expiry.expire_unpaid_purchases() == 1


def test_the_periodic_task_is_scheduled():
    from shop.celery import app

    schedule = django_settings.CELERY_BEAT_SCHEDULE["expire-unpaid-purchases"]
    assert schedule["task"] == expire_unpaid_purchases.name and schedule["task"] in app.tasks
    assert schedule["schedule"] > 0


@pytest.mark.worker
def test_a_real_worker_expires_purchases(celery_worker, settings, digital_variant_factory):
    from tests.factories import Market
    from tests.gateways import TEST_GATEWAYS
    from tests.support import GraphQLClient

    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    market = Market(GraphQLClient(), digital_variant_factory)
    purchase = market.purchase(gateway="pending")
    age(purchase, 1)
    expire_unpaid_purchases.delay()
    wait_for(lambda: Purchase.objects.filter(pk=purchase.pk, status="CANCELLED").exists())
    assert (stock(market.scarf), stock(market.bowl)) == (10, 10)
    assert OrderEvent.objects.filter(type="EXPIRED").count() == 2
