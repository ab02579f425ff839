"""Abandoned anonymous checkouts are deleted after CHECKOUT_RETENTION_DAYS, with the email and
address they hold (shop.checkout.cart.purge_abandoned_checkouts, a daily Celery beat task)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from shop.checkout import cart as checkout_cart
from shop.checkout.models import Checkout, CheckoutLine, CheckoutShippingChoice
from shop.checkout.tasks import purge_abandoned_checkouts
from tests.commerce import Buyer
from tests.factories import make_product, make_seller, make_user, make_variant
from tests.support import wait_for


@pytest.fixture
def shop(db):
    linh, ship = make_seller("Linh")
    scarf = make_variant(product=make_product(designer=linh, name="Khăn lụa"), price=150000, stock=50)
    return type("Shop", (), dict(linh=linh, ship=ship, scarf=scarf))


def _checkout(gql, shop, *, user=None, complete=False, days_idle=0) -> Checkout:
    buyer = Buyer(gql, user=user)
    token = buyer.ready([(shop.scarf, 1)], [shop.ship])
    if complete:
        assert buyer.complete(token)["errors"] == []
    checkout = Checkout.objects.get(token=token)
    Checkout.objects.filter(pk=checkout.pk).update(updated_at=timezone.now() - timedelta(days=days_idle))
    return checkout


def test_old_anonymous_carts_go_and_everything_else_stays(gql, shop, settings):
    settings.CHECKOUT_RETENTION_DAYS = 30
    abandoned = [_checkout(gql, shop, days_idle=31) for _ in range(3)]
    recent = _checkout(gql, shop, days_idle=29)
    signed_in = _checkout(gql, shop, user=make_user(), days_idle=90)
    completed = _checkout(gql, shop, complete=True, days_idle=90)
    assert CheckoutShippingChoice.objects.filter(checkout__in=abandoned).count() == 3

    assert checkout_cart.purge_abandoned_checkouts(batch_size=2) == 3  # two batches
    assert not Checkout.objects.filter(pk__in=[c.pk for c in abandoned]).exists()
    assert not CheckoutLine.objects.filter(checkout_id__in=[c.pk for c in abandoned]).exists()
    assert not CheckoutShippingChoice.objects.filter(checkout_id__in=[c.pk for c in abandoned]).exists()
    assert set(Checkout.objects.values_list("pk", flat=True)) == {recent.pk, signed_in.pk, completed.pk}
    assert completed.purchase.status == "PAID"  # the purchase keeps its checkout
    # Again: nothing more to delete.
    assert checkout_cart.purge_abandoned_checkouts() == 0


def test_the_retention_comes_from_the_setting(gql, shop, settings):
    cart = _checkout(gql, shop, days_idle=8)
    settings.CHECKOUT_RETENTION_DAYS = 10
    assert checkout_cart.purge_abandoned_checkouts() == 0
    settings.CHECKOUT_RETENTION_DAYS = 7
    assert checkout_cart.purge_abandoned_checkouts() == 1 and not Checkout.objects.filter(pk=cart.pk).exists()


def test_a_buyer_coming_back_to_a_purged_cart_gets_not_found(gql, shop):
    cart = _checkout(gql, shop, days_idle=40)
    checkout_cart.purge_abandoned_checkouts()
    answer = gql("query($token: UUID!) { checkout(token: $token) { token } }", {"token": str(cart.token)})
    assert answer["data"]["checkout"] is None
    completed = gql(
        'mutation($token: UUID!) { checkoutComplete(token: $token, input: {gateway: "dummy"}) { errors { code } } }',
        {"token": str(cart.token)},
    )["data"]["checkoutComplete"]
    assert completed["errors"] == [{"code": "NOT_FOUND"}]


def test_the_periodic_task_is_scheduled():
    from shop.celery import app

    schedule = django_settings.CELERY_BEAT_SCHEDULE["purge-abandoned-checkouts"]
    assert schedule["task"] == purge_abandoned_checkouts.name and schedule["task"] in app.tasks
    assert schedule["schedule"] == 86400.0


@pytest.mark.worker
def test_a_real_worker_purges_abandoned_carts(celery_worker, shop):
    from tests.support import GraphQLClient

    cart = _checkout(GraphQLClient(), shop, days_idle=45)
    kept = _checkout(GraphQLClient(), shop, days_idle=1)
    purge_abandoned_checkouts.delay()
    wait_for(lambda: not Checkout.objects.filter(pk=cart.pk).exists())
    assert Checkout.objects.filter(pk=kept.pk).exists()
