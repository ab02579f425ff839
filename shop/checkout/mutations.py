from dataclasses import replace

import graphene

from shop.checkout import cart, completion, shipping_methods
from shop.checkout.types import (
    AddressInput,
    CheckoutErrorCode,
    CheckoutPayment,
    CheckoutType,
    ShippingErrorCode,
    ShippingMethodType,
)
from shop.core.graphql import BaseMutation, current_user, error_type, require_user
from shop.core.ids import decode_id
from shop.core.languages import request_language
from shop.core.scalars import DecimalScalar, UUIDScalar
from shop.orders.types import PurchaseType, unlock_purchase

CheckoutError = error_type("CheckoutError", CheckoutErrorCode)
ShippingError = error_type("ShippingError", ShippingErrorCode)


def _address(value) -> dict | None:
    return dict(value) if value is not None else None


def _lines(lines) -> list[dict]:
    """The lines with their variants' model ids (a malformed or foreign ID: NOT_FOUND on ``lines``)."""
    return [
        {
            "variant_id": decode_id(line.get("variant_id"), "ProductVariant", field="lines"),
            "quantity": line.get("quantity"),
        }
        for line in (lines or [])
    ]


class RenamedFieldsMutation(BaseMutation):
    """A mutation whose services name some arguments otherwise than its input: ``input_names``
    maps such a service name to the input's (snake_case: ``api_field`` then camel-cases it)."""

    class Meta:
        abstract = True

    input_names: dict[str, str] = {}

    @classmethod
    def _error(cls, err):
        if err.field in cls.input_names:
            err = replace(err, field=cls.input_names[err.field])
        return super()._error(err)


class CheckoutMutation(RenamedFieldsMutation):
    class Meta:
        abstract = True

    error_codes = CheckoutErrorCode
    errors = graphene.List(graphene.NonNull(CheckoutError), required=True)
    checkout = graphene.Field(CheckoutType)


class CheckoutLineInput(graphene.InputObjectType):
    variant_id = graphene.ID(required=True, description="A ProductVariant's global ID.")
    quantity = graphene.Int(required=True)


class CheckoutCreateInput(graphene.InputObjectType):
    email = graphene.String(description="Defaults to the signed-in user's email.")
    lines = graphene.List(graphene.NonNull(CheckoutLineInput))
    shipping_address = graphene.Field(AddressInput)


class CheckoutCreate(CheckoutMutation):
    """Start a cart (across designers). Keep its `token`: it addresses the checkout from now on."""

    class Arguments:
        input = CheckoutCreateInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        checkout = cart.create_checkout(
            user=current_user(info),
            email=input.get("email"),
            lines=_lines(input.get("lines")),
            shipping_address=_address(input.get("shipping_address")),
            language=request_language(info.context),
        )
        return cls(checkout=checkout)


class CheckoutLinesInput(graphene.InputObjectType):
    lines = graphene.List(graphene.NonNull(CheckoutLineInput), required=True)


class CheckoutLinesMutation(CheckoutMutation):
    """Lines given with their variants' global IDs, handed to ``service`` (a cart service that
    takes ``lines``)."""

    class Meta:
        abstract = True

    class Arguments:
        token = UUIDScalar(required=True)
        input = CheckoutLinesInput(required=True)

    service: staticmethod

    @classmethod
    def perform(cls, root, info, token, input):
        return cls(checkout=cls.service(token=token, user=current_user(info), lines=_lines(input["lines"])))


class CheckoutLinesAdd(CheckoutLinesMutation):
    """Add items; a variant already in the checkout has its quantity increased."""

    service = staticmethod(cart.add_lines)


class CheckoutLinesUpdate(CheckoutLinesMutation):
    """Set quantities (0 removes the line)."""

    service = staticmethod(cart.update_lines)


class CheckoutLinesDeleteInput(graphene.InputObjectType):
    line_ids = graphene.List(graphene.NonNull(graphene.ID), required=True)


class CheckoutLinesDelete(CheckoutMutation):
    class Arguments:
        token = UUIDScalar(required=True)
        input = CheckoutLinesDeleteInput(required=True)

    @classmethod
    def perform(cls, root, info, token, input):
        return cls(
            checkout=cart.delete_lines(
                token=token,
                user=current_user(info),
                line_ids=[decode_id(gid, "CheckoutLine", field="line_ids") for gid in input["line_ids"]],
            )
        )


class CheckoutEmailUpdateInput(graphene.InputObjectType):
    email = graphene.String(required=True)


class CheckoutEmailUpdate(CheckoutMutation):
    class Arguments:
        token = UUIDScalar(required=True)
        input = CheckoutEmailUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, token, input):
        return cls(checkout=cart.update_email(token=token, user=current_user(info), email=input["email"]))


class CheckoutShippingAddressUpdate(CheckoutMutation):
    """Set the Vietnamese shipping address (needed when anything is physical)."""

    class Arguments:
        token = UUIDScalar(required=True)
        input = AddressInput(required=True)

    @classmethod
    def perform(cls, root, info, token, input):
        return cls(checkout=cart.update_shipping_address(token=token, user=current_user(info), address=dict(input)))


class CheckoutShippingMethodUpdateInput(graphene.InputObjectType):
    shipping_method_id = graphene.ID(required=True, description="One of a part's availableShippingMethods.")


class CheckoutShippingMethodUpdate(CheckoutMutation):
    """Pick how one designer ships its items (the method tells which designer)."""

    class Arguments:
        token = UUIDScalar(required=True)
        input = CheckoutShippingMethodUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, token, input):
        return cls(
            checkout=cart.set_shipping_method(
                token=token,
                user=current_user(info),
                shipping_method_id=decode_id(input["shipping_method_id"], "ShippingMethod", field="shipping_method_id"),
            )
        )


class CheckoutCustomerAttach(CheckoutMutation):
    """Attach an anonymous checkout to the signed-in buyer (then only that buyer can use it)."""

    class Arguments:
        token = UUIDScalar(required=True)

    @classmethod
    def perform(cls, root, info, token):
        return cls(checkout=cart.attach_customer(token=token, user=require_user(info)))


class CheckoutCompleteInput(graphene.InputObjectType):
    gateway = graphene.String(required=True, description="A paymentGateways id, e.g. `dummy`.")
    gateway_data = graphene.JSONString(
        description='Gateway-specific data as a JSON object, e.g. "{\\"token\\": \\"decline\\"}" for the dummy gateway.'
    )


class CheckoutComplete(CheckoutMutation):
    """Pay: stock is taken, one order per designer is created under one purchase, and the purchase
    goes to the gateway. Completing the same checkout again returns the same purchase."""

    class Arguments:
        token = UUIDScalar(required=True)
        input = CheckoutCompleteInput(required=True)

    purchase = graphene.Field(PurchaseType)
    payment = graphene.Field(CheckoutPayment, description="PENDING: confirm it in the client with its clientSecret.")
    input_names = {"gateway_id": "gateway"}

    @classmethod
    def perform(cls, root, info, token, input):
        result = completion.complete_checkout(
            token=token,
            user=current_user(info),
            gateway_id=input.get("gateway"),
            gateway_data=input.get("gateway_data"),
        )
        unlock_purchase(info, result.purchase)
        return cls(purchase=result.purchase, payment=result.payment)


# --- designers' shipping methods --------------------------------------------------------------------


# The shipping method inputs' fields and the names the service takes them by (the model's).
METHOD_DATA_NAMES = {
    "name": "name",
    "price": "price_amount",
    "free_above": "free_above_amount",
    "min_days": "min_days",
    "max_days": "max_days",
    "is_active": "is_active",
    "currency": "currency",
}


def _method_data(input) -> dict:
    return {METHOD_DATA_NAMES[key]: value for key, value in dict(input).items() if key in METHOD_DATA_NAMES}


class ShippingMutation(RenamedFieldsMutation):
    class Meta:
        abstract = True

    error_codes = ShippingErrorCode
    errors = graphene.List(graphene.NonNull(ShippingError), required=True)
    shipping_method = graphene.Field(ShippingMethodType)
    input_names = {service: api for api, service in METHOD_DATA_NAMES.items() if service != api}


class ShippingMethodCreateInput(graphene.InputObjectType):
    name = graphene.String(required=True, description="e.g. Giao hàng tiêu chuẩn")
    price = DecimalScalar(required=True, description='Exact amount as a string, e.g. "30000".')
    currency = graphene.String(description="ISO 4217; VND by default.")
    free_above = DecimalScalar(description="Free when the designer's subtotal reaches this amount.")
    min_days = graphene.Int()
    max_days = graphene.Int()
    is_active = graphene.Boolean()


class ShippingMethodCreate(ShippingMutation):
    """A designer adds a way it ships."""

    class Arguments:
        input = ShippingMethodCreateInput(required=True)

    @classmethod
    def perform(cls, root, info, input):
        return cls(
            shipping_method=shipping_methods.create_shipping_method(actor=require_user(info), data=_method_data(input))
        )


class ShippingMethodUpdateInput(graphene.InputObjectType):
    name = graphene.String()
    price = DecimalScalar()
    free_above = DecimalScalar(description="null removes the threshold.")
    min_days = graphene.Int()
    max_days = graphene.Int()
    is_active = graphene.Boolean()


class ShippingMethodUpdate(ShippingMutation):
    class Arguments:
        id = graphene.ID(required=True)
        input = ShippingMethodUpdateInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        return cls(
            shipping_method=shipping_methods.update_shipping_method(
                actor=require_user(info), method_id=decode_id(id, "ShippingMethod"), data=_method_data(input)
            )
        )


class ShippingMethodDelete(ShippingMutation):
    """Orders keep the method's name; checkouts that chose it must choose again."""

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root, info, id):
        return cls(
            shipping_method=shipping_methods.delete_shipping_method(
                actor=require_user(info), method_id=decode_id(id, "ShippingMethod")
            )
        )


class CheckoutMutations(graphene.ObjectType):
    checkout_create = CheckoutCreate.Field()
    checkout_lines_add = CheckoutLinesAdd.Field()
    checkout_lines_update = CheckoutLinesUpdate.Field()
    checkout_lines_delete = CheckoutLinesDelete.Field()
    checkout_email_update = CheckoutEmailUpdate.Field()
    checkout_shipping_address_update = CheckoutShippingAddressUpdate.Field()
    checkout_shipping_method_update = CheckoutShippingMethodUpdate.Field()
    checkout_customer_attach = CheckoutCustomerAttach.Field()
    checkout_complete = CheckoutComplete.Field()
    shipping_method_create = ShippingMethodCreate.Field()
    shipping_method_update = ShippingMethodUpdate.Field()
    shipping_method_delete = ShippingMethodDelete.Field()
