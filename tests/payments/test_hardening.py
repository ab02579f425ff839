"""Regression tests of the outside review (issue 13) for payments; each is named after its finding
(SECURITY.md, "Reviewed and fixed")."""

import json
from urllib.parse import urlparse

from tests.conftest import load_operation, make_designer, make_user
from tests.payments.helpers import make_purchase, order_gid, start_payment

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
