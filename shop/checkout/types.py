from dataclasses import dataclass

import graphene
from graphene import relay
from graphene_django import DjangoObjectType
from graphql_relay import to_global_id as global_id

from payments.gateways import unavailable_message
from payments.gateways.base import Gateway, UnavailableReason
from shop.catalog.selectors import visibility as catalog_selectors
from shop.catalog.types import ProductTypeEnum, ProductVariantType
from shop.checkout import errors, selectors
from shop.checkout.models import Checkout, CheckoutLine, ShippingMethod
from shop.core.graphql import api_field, current_user, error_codes
from shop.core.money_type import Money
from shop.orders.models import Purchase
from shop.orders.types import Address, PurchaseType, money, unlock_purchase

CheckoutErrorCode = error_codes(errors.CheckoutErrorCode)


ShippingErrorCode = error_codes(errors.ShippingErrorCode)


class AddressInput(graphene.InputObjectType):
    recipient_name = graphene.String(required=True)
    phone = graphene.String(required=True, description="0912345678, +84 912 345 678, 024 3822 1234, ...")
    street_address = graphene.String(required=True, description="House number and street.")
    ward = graphene.String(required=True, description="Phường / xã.")
    district = graphene.String(description="Quận / huyện (optional: most provinces have none since 2025).")
    province = graphene.String(required=True, description="Tỉnh / thành phố.")


class ShippingMethodType(DjangoObjectType):
    price = graphene.Field(Money, required=True)
    free_above = graphene.Field(Money, description="Shipping is free when the designer's subtotal reaches this amount.")

    class Meta:
        model = ShippingMethod
        name = "ShippingMethod"
        interfaces = (relay.Node,)
        fields = ("id", "name", "currency", "min_days", "max_days", "is_active", "created_at")

    def resolve_price(root, info):
        return money(root.price_amount, root.currency)

    def resolve_free_above(root, info):
        return money(root.free_above_amount, root.currency) if root.free_above_amount is not None else None

    @classmethod
    def get_node(cls, info, id):
        return selectors.shipping_method_by_id(current_user(info), id)


class CheckoutProblem(graphene.ObjectType):
    """Something that stops the checkout from being completed now."""

    code = graphene.Field(CheckoutErrorCode, required=True)
    message = graphene.String(required=True)
    field = graphene.String()
    line_id = graphene.ID(description="The checkout line concerned, if any.")
    designer_id = graphene.ID(description="The designer concerned, if any.")

    def resolve_code(root, info):
        return CheckoutErrorCode._meta.enum[root.code].value

    def resolve_field(root, info):
        return api_field(root.field)

    def resolve_line_id(root, info):
        return global_id("CheckoutLine", root.line_id) if root.line_id else None

    def resolve_designer_id(root, info):
        return global_id("Designer", root.designer_id) if root.designer_id else None


class CheckoutLineType(DjangoObjectType):
    """A line of the cart, priced now (prices are always the server's)."""

    variant_id = graphene.ID(required=True, description="The ProductVariant's global ID.")
    product_name = graphene.String(required=True)
    product_slug = graphene.String(required=True)
    variant_name = graphene.String(required=True)
    sku = graphene.String(required=True)
    product_type = graphene.Field(ProductTypeEnum, required=True)
    variant = graphene.Field(
        ProductVariantType,
        description="The variant as the catalog shows it now; null once it has left the storefront (the line's "
        "own fields then show it as it was put in the cart).",
    )
    unit_price = graphene.Field(Money, required=True)
    total_price = graphene.Field(Money, required=True)
    designer = graphene.Field(
        "designers.types.DesignerType", description="Null while the designer is not selling (not approved)."
    )
    problems = graphene.List(graphene.NonNull(CheckoutProblem), required=True)

    class Meta:
        model = CheckoutLine
        name = "CheckoutLine"
        interfaces = (relay.Node,)
        fields = ("id", "quantity")

    # Roots come from the checkout summary: each line carries its priced view in ``_view``.
    # Live catalog objects follow the storefront's visibility rule, whatever path reaches them: once
    # the product has left the storefront, the buyer sees the line as it put it in the cart (its
    # snapshot), never the draft the product may have become (issue 13, finding 7).

    def _live(root, info) -> bool:
        return catalog_selectors.can_see_product(current_user(info), root.variant.product)

    def resolve_variant_id(root, info):
        return global_id("ProductVariant", root.variant_id)

    def resolve_product_name(root, info):
        return root.variant.product.name if CheckoutLineType._live(root, info) else root.product_name

    def resolve_product_slug(root, info):
        return root.variant.product.slug if CheckoutLineType._live(root, info) else root.product_slug

    def resolve_variant_name(root, info):
        return root.variant.name if CheckoutLineType._live(root, info) else root.variant_name

    def resolve_sku(root, info):
        return root.variant.sku if CheckoutLineType._live(root, info) else root.sku

    def resolve_product_type(root, info):
        return str(root.variant.product.product_type)

    def resolve_variant(root, info):
        return root.variant if CheckoutLineType._live(root, info) else None

    def resolve_unit_price(root, info):
        return money(root._view.unit_price, root.variant.currency)

    def resolve_total_price(root, info):
        return money(root._view.total, root.variant.currency)

    def resolve_designer(root, info):
        designer = root.variant.product.designer
        return designer if catalog_selectors.can_see_designer(current_user(info), designer) else None

    def resolve_problems(root, info):
        return root._view.problems

    @classmethod
    def get_node(cls, info, id):
        user = current_user(info)
        if user is None:
            return None  # anonymous checkouts are addressed by their token only
        line = CheckoutLine.objects.filter(pk=id, checkout__user_id=user.pk).select_related("checkout__user").first()
        if line is None:
            return None
        summary = selectors.checkout_summary(line.checkout)
        return next((v.line for v in summary.lines if v.line.pk == line.pk), None)


class CheckoutPart(graphene.ObjectType):
    """One designer's part of the checkout: it becomes one order."""

    designer = graphene.Field(
        "designers.types.DesignerType", description="Null while the designer is not selling (not approved)."
    )
    lines = graphene.List(graphene.NonNull(CheckoutLineType), required=True)
    subtotal = graphene.Field(Money, required=True)
    shipping_price = graphene.Field(Money, required=True)
    total = graphene.Field(Money, required=True)
    requires_shipping = graphene.Boolean(required=True)
    shipping_method = graphene.Field(ShippingMethodType, description="The buyer's (valid) choice.")
    available_shipping_methods = graphene.List(graphene.NonNull(ShippingMethodType), required=True)
    problems = graphene.List(graphene.NonNull(CheckoutProblem), required=True)

    def resolve_designer(root, info):
        return root.designer if catalog_selectors.can_see_designer(current_user(info), root.designer) else None

    def resolve_subtotal(root, info):
        return money(root.subtotal, root.currency)

    def resolve_shipping_price(root, info):
        return money(root.shipping, root.currency)

    def resolve_total(root, info):
        return money(root.total, root.currency)

    def resolve_lines(root, info):
        return [v.line for v in root.lines]

    def resolve_available_shipping_methods(root, info):
        return root.available_methods


class CheckoutType(DjangoObjectType):
    """A cart across designers, addressed by its unguessable token (`checkout(token:)`)."""

    lines = graphene.List(graphene.NonNull(CheckoutLineType), required=True)
    parts = graphene.List(
        graphene.NonNull(CheckoutPart), required=True, description="One per designer, in the order items were added."
    )
    subtotal = graphene.Field(Money, required=True)
    shipping_price = graphene.Field(Money, required=True)
    total = graphene.Field(Money, required=True)
    requires_shipping = graphene.Boolean(required=True, description="False when every item is digital.")
    shipping_address = graphene.Field(Address)
    problems = graphene.List(
        graphene.NonNull(CheckoutProblem),
        required=True,
        description="What must be fixed before checkoutComplete can succeed (empty when ready).",
    )
    is_completed = graphene.Boolean(required=True)
    purchase = graphene.Field(PurchaseType, description="The purchase, once completed.")

    class Meta:
        model = Checkout
        name = "Checkout"
        interfaces = (relay.Node,)
        fields = ("id", "token", "email", "currency", "created_at", "updated_at", "completed_at")

    def resolve_lines(root, info):
        return [v.line for v in selectors.checkout_summary(root).lines]

    def resolve_parts(root, info):
        return selectors.checkout_summary(root).parts

    def resolve_subtotal(root, info):
        return money(selectors.checkout_summary(root).subtotal, root.currency)

    def resolve_shipping_price(root, info):
        return money(selectors.checkout_summary(root).shipping, root.currency)

    def resolve_total(root, info):
        return money(selectors.checkout_summary(root).total, root.currency)

    def resolve_requires_shipping(root, info):
        return selectors.checkout_summary(root).requires_shipping

    def resolve_shipping_address(root, info):
        return Address.from_dict(root.shipping_address)

    def resolve_problems(root, info):
        if root.completed_at is not None:
            return []
        return selectors.checkout_summary(root).problems

    def resolve_is_completed(root, info):
        return root.completed_at is not None

    def resolve_purchase(root, info):
        if root.completed_at is None:
            return None
        purchase = Purchase.objects.filter(checkout=root).first()
        if purchase is not None:
            unlock_purchase(info, purchase)
        return purchase

    @classmethod
    def get_node(cls, info, id):
        # By ID only for its signed-in owner; an anonymous checkout is reached by its token alone.
        user = current_user(info)
        if user is None:
            return None
        return Checkout.objects.select_related("user").filter(pk=id, user_id=user.pk).first()


PaymentGatewayUnavailableReason = graphene.Enum.from_enum(
    UnavailableReason,
    name="PaymentGatewayUnavailableReason",
    description="Why a gateway cannot take a checkout.",
)


@dataclass(frozen=True)
class OfferedGateway:
    """A gateway as offered for one checkout (``reason``: why it cannot take it, or None)."""

    gateway: Gateway
    reason: UnavailableReason | None = None


class PaymentGatewayType(graphene.ObjectType):
    class Meta:
        name = "PaymentGateway"

    id = graphene.ID(required=True, description="Pass it as `gateway` to checkoutComplete.")
    name = graphene.String(required=True)
    config = graphene.JSONString(required=True, description="What the client needs to pay with it (never a secret).")
    available = graphene.Boolean(
        required=True,
        description="Whether checkoutComplete accepts it for the checkout given to paymentGateways "
        "(without a checkout: whether it is enabled at all, always true).",
    )
    unavailable_reason = graphene.Field(
        PaymentGatewayUnavailableReason, description="Why it is not available for that checkout (null when it is)."
    )
    unavailable_message = graphene.String(description="The reason, in the request's language, for the buyer.")

    def resolve_id(root, info):
        return root.gateway.id

    def resolve_name(root, info):
        return root.gateway.name

    def resolve_config(root, info):
        return root.gateway.config()

    def resolve_available(root, info):
        return root.reason is None

    def resolve_unavailable_reason(root, info):
        return None if root.reason is None else root.reason.value

    def resolve_unavailable_message(root, info):
        return None if root.reason is None else unavailable_message(root.reason)


class CheckoutPaymentStatus(graphene.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class CheckoutPayment(graphene.ObjectType):
    """The payment checkoutComplete started. PENDING: confirm it in the client with `clientSecret`."""

    gateway = graphene.String(required=True)
    status = graphene.Field(CheckoutPaymentStatus, required=True)
    amount = graphene.Field(Money, required=True)
    client_secret = graphene.String(description="For the gateway's client SDK, while the payment is pending.")
    checkout_url = graphene.String(
        description="A bank-transfer gateway's (payOS) payment page, while the payment is pending."
    )
    qr_code = graphene.String(
        description="The VietQR payload to show as a QR code (payOS), while the payment is pending."
    )

    def resolve_status(root, info):
        return str(root.status)

    def resolve_amount(root, info):
        return money(root.amount, root.currency)

    def resolve_client_secret(root, info):
        return root.client_secret or None if root.status == "PENDING" else None

    def resolve_checkout_url(root, info):
        return root.checkout_url or None if root.status == "PENDING" else None

    def resolve_qr_code(root, info):
        return root.qr_code or None if root.status == "PENDING" else None
