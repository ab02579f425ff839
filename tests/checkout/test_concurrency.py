"""Races against real PostgreSQL: parallel threads, each with its own database connection, released
together by a barrier."""

import pytest
from django.db import connection

from payments.models import Payment
from shop.catalog.models import ProductVariant
from shop.checkout import cart as checkout_cart
from shop.orders.models import Order, OrderLine, Purchase
from tests.commerce import Buyer
from tests.factories import make_product, make_seller, make_variant
from tests.support import GraphQLClient, run_together

ADDRESS_DATA = {
    "recipient_name": "Trần An",
    "phone": "+84 912 345 678",
    "street_address": "5 Lý Quốc Sư",
    "ward": "Phường Hoàn Kiếm",
    "province": "Hà Nội",
}


def ready_checkout(lines, methods, email) -> str:
    """A checkout ready to complete, made through the services (faster than 60 requests)."""
    checkout = checkout_cart.create_checkout(
        user=None, email=email, lines=[{"variant_id": v.pk, "quantity": q} for v, q in lines]
    )
    checkout_cart.update_shipping_address(token=checkout.token, user=None, address=ADDRESS_DATA)
    for method in methods:
        checkout_cart.set_shipping_method(token=checkout.token, user=None, shipping_method_id=method.pk)
    return str(checkout.token)


@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_race_for_five_units():
    designer, method = make_seller("Hà")
    poster = make_variant(product=make_product(designer=designer, name="Poster risograph"), stock=5, price=250000)
    other = make_variant(product=make_product(designer=designer, name="Sổ tay"), stock=100, price=50000)
    tokens = []
    for i in range(20):
        # some buyers also take another item: locks on several variants, always in id order
        lines = [(poster, 1), (other, 1)] if i % 2 else [(poster, 1)]
        tokens.append(ready_checkout(lines, [method], email=f"buyer{i}@example.com"))
    connection.close()

    def buy(i):
        return Buyer(GraphQLClient()).complete(tokens[i])

    results = run_together(20, buy)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    sold = [r for r in results if r["errors"] == []]
    refused = [r for r in results if r["errors"]]
    assert len(sold) == 5 and all(r["purchase"]["status"] == "PAID" for r in sold)
    assert len(refused) == 15
    for r in refused:
        assert [e["code"] for e in r["errors"]] == ["INSUFFICIENT_STOCK"] and r["purchase"] is None
        assert "Poster risograph" in r["errors"][0]["message"]
    poster.refresh_from_db()
    assert poster.stock_quantity == 0
    assert sum(OrderLine.objects.filter(variant=poster).values_list("quantity", flat=True)) == 5
    other_sold = OrderLine.objects.filter(variant=other).count()
    assert ProductVariant.objects.get(pk=other.pk).stock_quantity == 100 - other_sold
    assert Purchase.objects.count() == Order.objects.count() == Payment.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_checkout_is_paid_once():
    designer, method = make_seller("Linh")
    scarf = make_variant(product=make_product(designer=designer), stock=10)
    token = Buyer(GraphQLClient()).ready([(scarf, 2)], methods=[method])
    connection.close()

    results = run_together(4, lambda i: Buyer(GraphQLClient()).complete(token))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert all(r["errors"] == [] for r in results)
    assert len({r["purchase"]["id"] for r in results}) == 1
    assert Purchase.objects.count() == 1 and Order.objects.count() == 1 and Payment.objects.count() == 1
    assert ProductVariant.objects.get(pk=scarf.pk).stock_quantity == 8
