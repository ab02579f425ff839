"""Deterministic races: a competitor forced between each step of checkout completion (read, lock,
order creation, stock decrement, payment record, commit, the provider's answer), through the named
points of ``shop.core.failpoints``. The competitor runs in its own thread and database connection
until it is done or waits for a lock of ours (seen in ``pg_stat_activity``); then the first
completion goes on. No oversold unit, no deadlock, never two purchases for one checkout.

And the lock-taking paths (completion, cancellation, expiry, payment, refund with restock)
crosswise on the same rows: every one locks checkout, purchase, orders, variants (by id), in this
order, so PostgreSQL never has to break a deadlock."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from payments import refunds
from payments.models import Payment
from shop.catalog.models import ProductVariant
from shop.checkout import completion as checkout_completion
from shop.core import failpoints
from shop.core.errors import ServiceError
from shop.orders import expiry as order_expiry
from shop.orders import lifecycle as order_lifecycle
from shop.orders import payment as order_payment
from shop.orders.models import Order, OrderLine, Purchase
from tests.checkout.test_concurrency import ready_checkout
from tests.checkout.test_no_lock_while_paying import InThread
from tests.factories import make_product, make_seller, make_user, make_variant
from tests.gateways import TEST_GATEWAYS
from tests.support import run_together

STEPS = [
    "checkout.complete.read",
    "checkout.complete.locked",
    "orders.place.created",
    "orders.place.stock_taken",
    "checkout.complete.payment_recorded",
    "checkout.complete.committed",
    "checkout.complete.answered",
]
# Before the variants are locked a competitor goes through; while they are locked (inside the first
# transaction) it waits for them; once committed, it finds the stock taken at once (no lock is held
# while the provider answers).
COMPETITOR_WINS_AT = {"checkout.complete.read"}
INSIDE_THE_FIRST_TRANSACTION = STEPS[:5]


def monitor() -> psycopg.Connection:
    """A connection of its own (outside Django's) to watch the other sessions."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


def waiting_for_a_lock(watch: psycopg.Connection) -> int:
    return watch.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()[0]


def complete(token):
    try:
        return checkout_completion.complete_checkout(token=token, user=None, gateway_id="dummy")
    except ServiceError as exc:
        return exc


def force_between(step: str, competitor, watch) -> dict:
    """Register a handler on ``step`` that, the first time the main thread reaches it, runs
    ``competitor()`` in another thread until it finishes or waits for a lock. Returns what
    happened (filled in as it happens)."""
    seen: dict = {}
    main = threading.get_ident()

    def between():
        if threading.get_ident() != main or "competitor" in seen:
            return
        seen["competitor"] = InThread(competitor)
        deadline = time.monotonic() + 30  # a bound for a hang, not a timing assertion
        while time.monotonic() < deadline:
            if seen["competitor"].done.is_set():
                seen["blocked"] = False
                return
            if waiting_for_a_lock(watch):
                seen["blocked"] = True
                return
            time.sleep(0.01)
        raise AssertionError(f"the competitor at {step} neither finished nor waited for a lock")

    seen["handler"] = failpoints.handler(step, between)
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", STEPS)
def test_another_buyer_between_each_step_never_oversells(step):
    designer, method = make_seller("Hà")
    poster = make_variant(product=make_product(designer=designer, name="Poster risograph"), stock=1, price=250000)
    other = make_variant(product=make_product(designer=designer, name="Sổ tay"), stock=9, price=50000)
    mine = ready_checkout([(other, 1), (poster, 1)], [method], email="me@example.com")
    theirs = ready_checkout([(poster, 1), (other, 2)], [method], email="them@example.com")
    connection.close()
    with monitor() as watch:
        seen = force_between(step, lambda: complete(theirs), watch)
        with seen["handler"]:
            result = complete(mine)
        competitor = seen["competitor"]
        assert competitor.done.wait(timeout=30), f"the competitor hung at {step}"
    assert seen["blocked"] == (step in INSIDE_THE_FIRST_TRANSACTION and step not in COMPETITOR_WINS_AT)
    winner, loser = (competitor.result, result) if step in COMPETITOR_WINS_AT else (result, competitor.result)
    assert isinstance(winner, checkout_completion.Completion) and winner.purchase.status == "PAID", winner
    assert isinstance(loser, ServiceError) and [e.code for e in loser.errors] == ["INSUFFICIENT_STOCK"], loser
    assert ProductVariant.objects.get(pk=poster.pk).stock_quantity == 0
    assert ProductVariant.objects.get(pk=other.pk).stock_quantity == 9 - (2 if step in COMPETITOR_WINS_AT else 1)
    assert sum(OrderLine.objects.filter(variant=poster).values_list("quantity", flat=True)) == 1
    assert Purchase.objects.count() == Order.objects.count() == Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", STEPS)
def test_the_same_checkout_submitted_again_between_each_step_is_paid_once(step):
    designer, method = make_seller("Linh")
    scarf = make_variant(product=make_product(designer=designer, name="Khăn lụa"), stock=3, price=150000)
    token = ready_checkout([(scarf, 2)], [method], email="me@example.com")
    connection.close()
    with monitor() as watch:
        seen = force_between(step, lambda: complete(token), watch)
        with seen["handler"]:
            result = complete(token)
        competitor = seen["competitor"]
        assert competitor.done.wait(timeout=30), f"the second submission hung at {step}"
    # inside the first transaction the second submission waits for the checkout's lock; after
    # it, it finds the purchase
    assert seen["blocked"] == (step in INSIDE_THE_FIRST_TRANSACTION)
    assert isinstance(result, checkout_completion.Completion) and result.created and result.purchase.status == "PAID"
    again = competitor.result
    assert isinstance(again, checkout_completion.Completion), again
    assert (again.purchase.pk, again.created) == (result.purchase.pk, False)
    assert Purchase.objects.count() == Order.objects.count() == Payment.objects.count() == 1
    assert ProductVariant.objects.get(pk=scarf.pk).stock_quantity == 1
    assert Purchase.objects.get().status == "PAID"


@pytest.mark.django_db(transaction=True)
def test_the_lock_taking_paths_crosswise_never_deadlock(settings):
    """Every round, at the same instant, on two variants listed in opposite orders: two
    completions, a buyer cancelling an unpaid order, the expiry, a payment confirmed, and a refund
    putting both variants back in stock. PostgreSQL raises "deadlock detected" when two of them
    wait for each other: none does, and the stock adds up. (Row locks that also join other tables
    lock only their own rows, ``of=("self",)``: a refund once locked the designer's row with the
    order, and a completion's deferred foreign-key check on that designer at COMMIT closed a cycle.)"""
    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    designer, method = make_seller("Mai")
    a = make_variant(product=make_product(designer=designer, name="A"), stock=1000, price=10000)
    b = make_variant(product=make_product(designer=designer, name="B"), stock=1000, price=10000)
    staff = make_user(staff=True)
    for _round in range(6):
        paths = _one_round(a, b, method, staff)
        connection.close()
        results = run_together(len(paths), lambda i, paths=paths: paths[i]())
        failures = [r for r in results if isinstance(r, BaseException)]
        assert not failures, [(i, r) for i, r in enumerate(results) if isinstance(r, BaseException)]
    # the stock adds up: what was taken minus what came back
    for variant in (a, b):
        taken = sum(
            OrderLine.objects.filter(variant=variant)
            .exclude(order__status="CANCELLED")
            .values_list("quantity", flat=True)
        )
        back = sum(OrderLine.objects.filter(variant=variant).values_list("refunded_quantity", flat=True))
        assert ProductVariant.objects.get(pk=variant.pk).stock_quantity == 1000 - taken + back


def _one_round(a, b, method, staff) -> list:
    """The set-up of a round (a paid purchase to refund, unpaid ones to cancel, expire and pay,
    two checkouts to complete) and its paths."""
    paid = checkout_completion.complete_checkout(
        token=ready_checkout([(b, 1), (a, 1)], [method], "p@example.com"), user=None, gateway_id="dummy"
    ).purchase
    unpaid = [
        checkout_completion.complete_checkout(
            token=ready_checkout([(a, 1), (b, 1)], [method], f"u{i}@example.com"), user=None, gateway_id="pending"
        ).purchase
        for i in range(3)
    ]
    Purchase.objects.filter(pk=unpaid[1].pk).update(expires_at=unpaid[1].created_at)
    paid_order = Order.objects.get(purchase_id=paid.pk)
    lines = [{"line_id": line.pk, "quantity": 1} for line in paid_order.lines.order_by("-variant_id")]
    buyers = [ready_checkout([(b, 2), (a, 1)], [method], "x@example.com") for _ in range(2)]
    cancelled = Order.objects.get(purchase_id=unpaid[0].pk).pk
    payment = Payment.objects.get(purchase_id=unpaid[2].pk).pk
    return [
        lambda: checkout_completion.complete_checkout(token=buyers[0], user=None, gateway_id="dummy"),
        lambda: checkout_completion.complete_checkout(token=buyers[1], user=None, gateway_id="dummy"),
        lambda: order_lifecycle.cancel_order(order_id=cancelled, actor=staff),
        lambda: order_expiry.expire_purchase(purchase_id=unpaid[1].pk),
        lambda: order_payment.mark_purchase_paid(purchase_id=unpaid[2].pk, payment_id=payment),
        lambda: refunds.refund_order(actor=staff, order_id=paid_order.pk, lines=lines, restock=True, reason="Đổi ý"),
    ]
