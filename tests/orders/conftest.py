"""Fixtures shared by the order tests: a small market with two designers and a signed-in buyer."""

import pytest

from shop.orders.models import Order, Purchase
from tests.commerce import Buyer, digital_variant_factory, make_seller  # noqa: F401
from tests.conftest import make_user
from tests.factories import make_product, make_variant
from tests.gateways import TEST_GATEWAYS


class Market:
    def __init__(self, gql, digital_variant_factory):
        self.gql = gql
        self.linh, self.linh_ship = make_seller("Linh", shipping_price=30000)
        self.minh, self.minh_ship = make_seller("Minh", shipping_price=25000)
        self.scarf = make_variant(
            product=make_product(designer=self.linh, name="Khăn lụa"), price=150000, stock=10, name="Đỏ"
        )
        self.bowl = make_variant(product=make_product(designer=self.minh, name="Bát gốm"), price=60000, stock=10)
        self.font = digital_variant_factory(designer=self.minh, price=90000)
        self.buyer_user = make_user(email="mai@example.com")
        self.buyer = Buyer(gql, user=self.buyer_user)

    def purchase(self, gateway: str = "dummy", buyer: Buyer | None = None, lines=None) -> Purchase:
        """A completed purchase: Linh's scarf ×2, Minh's bowl and font."""
        buyer = buyer or self.buyer
        lines = lines or [(self.scarf, 2), (self.bowl, 1), (self.font, 1)]
        designers = {v.product.designer_id for v, _q in lines if v.product.product_type == "PHYSICAL"}
        methods = [m for m in (self.linh_ship, self.minh_ship) if m.designer_id in designers]
        token = buyer.ready(lines, methods=methods)
        result = buyer.complete(token, gateway=gateway)
        assert result["errors"] == [], result["errors"]
        return Purchase.objects.get(token=result["purchase"]["token"])

    def order_of(self, purchase: Purchase, designer) -> Order:
        return Order.objects.get(purchase=purchase, designer=designer)


@pytest.fixture
def market(gql, digital_variant_factory, settings):
    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    return Market(gql, digital_variant_factory)
