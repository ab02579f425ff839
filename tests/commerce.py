"""A buyer who drives the storefront operations over GraphQL, like a client would (checkout and
order tests). Their data comes from ``tests/factories.py``."""

from __future__ import annotations

from graphql_relay import to_global_id

from tests.support import load_operation

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


def gid(type_name: str, pk) -> str:
    return to_global_id(type_name, pk)


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
