"""Helpers for checkout and order tests: shipping methods, digital variants with real files in the
private storage, and a buyer who drives the storefront operations over GraphQL."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from graphql_relay import to_global_id

from shop.catalog.models import ProductType
from shop.checkout.models import ShippingMethod
from tests.conftest import load_operation, make_designer
from tests.factories import make_product, make_variant

CHECKOUT_CREATE = load_operation("storefront/CheckoutCreate.graphql")
CHECKOUT = load_operation("storefront/Checkout.graphql")
LINES_ADD = load_operation("storefront/CheckoutLinesAdd.graphql")
LINES_UPDATE = load_operation("storefront/CheckoutLinesUpdate.graphql")
LINES_DELETE = load_operation("storefront/CheckoutLinesDelete.graphql")
EMAIL_UPDATE = load_operation("storefront/CheckoutEmailUpdate.graphql")
ADDRESS_UPDATE = load_operation("storefront/CheckoutShippingAddressUpdate.graphql")
METHOD_UPDATE = load_operation("storefront/CheckoutShippingMethodUpdate.graphql")
CUSTOMER_ATTACH = load_operation("storefront/CheckoutCustomerAttach.graphql")
COMPLETE = load_operation("storefront/CheckoutComplete.graphql")

ADDRESS = {
    "recipientName": "Nguyễn Văn An",
    "phone": "0912 345 678",
    "streetAddress": "12 Hàng Bạc",
    "ward": "Phường Hoàn Kiếm",
    "province": "Hà Nội",
}

_names = itertools.count(1)


def gid(type_name: str, pk) -> str:
    return to_global_id(type_name, pk)


def make_shipping_method(
    designer, *, name: str | None = None, price=30000, free_above=None, currency="VND", **extra
) -> ShippingMethod:
    return ShippingMethod.objects.create(
        designer=designer,
        name=name or f"Giao hàng {next(_names)}",
        price_amount=Decimal(str(price)),
        currency=currency,
        free_above_amount=Decimal(str(free_above)) if free_above is not None else None,
        **extra,
    )


def make_seller(name: str = "Nhà thiết kế", *, shipping_price=30000, free_above=None):
    """An approved designer with one shipping method."""
    designer = make_designer(display_name=f"{name} {next(_names)}")
    method = make_shipping_method(designer, price=shipping_price, free_above=free_above)
    return designer, method


PDF_BYTES = b"%PDF-1.4\n% Rethink Market test file\n" + bytes(range(256)) * 8


@pytest.fixture
def digital_variant_factory(db):
    """Digital variants whose file really is in the private storage (removed after the test)."""
    created = []

    def factory(*, designer=None, price=90000, content: bytes = PDF_BYTES, filename="font-specimen.pdf", **extra):
        product = make_product(designer=designer or make_designer(), product_type=ProductType.DIGITAL)
        variant = make_variant(product=product, price=price, stock=0, **extra)
        variant.digital_file.save(filename, ContentFile(content), save=False)
        variant.digital_file_name = filename
        variant.digital_file_size = len(content)
        variant.digital_content_type = "application/pdf"
        variant.save()
        created.append(variant.digital_file.name)
        return variant

    yield factory
    from shop.core.storage import private_storage

    for name in created:
        if private_storage().exists(name):
            private_storage().delete(name)


class Buyer:
    """Drives the storefront operations like a client would."""

    def __init__(self, gql, user=None, email: str = "an@example.com"):
        self.gql, self.user, self.email = gql, user, email

    def call(self, query, variables, root):
        result = self.gql(query, variables, user=self.user)
        assert "errors" not in result, result
        return result["data"][root]

    def create(self, lines, **extra) -> dict:
        data = {"lines": [{"variantId": gid("ProductVariant", v.pk), "quantity": q} for v, q in lines]}
        if self.user is None and "email" not in extra:
            data["email"] = self.email
        data.update(extra)
        return self.call(CHECKOUT_CREATE, {"input": data}, "checkoutCreate")

    def checkout(self, token) -> dict:
        return self.call(CHECKOUT, {"token": token}, "checkout")

    def add(self, token, lines) -> dict:
        data = {"lines": [{"variantId": gid("ProductVariant", v.pk), "quantity": q} for v, q in lines]}
        return self.call(LINES_ADD, {"token": token, "input": data}, "checkoutLinesAdd")

    def update(self, token, lines) -> dict:
        data = {"lines": [{"variantId": gid("ProductVariant", v.pk), "quantity": q} for v, q in lines]}
        return self.call(LINES_UPDATE, {"token": token, "input": data}, "checkoutLinesUpdate")

    def address(self, token, **overrides) -> dict:
        return self.call(
            ADDRESS_UPDATE, {"token": token, "input": {**ADDRESS, **overrides}}, "checkoutShippingAddressUpdate"
        )

    def ship(self, token, method) -> dict:
        return self.call(
            METHOD_UPDATE,
            {"token": token, "input": {"shippingMethodId": gid("ShippingMethod", method.pk)}},
            "checkoutShippingMethodUpdate",
        )

    def complete(self, token, gateway: str = "dummy", data=None) -> dict:
        variables = {"token": token, "input": {"gateway": gateway}}
        if data is not None:
            variables["input"]["gatewayData"] = data
        return self.call(COMPLETE, variables, "checkoutComplete")

    def ready(self, lines, methods=()) -> str:
        """A checkout with address and shipping chosen, ready to complete; returns its token."""
        created = self.create(lines)
        assert created["errors"] == [], created["errors"]
        token = created["checkout"]["token"]
        if created["checkout"]["requiresShipping"]:
            assert self.address(token)["errors"] == []
        for method in methods:
            assert self.ship(token, method)["errors"] == []
        return token
