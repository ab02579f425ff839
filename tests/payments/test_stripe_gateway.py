"""The stripe gateway through the real SDK against the local stand-in: smallest units, lower-case
currencies, deterministic idempotency keys, retries and errors."""

from decimal import Decimal

import pytest
import stripe

from payments.gateways import enabled_gateways, get_gateway, get_payout_provider
from payments.gateways.base import GatewayError, PaymentRequest, PaymentStatus
from payments.gateways.stripe import StripeGateway
from tests.factories import make_designer, make_purchase, start_payment


def request(amount, currency, key="purchase-1"):
    return PaymentRequest(
        purchase_id=1, amount=Decimal(amount), currency=currency, email="b@example.com", idempotency_key=key
    )


def test_vnd_has_no_minor_unit_150000_is_sent_as_150000(stripe_on):
    result = StripeGateway().initialize(request("150000", "VND"))
    [call] = stripe_on.calls_to("POST", "/v1/payment_intents")
    assert call.params["amount"] == "150000"  # never x100
    assert call.params["currency"] == "vnd"
    assert call.params["transfer_group"] == "purchase-1"
    assert call.params["metadata"] == {"purchase_id": "1"}
    assert call.idempotency_key == "purchase-1"
    assert result.status == PaymentStatus.PENDING
    assert result.psp_reference.startswith("pi_") and result.client_secret.startswith(f"{result.psp_reference}_secret_")


def test_usd_is_sent_in_cents(stripe_on):
    StripeGateway().initialize(request("12.50", "USD", key="purchase-2"))
    [call] = stripe_on.calls_to("POST", "/v1/payment_intents")
    assert (call.params["amount"], call.params["currency"]) == ("1250", "usd")


def test_refunds_are_in_the_smallest_unit_too(db, stripe_on):
    usd = make_purchase((make_designer(), [("30.00", 1)]), currency="USD")
    vnd = make_purchase((make_designer(), [(450000, 1)]), currency="VND")
    for purchase, amount in ((usd, "12.34"), (vnd, "150000")):
        payment = start_payment(purchase)
        stripe_on.succeed_payment_intent(payment.psp_reference)
        StripeGateway().refund(
            psp_reference=payment.psp_reference,
            amount=Decimal(amount),
            currency=purchase.currency,
            idempotency_key=f"refund-test-{purchase.pk}",
            reason="Hỏng khi giao",
        )
    first, second = stripe_on.calls_to("POST", "/v1/refunds")
    assert (first.params["amount"], second.params["amount"]) == ("1234", "150000")
    assert first.params["reason"] == "requested_by_customer" and first.params["metadata"] == {"reason": "Hỏng khi giao"}


def test_the_same_key_twice_creates_one_payment_intent(stripe_on):
    gateway = StripeGateway()
    first = gateway.initialize(request("150000", "VND", key="purchase-7"))
    second = gateway.initialize(request("150000", "VND", key="purchase-7"))
    assert first.psp_reference == second.psp_reference
    assert len(stripe_on.of_kind("payment_intent")) == 1
    assert [c.replayed for c in stripe_on.calls_to("POST", "/v1/payment_intents")] == [False, True]


def test_a_reused_key_with_other_parameters_is_refused(stripe_on):
    gateway = StripeGateway()
    gateway.initialize(request("150000", "VND", key="purchase-8"))
    with pytest.raises(GatewayError) as exc:
        gateway.initialize(request("160000", "VND", key="purchase-8"))
    assert not exc.value.retryable


def test_status_follows_the_payment_intent(stripe_on):
    gateway = StripeGateway()
    pending = gateway.initialize(request("150000", "VND"))
    assert gateway.status(psp_reference=pending.psp_reference).status == PaymentStatus.PENDING
    stripe_on.succeed_payment_intent(pending.psp_reference)
    done = gateway.confirm(psp_reference=pending.psp_reference)
    assert done.status == PaymentStatus.SUCCEEDED and done.raw["latest_charge"].startswith("ch_")


def test_a_background_call_is_retried_with_the_same_idempotency_key(stripe_on, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    stripe_on.failures.append(("POST", "/v1/accounts", 500))
    account = StripeGateway().create_connected_account(
        email="d@example.com", designer_id=9, idempotency_key="designer-9"
    )
    calls = stripe_on.calls_to("POST", "/v1/accounts", ok=None)
    assert [c.status for c in calls] == [500, 200]
    assert {c.idempotency_key for c in calls} == {"designer-9"}
    assert account.id


def test_a_buyer_waits_for_one_attempt_only_and_may_try_again(stripe_on, settings):
    """The PaymentIntent is created while the buyer waits: no SDK retry (each would add a whole
    timeout to the wait); the buyer's next try sends the same key and gets the same PaymentIntent."""
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    stripe_on.failures.append(("POST", "/v1/payment_intents", 500))
    with pytest.raises(GatewayError) as down:
        StripeGateway().initialize(request("150000", "VND", key="purchase-9"))
    assert down.value.retryable
    assert [c.status for c in stripe_on.calls_to("POST", "/v1/payment_intents", ok=None)] == [500]
    first = StripeGateway().initialize(request("150000", "VND", key="purchase-9"))
    again = StripeGateway().initialize(request("150000", "VND", key="purchase-9"))
    assert first.psp_reference and again.psp_reference == first.psp_reference
    assert {c.idempotency_key for c in stripe_on.calls_to("POST", "/v1/payment_intents", ok=None)} == {"purchase-9"}


def test_errors_say_whether_a_retry_can_help(stripe_on):
    stripe_on.failures.append(("POST", "/v1/payment_intents", 500))
    with pytest.raises(GatewayError) as down:
        StripeGateway().initialize(request("150000", "VND"))
    assert down.value.retryable
    with pytest.raises(GatewayError) as refused:
        StripeGateway().refund(
            psp_reference="pi_unknown", amount=Decimal(1), currency="VND", idempotency_key="refund-x"
        )
    assert not refused.value.retryable


def test_the_standin_checks_what_we_send(stripe_on):
    """The stand-in is strict like Stripe: it refuses non-integer amounts, upper-case currencies and
    random (SDK-invented) idempotency keys, so our code cannot pass with any of them."""
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_on.url}, max_network_retries=0)
    for params, options in (
        ({"amount": "12.5", "currency": "usd"}, {"idempotency_key": "k1"}),
        ({"amount": 1250, "currency": "USD"}, {"idempotency_key": "k2"}),
        ({"currency": "usd"}, {"idempotency_key": "k3"}),
        ({"amount": 1250, "currency": "usd"}, None),
    ):
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.payment_intents.create(params, options)
    assert stripe_on.of_kind("payment_intent") == []


def test_gateways_come_from_settings(settings, stripe_on):
    assert [g.id for g in enabled_gateways()] == ["stripe", "dummy"]
    assert get_gateway("stripe").config() == {"publishableKey": "pk_test_standin_key"}
    assert get_payout_provider().id == "stripe"
    settings.PAYMENT_GATEWAYS = ["payments.gateways.dummy.DummyGateway"]
    settings.PAYOUT_PROVIDER = ""
    assert get_gateway("stripe") is None and get_payout_provider() is None


def test_without_a_key_stripe_refuses_to_run(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(GatewayError):
        StripeGateway().initialize(request("150000", "VND"))
