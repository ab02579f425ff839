"""POST /webhooks/stripe/: Stripe's signature on the raw body, each event stored once, processed by a
task; hostile deliveries are refused with 400 and write nothing."""

import json
import time

import pytest

from payments import webhooks
from payments.models import LedgerEntry, Payment, StripeEvent
from shop.orders.models import Order
from tests.factories import make_designer, make_purchase, start_payment
from tests.payments.helpers import ledger_of, post_webhook, sign


@pytest.fixture
def paid_intent(db, stripe_on):
    """A two-designer purchase whose PaymentIntent the buyer has just confirmed at Stripe."""
    ha, minh = make_designer(display_name="Hà"), make_designer(display_name="Minh")
    purchase = make_purchase((ha, [(150000, 2)]), (minh, [(200000, 1)]))
    payment = start_payment(purchase)
    intent, charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    return purchase, payment, intent, charge, (ha, minh)


def test_a_signed_payment_intent_succeeded_pays_both_orders(paid_intent, stripe_on, deliver):
    purchase, payment, intent, charge, (ha, minh) = paid_intent
    response = deliver(stripe_on.event("payment_intent.succeeded", intent))
    assert response.json() == {"received": True, "duplicate": False}
    payment.refresh_from_db()
    purchase.refresh_from_db()
    assert (payment.status, payment.charge_id) == ("SUCCEEDED", charge["id"])
    assert purchase.status == "PAID"
    assert set(Order.objects.filter(purchase=purchase).values_list("status", flat=True)) == {"PAID"}
    assert ledger_of(ha) == [("SALE", 300000), ("COMMISSION", -45000)]
    assert ledger_of(minh) == [("SALE", 200000), ("COMMISSION", -30000)]
    assert StripeEvent.objects.get().status == "PROCESSED"


def test_orders_stay_unpaid_until_stripe_says_so(paid_intent):
    purchase = paid_intent[0]
    assert set(Order.objects.filter(purchase=purchase).values_list("status", flat=True)) == {"UNPAID"}
    assert not LedgerEntry.objects.exists()


def _body(stripe_on, intent):
    return json.dumps(stripe_on.event("payment_intent.succeeded", intent))


@pytest.mark.parametrize(
    "signature",
    [
        None,  # unsigned
        "",
        "garbage",
        "t=notanumber,v1=abc",
        "v1=0123abcd",  # no timestamp
    ],
)
def test_unsigned_or_malformed_signatures_are_refused(paid_intent, stripe_on, db_unchanged, signature):
    with db_unchanged():
        response = post_webhook(_body(stripe_on, paid_intent[2]), signature)
    assert response.status_code == 400 and "error" in response.json()


def test_a_wrong_secret_is_refused(paid_intent, stripe_on, db_unchanged):
    body = _body(stripe_on, paid_intent[2])
    with db_unchanged():
        response = post_webhook(body, sign(body, secret="whsec_someone_else"))
    assert response.status_code == 400


def test_a_tampered_body_is_refused(paid_intent, stripe_on, db_unchanged):
    body = _body(stripe_on, paid_intent[2])
    event = json.loads(body)
    event["data"]["object"]["amount_received"] = 1
    with db_unchanged():
        response = post_webhook(json.dumps(event), sign(body))
    assert response.status_code == 400


@pytest.mark.parametrize("skew", [-301, -3600, +3600])
def test_stale_and_future_signatures_are_refused(paid_intent, stripe_on, db_unchanged, skew):
    body = _body(stripe_on, paid_intent[2])
    with db_unchanged():
        response = post_webhook(body, sign(body, timestamp=int(time.time()) + skew))
    assert response.status_code == 400


def test_a_signature_within_tolerance_is_accepted(paid_intent, stripe_on, deliver):
    deliver(stripe_on.event("payment_intent.succeeded", paid_intent[2]), timestamp=int(time.time()) - 250)
    assert StripeEvent.objects.count() == 1


def test_a_replayed_event_is_stored_and_processed_once(paid_intent, stripe_on, deliver):
    purchase, _payment, intent, _charge, (ha, _minh) = paid_intent
    event = stripe_on.event("payment_intent.succeeded", intent)
    deliver(event)
    before = ledger_of(ha)
    again = deliver(event)
    assert again.json() == {"received": True, "duplicate": True}
    assert StripeEvent.objects.count() == 1 and StripeEvent.objects.get().attempts == 1
    assert ledger_of(ha) == before


def test_a_replay_after_the_tolerance_is_refused(paid_intent, stripe_on, deliver, db_unchanged):
    """An attacker re-sending a captured request later: the old signature has gone stale."""
    event = stripe_on.event("payment_intent.succeeded", paid_intent[2])
    body = json.dumps(event)
    captured = sign(body, timestamp=int(time.time()) - 400)
    with db_unchanged():
        assert post_webhook(body, captured).status_code == 400


def test_signed_garbage_is_refused(stripe_on, db, db_unchanged):
    for body in (
        "not json",
        "[]",
        json.dumps({"id": "evt_1", "type": "x"}),
        json.dumps({"id": "nope", "type": "x", "data": {"object": {}}}),
    ):
        with db_unchanged():
            assert post_webhook(body, sign(body)).status_code == 400


def test_only_post_is_allowed(client, db):
    assert client.get("/webhooks/stripe/").status_code == 405


def test_without_a_webhook_secret_nothing_is_accepted(paid_intent, stripe_on, settings, db_unchanged):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = _body(stripe_on, paid_intent[2])
    with db_unchanged():
        assert post_webhook(body, sign(body)).status_code == 400


def test_any_of_several_secrets_verifies(paid_intent, stripe_on, settings, deliver):
    """The platform endpoint and the Connect endpoint sign with their own secrets."""
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform, whsec_connect"
    deliver(stripe_on.event("payment_intent.succeeded", paid_intent[2]), secret="whsec_connect")
    assert StripeEvent.objects.get().status == "PROCESSED"


def test_an_amount_that_does_not_match_the_purchase_pays_nothing(paid_intent, stripe_on, deliver):
    purchase, payment, intent, _charge, _designers = paid_intent
    intent = dict(intent, amount_received=intent["amount_received"] - 1000)
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    purchase.refresh_from_db()
    payment.refresh_from_db()
    event = StripeEvent.objects.get()
    assert (purchase.status, payment.status) == ("UNPAID", "PENDING")
    assert event.status == "IGNORED" and "amount mismatch" in event.error
    assert not LedgerEntry.objects.exists()


def test_a_currency_that_does_not_match_pays_nothing(paid_intent, stripe_on, deliver):
    purchase, _payment, intent, _charge, _designers = paid_intent
    deliver(stripe_on.event("payment_intent.succeeded", dict(intent, currency="usd")))
    purchase.refresh_from_db()
    assert purchase.status == "UNPAID" and StripeEvent.objects.get().status == "IGNORED"


def test_a_payment_intent_that_has_not_succeeded_pays_nothing(stripe_on, deliver, db):
    purchase = make_purchase((make_designer(), [(150000, 1)]))
    payment = start_payment(purchase)
    deliver(stripe_on.event("payment_intent.succeeded", stripe_on.object(payment.psp_reference)))
    purchase.refresh_from_db()
    assert purchase.status == "UNPAID" and StripeEvent.objects.get().status == "IGNORED"


def test_payment_failed_records_the_error_and_a_late_failure_changes_nothing(paid_intent, stripe_on, deliver):
    purchase, payment, intent, _charge, _designers = paid_intent
    other = make_purchase((make_designer(), [(90000, 1)]))
    other_payment = start_payment(other)
    declined = stripe_on.fail_payment_intent(other_payment.psp_reference)
    deliver(stripe_on.event("payment_intent.payment_failed", declined))
    other_payment.refresh_from_db()
    assert (other_payment.status, other_payment.error) == ("FAILED", "Your card was declined.")

    deliver(stripe_on.event("payment_intent.succeeded", intent))
    deliver(stripe_on.event("payment_intent.payment_failed", dict(intent, status="requires_payment_method")))
    payment.refresh_from_db()
    purchase.refresh_from_db()
    assert (payment.status, purchase.status) == ("SUCCEEDED", "PAID")
    late = StripeEvent.objects.get(type="payment_intent.payment_failed", payment_intent=intent["id"])
    assert late.status == "IGNORED" and "late" in late.error


def test_unknown_events_and_unknown_objects_are_ignored(stripe_on, deliver, db):
    deliver(stripe_on.event("customer.created", {"id": "cus_1", "object": "customer"}))
    deliver(
        stripe_on.event(
            "payment_intent.succeeded", {"id": "pi_not_ours", "object": "payment_intent", "status": "succeeded"}
        )
    )
    assert list(StripeEvent.objects.values_list("status", flat=True)) == ["IGNORED", "IGNORED"]


def test_a_refund_event_before_the_payment_waits_for_it(paid_intent, stripe_on, deliver):
    """Reordered delivery: charge.refunded arrives before payment_intent.succeeded."""
    purchase, _payment, intent, charge, (ha, _minh) = paid_intent
    from decimal import Decimal

    from payments.gateways.stripe import StripeGateway

    StripeGateway().refund(psp_reference=intent["id"], amount=Decimal(50000), currency="VND", idempotency_key="dash-1")
    deliver(stripe_on.event("charge.refunded", stripe_on.object(charge["id"])))
    assert StripeEvent.objects.get(type="charge.refunded").status == "DEFERRED"
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    assert StripeEvent.objects.get(type="charge.refunded").status == "PROCESSED"
    assert (
        sum(a for k, a in ledger_of(ha) if k == "REFUND") + sum(a for k, a in ledger_of(_minh) if k == "REFUND")
        == -50000
    )


def test_an_unexpected_error_is_recorded_and_raised_for_a_retry(db):
    """The task's retry path: the handler's failure is kept on the event, the exception re-raised."""
    event = StripeEvent.objects.create(event_id="evt_broken", type="payment_intent.succeeded", payload={"data": {}})
    with pytest.raises(KeyError):
        webhooks.process_event(event.pk)
    event.refresh_from_db()
    assert event.status == "FAILED" and event.attempts == 1 and "KeyError" in event.error
    assert Payment.objects.count() == 0


def test_failed_events_are_tried_again_by_the_periodic_task(paid_intent, stripe_on, deliver, settings):
    """An event left FAILED (its task's retries ran out during an outage) is picked up again by the
    periodic task; after STRIPE_EVENT_MAX_ATTEMPTS it stays FAILED for staff to look at."""
    from payments.tasks import retry_failed_stripe_events

    purchase, payment, intent, _charge, _designers = paid_intent
    event = StripeEvent.objects.create(
        event_id="evt_flaky",
        type="payment_intent.succeeded",
        payment_intent=intent["id"],
        status="FAILED",
        attempts=3,
        payload=stripe_on.event("payment_intent.succeeded", intent),
    )
    assert retry_failed_stripe_events() == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("PROCESSED", 4)
    purchase.refresh_from_db()
    assert purchase.status == "PAID"
    StripeEvent.objects.filter(pk=event.pk).update(status="FAILED", attempts=settings.STRIPE_EVENT_MAX_ATTEMPTS)
    assert retry_failed_stripe_events() == 0
