from decimal import Decimal

import graphene
from django.utils import timezone
from graphene import relay
from graphene_django import DjangoObjectType
from graphql_relay import to_global_id as global_id

from shop.catalog.types import ProductTypeEnum
from shop.core import money as money_utils
from shop.core.graphql import current_user, error_codes
from shop.core.money_type import Money
from shop.core.money_type import money as _money
from shop.core.pagination import CountableConnection
from shop.orders import errors, selectors
from shop.orders.models import DigitalDownload, Order, OrderEvent, OrderLine, Purchase


class OrderStatusEnum(graphene.Enum):
    class Meta:
        name = "OrderStatus"

    UNPAID = "UNPAID"
    PAID = "PAID"
    UNFULFILLED_COD = "UNFULFILLED_COD"
    FULFILLED_COD = "FULFILLED_COD"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class PurchaseStatusEnum(graphene.Enum):
    class Meta:
        name = "PurchaseStatus"

    UNPAID = "UNPAID"
    PAID = "PAID"
    AWAITING_COD = "AWAITING_COD"
    CANCELLED = "CANCELLED"


OrderErrorCode = error_codes(errors.OrderErrorCode)


def money(amount, currency):
    """Money in the currency's own precision (150000 VND, never 150000.00)."""
    return _money(money_utils.quantize(amount, currency), currency)


class Address(graphene.ObjectType):
    """A Vietnamese shipping address."""

    recipient_name = graphene.String(required=True)
    phone = graphene.String(required=True, description="National form, e.g. 0912345678.")
    street_address = graphene.String(required=True)
    ward = graphene.String(required=True, description="Phường / xã.")
    district = graphene.String(required=True, description="Quận / huyện; empty for addresses without a district level.")
    province = graphene.String(required=True, description="Tỉnh / thành phố.")
    country = graphene.String(required=True)

    @staticmethod
    def from_dict(data):
        if not data:
            return None
        return Address(
            **{
                k: data.get(k, "")
                for k in ("recipient_name", "phone", "street_address", "ward", "district", "province", "country")
            }
        )


# --- who is looking -------------------------------------------------------------------------------
# `purchase(token:)` unlocks that purchase (and its orders) for the rest of the request: the token
# from the confirmation email is the anonymous buyer's proof.


def unlock_purchase(info, purchase: Purchase) -> None:
    unlocked = getattr(info.context, "_unlocked_purchases", None)
    if unlocked is None:
        unlocked = set()
        info.context._unlocked_purchases = unlocked
    unlocked.add(purchase.pk)


def unlocked_purchases(info) -> set:
    return getattr(info.context, "_unlocked_purchases", None) or set()


def is_buyer(info, purchase_id: int, purchase_user_id: int | None) -> bool:
    user = current_user(info)
    return purchase_id in unlocked_purchases(info) or (user is not None and purchase_user_id == user.pk)


def is_staff(info) -> bool:
    user = current_user(info)
    return user is not None and user.is_staff


# --- types ----------------------------------------------------------------------------------------


class DigitalDownloadType(DjangoObjectType):
    """A signed, expiring, count-limited link to a bought file (the buyer's only)."""

    url = graphene.String(required=True)
    remaining = graphene.Int(required=True, description="Downloads left.")
    is_valid = graphene.Boolean(required=True)

    class Meta:
        model = DigitalDownload
        name = "DigitalDownload"
        interfaces = (relay.Node,)
        fields = ("id", "expires_at", "max_downloads", "download_count")

    def resolve_url(root, info):
        return info.context.build_absolute_uri(selectors.download_path(root))

    def resolve_remaining(root, info):
        return max(root.max_downloads - root.download_count, 0)

    def resolve_is_valid(root, info):
        return (
            root.download_count < root.max_downloads
            and root.expires_at > timezone.now()
            and selectors.download_is_available(root)
        )

    @classmethod
    def get_node(cls, info, id):
        download = DigitalDownload.objects.select_related("line__order__purchase").filter(pk=id).first()
        if download is None:
            return None
        order = download.line.order
        return download if is_buyer(info, order.purchase_id, order.purchase.user_id) else None


class OrderLineType(DjangoObjectType):
    """What was bought, as it was at the time (a snapshot)."""

    variant_id = graphene.ID(description="The ProductVariant's global ID; null once the variant is deleted.")
    product_type = graphene.Field(ProductTypeEnum, required=True)
    unit_price = graphene.Field(Money, required=True)
    total = graphene.Field(Money, required=True)
    downloads = graphene.List(
        graphene.NonNull(DigitalDownloadType),
        required=True,
        description="Download links of a paid digital line; shown to the buyer only.",
    )

    class Meta:
        model = OrderLine
        name = "OrderLine"
        interfaces = (relay.Node,)
        fields = ("id", "product_name", "variant_name", "sku", "quantity", "refunded_quantity")

    def resolve_variant_id(root, info):
        return global_id("ProductVariant", root.variant_id) if root.variant_id else None

    def resolve_product_type(root, info):
        return str(root.product_type)

    def resolve_unit_price(root, info):
        return money(root.unit_price_amount, root.order.currency)

    def resolve_total(root, info):
        return money(root.total_amount, root.order.currency)

    def resolve_downloads(root, info):
        order = root.order
        if not is_buyer(info, order.purchase_id, order.purchase.user_id):
            return []
        return [d for d in root.downloads.all() if selectors.download_is_available(d)]

    @classmethod
    def get_node(cls, info, id):
        return selectors.line_by_id(current_user(info), id, unlocked_purchases(info))


class OrderEventType(DjangoObjectType):
    """A transition or notable fact in an order's life."""

    type = graphene.String(required=True, description="PLACED, PAID, FULFILLED, DELIVERED, CANCELLED, EXPIRED, ...")
    actor_email = graphene.String(description="Who did it (staff only see this).")
    reason = graphene.String()
    data = graphene.JSONString(description="Details (staff only).")

    class Meta:
        model = OrderEvent
        name = "OrderEvent"
        interfaces = (relay.Node,)
        fields = ("id", "created_at")

    def resolve_type(root, info):
        return root.type

    def resolve_actor_email(root, info):
        return root.actor.email if is_staff(info) and root.actor_id else None

    def resolve_reason(root, info):
        # Only a cancellation's reason is for every viewer (a payment failure's reason is staff's).
        if root.type != "CANCELLED" and not is_staff(info):
            return None
        return (root.data or {}).get("reason") or None

    def resolve_data(root, info):
        return root.data if is_staff(info) else None

    @classmethod
    def get_node(cls, info, id):
        return selectors.event_by_id(current_user(info), id, unlocked_purchases(info))


class OrderType(DjangoObjectType):
    """One designer's part of a purchase."""

    status = graphene.Field(OrderStatusEnum, required=True)
    designer = graphene.Field("designers.types.DesignerType", required=True)
    purchase = graphene.Field(lambda: PurchaseType, description="The whole purchase: the buyer and staff only.")
    buyer_email = graphene.String(description="The buyer and staff only.")
    subtotal = graphene.Field(Money, required=True)
    shipping_price = graphene.Field(Money, required=True)
    total = graphene.Field(Money, required=True)
    refunded = graphene.Field(Money, required=True)
    shipping_address = graphene.Field(Address, description="Null when the order has nothing to ship.")
    lines = graphene.List(graphene.NonNull(OrderLineType), required=True)
    events = graphene.List(graphene.NonNull(OrderEventType), required=True)
    refunds = graphene.List(
        graphene.NonNull("payments.types.RefundType"),
        required=True,
        description="The order's refunds, oldest first (an OWED one is pending until sent to the buyer).",
    )
    refund_pending = graphene.Field(
        Money,
        required=True,
        description="Refunds owed to the buyer and not yet sent to its bank account (payOS purchases); zero otherwise.",
    )

    class Meta:
        model = Order
        name = "Order"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = (
            "id",
            "number",
            "currency",
            "shipping_method_name",
            "carrier",
            "tracking_number",
            "created_at",
            "paid_at",
            "fulfilled_at",
            "delivered_at",
            "cancelled_at",
        )

    def resolve_status(root, info):
        return str(root.status)

    def resolve_designer(root, info):
        return root.designer

    def resolve_purchase(root, info):
        purchase = root.purchase
        return purchase if is_staff(info) or is_buyer(info, purchase.pk, purchase.user_id) else None

    def resolve_buyer_email(root, info):
        purchase = root.purchase
        return purchase.email if is_staff(info) or is_buyer(info, purchase.pk, purchase.user_id) else None

    def resolve_subtotal(root, info):
        return money(root.subtotal_amount, root.currency)

    def resolve_shipping_price(root, info):
        return money(root.shipping_amount, root.currency)

    def resolve_total(root, info):
        return money(root.total_amount, root.currency)

    def resolve_refunded(root, info):
        return money(root.refunded_amount, root.currency)

    def resolve_shipping_address(root, info):
        return Address.from_dict(root.shipping_address)

    def resolve_lines(root, info):
        lines = list(root.lines.all())
        for line in lines:
            line.order = root  # no query back to the order per line
        return lines

    def resolve_events(root, info):
        return list(root.events.all())

    def resolve_refunds(root, info):
        return list(root.refunds.all())

    def resolve_refund_pending(root, info):
        # From the refunds (prefetched with the order): no query of its own. An owed refund is
        # pending until its bank payout succeeds (payments/bank_payouts.py sets owed_sent_at).
        pending = sum((r.amount for r in root.refunds.all() if r.owed and r.owed_sent_at is None), Decimal(0))
        return money(pending, root.currency)

    @classmethod
    def get_node(cls, info, id):
        return selectors.order_by_id(current_user(info), id, unlocked_purchases(info))


class PurchaseType(DjangoObjectType):
    """What the buyer paid for at once: one order per designer."""

    status = graphene.Field(PurchaseStatusEnum, required=True)
    total = graphene.Field(Money, required=True)
    shipping_address = graphene.Field(Address)
    orders = graphene.List(graphene.NonNull(OrderType), required=True)

    class Meta:
        model = Purchase
        name = "Purchase"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "token", "email", "currency", "gateway", "created_at", "expires_at", "paid_at", "cancelled_at")

    def resolve_status(root, info):
        return str(root.status)

    def resolve_total(root, info):
        return money(root.total_amount, root.currency)

    def resolve_shipping_address(root, info):
        return Address.from_dict(root.shipping_address)

    def resolve_orders(root, info):
        orders = selectors.orders_of_purchase(root)
        for order in orders:
            order.purchase = root
        return orders

    @classmethod
    def get_node(cls, info, id):
        return selectors.purchase_by_id(current_user(info), id, unlocked_purchases(info))


OrderConnection = OrderType._meta.connection
PurchaseConnection = PurchaseType._meta.connection


class DateTimeRangeInput(graphene.InputObjectType):
    gte = graphene.DateTime()
    lte = graphene.DateTime()


class OrderFilterInput(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(OrderStatusEnum))
    created = graphene.Field(DateTimeRangeInput)
    search = graphene.String(description="An order number, e.g. RM10001.")


def filter_kwargs(filter) -> dict:
    filter = filter or {}
    created = filter.get("created") or {}
    statuses = filter.get("status")
    return {
        "status": [s.value if hasattr(s, "value") else s for s in statuses] if statuses else None,
        "created_gte": created.get("gte"),
        "created_lte": created.get("lte"),
        "search": filter.get("search"),
    }
