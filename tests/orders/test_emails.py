"""Emails after commit, in the buyer's or designer's language, sent once."""

import pytest
from django.core import mail

from shop.core.money import format_money
from shop.orders import tasks
from shop.orders.models import Order, Purchase
from tests.commerce import Buyer
from tests.factories import make_user
from tests.support import wait_for


def test_money_is_written_the_local_way():
    assert format_money(1250000, "VND", "vi") == "1.250.000 ₫"
    assert format_money(1250000, "VND", "en") == "1,250,000 VND"
    assert format_money("12.5", "USD", "en") == "12.50 USD"


def test_english_buyer_and_designer_get_english_emails_and_each_only_once(
    gql, market, django_capture_on_commit_callbacks
):
    buyer = Buyer(gql, user=make_user(email="jane@example.com", language="en"))
    market.linh.user.language = "en"
    market.linh.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        purchase = market.purchase(buyer=buyer)
    confirmation = next(m for m in mail.outbox if m.to == ["jane@example.com"])
    assert "is confirmed" in confirmation.subject
    assert "Amount paid: 505,000 VND" in confirmation.body and "Download:" in confirmation.body
    linh = next(m for m in mail.outbox if m.to == [market.linh.user.email])
    minh = next(m for m in mail.outbox if m.to == [market.minh.user.email])
    assert linh.subject.startswith("Rethink Market: new order") and "Ship to: Nguyễn Văn An, 0912345678" in linh.body
    assert "đơn hàng mới" in minh.subject and "Khăn lụa" not in minh.body and "jane@example.com" not in minh.body
    sent = len(mail.outbox)
    # delivering the tasks again sends nothing more
    assert tasks.send_purchase_confirmation.apply(args=[purchase.pk]).get() is False
    for order in Order.objects.filter(purchase=purchase):
        assert tasks.send_designer_new_order.apply(args=[order.pk]).get() is False
    assert len(mail.outbox) == sent


def test_user_text_is_escaped_in_html_but_not_in_text(gql, market, django_capture_on_commit_callbacks):
    product = market.scarf.product
    product.name = 'Khăn <b>lụa</b> & "thêu"'
    product.save()
    with django_capture_on_commit_callbacks(execute=True):
        market.purchase(lines=[(market.scarf, 1)])
    message = next(m for m in mail.outbox if m.to == ["mai@example.com"])
    assert 'Khăn <b>lụa</b> & "thêu"' in message.body
    html = message.alternatives[0][0]
    assert "Khăn &lt;b&gt;lụa&lt;/b&gt; &amp; &quot;thêu&quot;" in html and "<b>lụa</b>" not in html


def test_no_email_for_an_unpaid_purchase_and_no_shipping_email_twice(gql, market, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        purchase = market.purchase(gateway="pending")
    assert mail.outbox == []
    assert tasks.send_purchase_confirmation.apply(args=[purchase.pk]).get() is False
    order = Order.objects.filter(purchase=purchase).first()
    assert tasks.send_order_shipped.apply(args=[order.pk]).get() is False
    assert tasks.send_designer_new_order.apply(args=[order.pk]).get() is False
    assert mail.outbox == []


@pytest.mark.worker
def test_a_real_worker_sends_one_confirmation_and_one_email_per_designer(
    celery_worker, settings, digital_variant_factory
):
    from tests.factories import Market
    from tests.gateways import TEST_GATEWAYS
    from tests.support import GraphQLClient

    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    market = Market(GraphQLClient(), digital_variant_factory)
    purchase = market.purchase()
    wait_for(lambda: Purchase.objects.filter(pk=purchase.pk, confirmation_email_sent_at__isnull=False).exists())
    wait_for(lambda: not Order.objects.filter(purchase=purchase, designer_email_sent_at__isnull=True).exists())
    assert len([m for m in mail.outbox if m.to == ["mai@example.com"]]) == 1
    assert len([m for m in mail.outbox if m.to == [market.linh.user.email]]) == 1
    assert len([m for m in mail.outbox if m.to == [market.minh.user.email]]) == 1
    order = Order.objects.get(purchase=purchase, designer=market.linh)
    from shop.orders import lifecycle as order_lifecycle

    order_lifecycle.fulfill_order(
        order_id=order.pk, actor=market.linh.user, carrier="Viettel Post", tracking_number="VTP0001"
    )
    wait_for(lambda: Order.objects.filter(pk=order.pk, shipped_email_sent_at__isnull=False).exists())
    shipped = [m for m in mail.outbox if "VTP0001" in m.body]
    assert len(shipped) == 1 and shipped[0].to == ["mai@example.com"]
