"""Regression tests of the outside review (issue 13) for payments; each is named after its finding
(SECURITY.md, "Reviewed and fixed")."""

import json
from urllib.parse import urlparse

from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.payments.helpers import order_gid
from tests.support import load_operation

ONBOARD = load_operation("designer/DesignerPayoutOnboard.graphql")
REFUND = load_operation("staff/OrderRefund.graphql")


def _answer(gql, query, variables=None, **kw):
    response = gql.post(query, variables, **kw)
    return response, response.json()


def test_finding_10_provider_error_text_never_reaches_clients(gql, stripe_on, deliver, caplog):
    host = urlparse(stripe_on.url).netloc
    leaks = (host, "/v1/", "127.0.0.1", "Stripe", "stripe", "req_", "disputed", "charge")
    designer = make_designer()
    # the provider is down while a designer onboards
    stripe_on.failures.append(("POST", "/v1/account_links", 500))
    response, body = _answer(gql, ONBOARD, user=designer.user, headers={"Accept-Language": "en"})
    [error] = body["data"]["designerPayoutOnboard"]["errors"]
    request_id = response["X-Request-Id"]
    assert error["code"] == "GATEWAY_ERROR" and request_id in error["message"], error
    assert not [w for w in leaks if w in error["message"]], error["message"]
    # ...in Vietnamese too (the message is translated)
    stripe_on.failures.append(("POST", "/v1/account_links", 500))
    _response, vi = _answer(gql, ONBOARD, user=designer.user)
    vi_message = vi["data"]["designerPayoutOnboard"]["errors"][0]["message"]
    assert vi_message != error["message"].replace(request_id, _response["X-Request-Id"])
    # the provider refuses a refund (a disputed charge)
    purchase = make_purchase((designer, [(150000, 1)]))
    payment = start_payment(purchase)
    intent, charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    stripe_on.objects[charge["id"]]["disputed"] = True
    variables = {"id": order_gid(purchase.orders.get()), "input": {"amount": "1000"}}
    response, body = _answer(gql, REFUND, variables, user=make_user(staff=True))
    [error] = body["data"]["orderRefund"]["errors"]
    assert error["code"] == "GATEWAY_ERROR" and response["X-Request-Id"] in error["message"]
    assert not [w for w in leaks if w in error["message"]], error["message"]
    # the detail is in the log, with the request id, for staff to look up
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert response["X-Request-Id"] in logged and "disputed" in logged
    assert json.dumps(body).count(host) == 0


def test_finding_12_transfer_events_are_checked_against_the_transfer_we_made(stripe_on, deliver):
    from payments.models import LedgerEntry, StripeEvent, Transfer

    designer = make_designer()
    order = make_purchase((designer, [(150000, 1)])).orders.get()
    # a transfer we started whose response was lost: PENDING, no provider id yet
    row = Transfer.objects.create(
        order=order,
        designer=designer,
        kind="TRANSFER",
        amount=127500,
        currency="VND",
        destination="acct_designer_ha",
        idempotency_key=f"transfer-order-{order.pk}",
    )
    genuine = {
        "id": "tr_genuine",
        "object": "transfer",
        "amount": 127500,
        "amount_reversed": 0,
        "currency": "vnd",
        "destination": "acct_designer_ha",
        "metadata": {"transfer_row": str(row.pk)},
    }
    forged = [
        # sent by a connected account (Connect events carry `account`): its own transfer, our row's id
        stripe_on.event("transfer.created", {**genuine, "id": "tr_evil_1"}, account="acct_someone_else"),
        # the platform's event, but for another destination, amount or currency than the row's
        stripe_on.event("transfer.created", {**genuine, "id": "tr_evil_2", "destination": "acct_attacker"}),
        stripe_on.event("transfer.updated", {**genuine, "id": "tr_evil_3", "amount": 1}),
        stripe_on.event("transfer.created", {**genuine, "id": "tr_evil_4", "currency": "usd"}),
    ]
    for event in forged:
        deliver(event)
    row.refresh_from_db()
    assert (row.status, row.provider_id) == ("PENDING", "")
    assert not LedgerEntry.objects.filter(kind="TRANSFER").exists()
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"IGNORED"}
    # the genuine event completes it, once
    deliver(stripe_on.event("transfer.created", genuine))
    row.refresh_from_db()
    assert (row.status, row.provider_id) == ("SUCCEEDED", "tr_genuine")
    assert LedgerEntry.objects.filter(kind="TRANSFER").count() == 1
    # a reversal of our transfer sent by someone else's account changes nothing either
    deliver(stripe_on.event("transfer.reversed", {**genuine, "amount_reversed": 127500}, account="acct_someone_else"))
    assert not LedgerEntry.objects.filter(kind="TRANSFER_REVERSAL").exists()
