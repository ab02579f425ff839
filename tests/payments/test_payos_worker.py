"""payOS end to end with real processes' parts: the app served over HTTP (a live server thread),
the stand-in posting signed webhooks to it over HTTP, a real Celery worker on Redis processing them
and running the payout tasks."""

import pytest

from payments.models import BankPayout, LedgerEntry, Payment, PayosEvent
from payments.tasks import run_payouts
from shop.orders.models import Purchase
from tests.factories import make_designer, make_purchase, start_payment
from tests.payments.payos_helpers import with_account
from tests.support import wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def payos_live(live_server, payos_on):
    from django.core.management import call_command

    call_command("payos_confirm_webhook", f"{live_server.url}/webhooks/payos/")
    payos_on.deliveries.clear()
    return payos_on


def test_a_vietqr_payment_reported_twice_is_applied_once_by_the_worker(celery_worker, payos_live):
    designer = make_designer(display_name="Hà")
    purchase = make_purchase((designer, [(150000, 2)]), gateway="payos")
    payment = start_payment(purchase)
    assert Payment.objects.get().status == "PENDING"

    payos_live.webhook_mode = "duplicate"
    payos_live.pay(int(payment.psp_reference))
    assert [d.status for d in payos_live.deliveries] == [200, 200]
    wait_for(lambda: Purchase.objects.get().status == "PAID", timeout=30)
    wait_for(lambda: PayosEvent.objects.filter(status="PROCESSED").count() == 1, timeout=30)
    assert PayosEvent.objects.count() == 1
    assert Payment.objects.get().status == "SUCCEEDED"
    assert sorted(LedgerEntry.objects.values_list("kind", "amount")) == [("COMMISSION", -45000), ("SALE", 300000)]


def _idle(standin) -> bool:
    """No payout call for a moment: the worker has done what both runs queued."""
    import time

    before = len(standin.calls)
    time.sleep(0.5)
    return len(standin.calls) == before


def test_the_payout_run_queued_twice_on_the_worker_pays_each_designer_once(celery_worker, payos_on):
    ha = make_designer(display_name="Hà")
    minh = make_designer(display_name="Minh")
    for designer, number in ((ha, "0123456789"), (minh, "9988776655")):
        with_account(designer, number)
        start_payment(make_purchase((designer, [(200000, 1)]), gateway="dummy"))
    run_payouts.delay(run="2026-W49")
    run_payouts.delay(run="2026-W49")  # a second beat, a redelivery: the same run
    wait_for(lambda: BankPayout.objects.filter(status="PROCESSING").count() == 2, timeout=30)
    wait_for(lambda: _idle(payos_on), timeout=30)
    assert len(payos_on.payouts) == 2
    assert sorted(p["transactions"][0]["toAccountNumber"] for p in payos_on.payouts.values()) == [
        "0123456789",
        "9988776655",
    ]
    assert LedgerEntry.objects.filter(kind="PAYOUT").count() == 2
