import graphene

from shop.core.graphql import BaseMutation, error_type, require_user
from shop.core.ids import decode_id
from shop.orders import lifecycle, selectors
from shop.orders.types import OrderErrorCode, OrderType

OrderError = error_type("OrderError", OrderErrorCode)


class OrderMutation(BaseMutation):
    class Meta:
        abstract = True

    error_codes = OrderErrorCode
    errors = graphene.List(graphene.NonNull(OrderError), required=True)
    order = graphene.Field(OrderType)

    @classmethod
    def reloaded(cls, info, order):
        return cls(order=selectors.order_by_id(require_user(info), order.pk))


class OrderFulfillInput(graphene.InputObjectType):
    carrier = graphene.String(required=True, description="e.g. GHN, GHTK, Viettel Post, VNPost.")
    tracking_number = graphene.String(required=True)


class OrderFulfill(OrderMutation):
    """The designer ships its paid order (PAID → FULFILLED); the buyer is emailed the tracking."""

    class Arguments:
        id = graphene.ID(required=True)
        input = OrderFulfillInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        user = require_user(info)
        order = lifecycle.fulfill_order(
            order_id=decode_id(id, "Order"),
            actor=user,
            carrier=input.get("carrier"),
            tracking_number=input.get("tracking_number"),
        )
        return cls.reloaded(info, order)


class OrderMarkDelivered(OrderMutation):
    """The designer (or staff) records that a fulfilled order arrived (FULFILLED → DELIVERED)."""

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform(cls, root, info, id):
        user = require_user(info)
        order = lifecycle.mark_order_delivered(order_id=decode_id(id, "Order"), actor=user)
        return cls.reloaded(info, order)


class OrderCancelInput(graphene.InputObjectType):
    reason = graphene.String()


class OrderCancel(OrderMutation):
    """The buyer cancels an unpaid order; staff cancel an unpaid or paid one (a paid one is then
    due a refund). Stock returns."""

    class Arguments:
        id = graphene.ID(required=True)
        input = OrderCancelInput()

    @classmethod
    def perform(cls, root, info, id, input=None):
        user = require_user(info)
        order = lifecycle.cancel_order(order_id=decode_id(id, "Order"), actor=user, reason=(input or {}).get("reason"))
        return cls.reloaded(info, order)


class OrderMutations(graphene.ObjectType):
    order_fulfill = OrderFulfill.Field()
    order_mark_delivered = OrderMarkDelivered.Field()
    order_cancel = OrderCancel.Field()
