"""Regression tests of the outside review (issue 13) for orders; each is named after its finding
(SECURITY.md, "Reviewed and fixed")."""

from payments.disputes import record_dispute
from payments.models import Payment
from tests.factories import make_user
from tests.orders.test_downloads import fetch, link_of
from tests.payments.helpers import line_gid, order_gid
from tests.support import load_operation

REFUND = load_operation("staff/OrderRefund.graphql")


def test_finding_05_refunded_cancelled_or_lost_dispute_lines_cannot_be_downloaded(market, gql, staff):
    # Minh's order: a bowl and the font; the font line alone is refunded, the order stays partially refunded
    purchase = market.purchase()
    download, path = link_of(purchase)
    assert fetch(path)[0].status_code == 200
    order = market.order_of(purchase, market.minh)
    refunded = gql(
        REFUND,
        {"id": order_gid(order), "input": {"lines": [{"lineId": line_gid(download.line), "quantity": 1}]}},
        user=make_user(staff=True),
    )["data"]["orderRefund"]
    assert refunded["errors"] == [] and refunded["order"]["status"] == "PARTIALLY_REFUNDED"
    response, _ = fetch(path)
    assert response.status_code == 410 and response.json()["error"]["code"] == "NOT_AVAILABLE"
    download.refresh_from_db()
    assert download.download_count == 1

    # a chargeback the marketplace loses voids the links of the purchase, and they stay void
    second = market.purchase()
    download, path = link_of(second)
    payment = Payment.objects.get(purchase=second)
    args = {"payment_id": payment.pk, "dispute_id": "dp_1", "amount": 90000, "currency": "VND", "reason": "fraud"}
    record_dispute(**args, status="needs_response", closed=False)
    response, _ = fetch(path)
    assert response.status_code == 410 and response.json()["error"]["code"] == "NOT_AVAILABLE"  # while disputed
    record_dispute(**args, status="lost", closed=True)
    response, _ = fetch(path)
    assert response.status_code == 410 and response.json()["error"]["code"] == "NOT_AVAILABLE"
    download.refresh_from_db()
    assert download.voided_at is not None and download.download_count == 0
