"""No lock is held while the payment provider answers: checkout completion takes the stock and
records the purchase in one short transaction, asks the gateway outside any transaction, and
applies the answer in a second one. A slow provider delays only its own buyer; a process that dies
in between leaves a purchase that the expiry task repairs. Real PostgreSQL, real threads and a
real process killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from payments.gateways.base import PaymentStatus
from payments.models import LedgerEntry, Payment
from shop.catalog.models import ProductVariant
from shop.checkout import completion as checkout_completion
from shop.checkout.models import Checkout
from shop.orders import expiry as order_expiry
from shop.orders.models import Order, Purchase
from tests.checkout.test_concurrency import ready_checkout
from tests.commerce import Buyer
from tests.factories import make_product, make_seller, make_variant
from tests.gateways import SLOW_GATEWAYS, DyingGateway, ProcessKilled, SlowGateway
from tests.support import GraphQLClient, wait_for


def stock(variant) -> int:
    return ProductVariant.objects.get(pk=variant.pk).stock_quantity


def idle_in_transaction() -> int:
    """Sessions of this database holding a transaction open while doing nothing (a lock holder
    waiting on something outside the database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class InThread:
    """``work()`` in a thread of its own (own database connection), its result or exception kept."""

    def __init__(self, work):
        self.result = None
        self.done = threading.Event()

        def run():
            try:
                self.result = work()
            except BaseException as exc:  # reported to the test
                self.result = exc
            finally:
                connection.close()
                self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()


@pytest.fixture
def slow(settings):
    settings.PAYMENT_GATEWAYS = SLOW_GATEWAYS
    SlowGateway.reset()
    yield SlowGateway
    SlowGateway.release.set()  # never leave a thread waiting


@pytest.mark.django_db(transaction=True)
def test_another_buyer_of_the_same_product_completes_while_the_provider_keeps_the_first_waiting(slow):
    designer, method = make_seller("Hà")
    poster = make_variant(product=make_product(designer=designer, name="Poster risograph"), stock=2, price=250000)
    first = ready_checkout([(poster, 1)], [method], email="first@example.com")
    second = ready_checkout([(poster, 1)], [method], email="second@example.com")
    connection.close()

    waiting = InThread(lambda: Buyer(GraphQLClient()).complete(first, gateway="slow"))
    assert slow.entered.wait(timeout=30), "the first buyer never reached the provider"
    # The provider holds the first buyer now. Its stock is taken and its purchase recorded, and no
    # transaction is open: the first buyer's request is outside the database.
    assert slow.in_transaction == [False]
    assert stock(poster) == 1 and Purchase.objects.filter(email="first@example.com", status="UNPAID").exists()
    assert idle_in_transaction() == 0
    connection.close()

    started = time.monotonic()
    other = InThread(lambda: Buyer(GraphQLClient()).complete(second))
    finished = other.done.wait(timeout=30)  # a bound for a hang, not a timing assertion
    print(f"second buyer completed in {time.monotonic() - started:.3f} s while the first waited")  # measured
    first_still_waiting = not waiting.done.is_set()
    slow.release.set()
    assert finished, "the second buyer waited for the first buyer's provider"
    assert first_still_waiting
    assert not isinstance(other.result, BaseException), other.result
    assert other.result["errors"] == [] and other.result["purchase"]["status"] == "PAID"

    assert waiting.done.wait(timeout=30)
    assert not isinstance(waiting.result, BaseException), waiting.result
    assert waiting.result["errors"] == [] and waiting.result["purchase"]["status"] == "PAID"
    assert stock(poster) == 0
    assert Purchase.objects.filter(status="PAID").count() == 2
    assert set(Payment.objects.values_list("status", flat=True)) == {"SUCCEEDED"}


@pytest.mark.django_db(transaction=True)
def test_a_slow_decline_returns_the_stock_it_held_and_leaves_nothing(slow):
    slow.reset(answer=PaymentStatus.FAILED)
    designer, method = make_seller("Minh")
    bowl = make_variant(product=make_product(designer=designer, name="Bát gốm"), stock=1, price=60000)
    first = ready_checkout([(bowl, 1)], [method], email="first@example.com")
    second = ready_checkout([(bowl, 1)], [method], email="second@example.com")
    connection.close()

    waiting = InThread(lambda: Buyer(GraphQLClient()).complete(first, gateway="slow"))
    assert slow.entered.wait(timeout=30)
    # the last unit is held for the first buyer: the second is refused at once, not kept waiting
    refused = Buyer(GraphQLClient()).complete(second)
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_STOCK"]
    assert not waiting.done.is_set()
    connection.close()
    slow.release.set()
    assert waiting.done.wait(timeout=30)
    assert [e["code"] for e in waiting.result["errors"]] == ["PAYMENT_DECLINED"]
    # declined: the unit is back, nothing of the attempt is left, both checkouts are open
    assert stock(bowl) == 1
    assert not Purchase.objects.exists() and not Order.objects.exists() and not Payment.objects.exists()
    assert not Checkout.objects.filter(completed_at__isnull=False).exists()
    retried = Buyer(GraphQLClient()).complete(second)
    assert retried["errors"] == [] and retried["purchase"]["status"] == "PAID" and stock(bowl) == 0


def assert_repaired_by_expiry(purchase: Purchase, variant, stock_before: int) -> None:
    """The state a death between the steps leaves, then the expiry task's repair: nothing is
    half-written at any point."""
    assert purchase.status == "UNPAID"
    assert stock(variant) == stock_before - 1  # held by the purchase, not lost
    payment = Payment.objects.get(purchase=purchase)
    assert (payment.status, payment.psp_reference, payment.idempotency_key) == (
        "PENDING",
        "",
        f"purchase-{purchase.pk}",
    )
    assert list(purchase.orders.values_list("status", flat=True)) == ["UNPAID"]
    assert not LedgerEntry.objects.exists()
    # too early: the expiry leaves it alone
    assert order_expiry.expire_unpaid_purchases() == 0
    assert order_expiry.expire_unpaid_purchases(now=purchase.expires_at + timedelta(seconds=1)) == 1
    purchase.refresh_from_db()
    assert purchase.status == "CANCELLED"
    assert list(purchase.orders.values_list("status", flat=True)) == ["CANCELLED"]
    assert list(purchase.orders.get().events.values_list("type", flat=True).order_by("pk")) == ["PLACED", "EXPIRED"]
    assert Payment.objects.get(purchase=purchase).status == "CANCELLED"
    assert stock(variant) == stock_before
    assert not LedgerEntry.objects.exists()
    # running the repair again changes nothing
    assert order_expiry.expire_unpaid_purchases(now=purchase.expires_at + timedelta(seconds=2)) == 0


@pytest.mark.django_db(transaction=True)
def test_dying_while_the_provider_is_asked_leaves_a_purchase_the_expiry_repairs(settings):
    settings.PAYMENT_GATEWAYS = SLOW_GATEWAYS
    designer, method = make_seller("Linh")
    scarf = make_variant(product=make_product(designer=designer, name="Khăn lụa"), stock=3, price=150000)
    token = ready_checkout([(scarf, 1)], [method], email="an@example.com")
    with pytest.raises(ProcessKilled):
        checkout_completion.complete_checkout(token=token, user=None, gateway_id=DyingGateway.id)
    purchase = Purchase.objects.get()
    # completing the checkout again (the buyer's retry) returns that purchase: never a second one
    again = checkout_completion.complete_checkout(token=token, user=None, gateway_id="dummy")
    assert (again.purchase.pk, again.created) == (purchase.pk, False) and Purchase.objects.count() == 1
    assert_repaired_by_expiry(purchase, scarf, stock_before=3)


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_while_the_provider_is_asked_leaves_a_purchase_the_expiry_repairs():
    """A real process (manage.py's settings, the test database) completes a checkout with a
    provider that never answers, and is killed with SIGKILL while it waits."""
    designer, method = make_seller("Mai")
    lamp = make_variant(product=make_product(designer=designer, name="Đèn mây tre"), stock=4, price=450000)
    token = ready_checkout([(lamp, 1)], [method], email="an@example.com")
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    credentials = f"{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}"
    if host.startswith("/"):  # a socket directory (the embedded PostgreSQL): as a query parameter
        url = f"postgres://{credentials}@/{db['NAME']}?host={quote(host)}&port={port}"
    else:
        url = f"postgres://{credentials}@{host}:{port}/{db['NAME']}"
    script = (
        "import sys, django; django.setup()\n"
        "from shop.checkout import completion\n"
        "completion.complete_checkout(token=sys.argv[1], user=None, gateway_id='hanging')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DATABASE_URL": url,
        "TESTING": "true",
        "PAYMENT_GATEWAYS": ",".join(SLOW_GATEWAYS),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", script, token], cwd=Path(django_settings.BASE_DIR), env=env, stderr=subprocess.PIPE
    )
    try:
        # the child has committed step 1 and is waiting for the provider
        wait_for(lambda: Payment.objects.filter(purchase__checkout__token=token).exists(), timeout=60)
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        assert idle_in_transaction() == 0
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert_repaired_by_expiry(Purchase.objects.get(), lamp, stock_before=4)
