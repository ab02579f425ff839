"""Refunds call the provider outside any transaction: the refund is recorded PENDING first (its
amount reserved), the provider asked with no lock held, the answer applied in a second
transaction. A provider that does not answer, or a process that dies in between, leaves a PENDING
refund that ``resume_pending_refunds`` finishes with the same idempotency key: made exactly once."""

from __future__ import annotations

import pytest
from django.db import connection

from payments import refunds
from payments.models import LedgerEntry, Payment, Refund
from payments.tasks import resume_pending_refunds
from shop.core.errors import ServiceError
from shop.orders import lifecycle as order_lifecycle
from shop.orders.models import Order
from tests.checkout.test_no_lock_while_paying import InThread, idle_in_transaction
from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.gateways import SLOW_GATEWAYS, DyingGateway, ProcessKilled, SlowGateway


def paid_order(gateway: str) -> Order:
    """A paid order (dummy gateway) whose payment then belongs to ``gateway`` (the stand-in)."""
    designer = make_designer(display_name="Hà")
    purchase = make_purchase((designer, [(150000, 2)]), gateway="dummy")
    start_payment(purchase)
    Payment.objects.filter(purchase=purchase).update(gateway=gateway)
    return Order.objects.get(purchase=purchase, status="PAID")


@pytest.fixture
def stand_ins(settings):
    settings.PAYMENT_GATEWAYS = SLOW_GATEWAYS
    SlowGateway.reset()
    DyingGateway.refund_failures, DyingGateway.refunds = [], {}
    yield
    SlowGateway.release.set()


@pytest.mark.django_db(transaction=True)
def test_a_slow_refund_holds_no_lock_and_reserves_its_amount(stand_ins):
    order = paid_order("slow")
    staff = make_user(staff=True)
    connection.close()
    waiting = InThread(lambda: refunds.refund_order(actor=staff, order_id=order.pk, amount="200000"))
    assert SlowGateway.entered.wait(timeout=30)
    assert idle_in_transaction() == 0
    # the order is not locked: its designer ships it meanwhile
    fulfilled = order_lifecycle.fulfill_order(
        order_id=order.pk, actor=order.designer.user, carrier="GHN", tracking_number="GHN1"
    )
    assert fulfilled.status == "FULFILLED"
    # the refund being made counts: no second refund of the same money
    with pytest.raises(ServiceError) as refused:
        refunds.refund_order(actor=staff, order_id=order.pk, amount="200000")
    assert refused.value.errors[0].code == "AMOUNT_TOO_LARGE" and not waiting.done.is_set()
    assert Refund.objects.get().status == "PENDING" and Order.objects.get(pk=order.pk).refunded_amount == 0
    SlowGateway.release.set()
    assert waiting.done.wait(timeout=30)
    assert isinstance(waiting.result, Refund), waiting.result
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (200000, "PARTIALLY_REFUNDED")
    assert order.fulfilled_at is not None
    assert Refund.objects.get().status == "SUCCEEDED"
    assert LedgerEntry.objects.filter(kind="REFUND").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_process_dying_during_a_refund_leaves_it_pending_and_the_task_makes_it_once(stand_ins):
    order = paid_order("dying")
    staff = make_user(staff=True)
    DyingGateway.refund_failures = [ProcessKilled()]
    with pytest.raises(ProcessKilled):
        refunds.refund_order(actor=staff, order_id=order.pk, amount="300000")
    refund = Refund.objects.get()
    assert (refund.status, refund.idempotency_key) == ("PENDING", f"refund-order-{order.pk}-1")
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (0, "PAID")
    assert not LedgerEntry.objects.filter(kind="REFUND").exists()
    # too young: left to the request that may still be making it
    assert resume_pending_refunds.apply().result == 0
    assert refunds.resume_pending_refunds(older_than_seconds=0) == 1
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == "SUCCEEDED" and refund.psp_reference == f"dying_re_{refund.idempotency_key}"
    assert (order.refunded_amount, order.status) == (300000, "REFUNDED")
    assert DyingGateway.refunds == {refund.idempotency_key: 1}
    assert LedgerEntry.objects.filter(kind="REFUND").count() == 1
    assert refunds.resume_pending_refunds(older_than_seconds=0) == 0  # nothing left


@pytest.mark.django_db(transaction=True)
def test_a_provider_that_does_not_answer_leaves_the_refund_to_the_task(stand_ins, gql):
    from payments.gateways.base import GatewayError

    order = paid_order("dying")
    staff = make_user(staff=True)
    DyingGateway.refund_failures = [GatewayError("read timeout", retryable=True)] * 2
    with pytest.raises(ServiceError) as unanswered:
        refunds.refund_order(actor=staff, order_id=order.pk, amount="100000")
    assert unanswered.value.errors[0].code == "GATEWAY_ERROR"
    assert Refund.objects.get().status == "PENDING"
    assert refunds.resume_pending_refunds(older_than_seconds=0) == 0  # still no answer: kept
    assert refunds.resume_pending_refunds(older_than_seconds=0) == 1
    order.refresh_from_db()
    assert order.refunded_amount == 100000 and Refund.objects.get().status == "SUCCEEDED"
    assert sum(DyingGateway.refunds.values()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_refund_writes_nothing(stand_ins):
    from payments.gateways.base import GatewayError

    order = paid_order("dying")
    DyingGateway.refund_failures = [GatewayError("charge_disputed", retryable=False)]
    with pytest.raises(ServiceError) as refused:
        refunds.refund_order(actor=make_user(staff=True), order_id=order.pk, amount="100000")
    # a stable message for the client; the provider's own words go to the log only
    assert refused.value.errors[0].code == "GATEWAY_ERROR" and "charge_disputed" not in refused.value.errors[0].message
    assert not Refund.objects.exists() and Order.objects.get(pk=order.pk).refunded_amount == 0
