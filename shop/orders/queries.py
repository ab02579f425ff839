import graphene

from shop.core.graphql import require_staff
from shop.core.ids import parse_global_id
from shop.core.pagination import connection_args, paginate
from shop.core.scalars import UUIDScalar
from shop.orders import selectors
from shop.orders.types import (
    DateTimeRangeInput,
    OrderConnection,
    OrderStatusEnum,
    PurchaseType,
    filter_kwargs,
    unlock_purchase,
)


class StaffOrderFilterInput(graphene.InputObjectType):
    status = graphene.List(graphene.NonNull(OrderStatusEnum))
    created = graphene.Field(DateTimeRangeInput)
    search = graphene.String(description="An order number (RM10001) or the buyer's email.")
    designer = graphene.ID(description="A Designer's global ID.")


class OrderQueries(graphene.ObjectType):
    purchase = graphene.Field(
        PurchaseType,
        token=UUIDScalar(required=True),
        description="A purchase by the token from its confirmation email (anonymous buyers included).",
    )
    orders = graphene.Field(
        graphene.NonNull(OrderConnection),
        filter=StaffOrderFilterInput(),
        description="Staff: every order, newest first.",
        **connection_args(),
    )

    def resolve_purchase(root, info, token):
        purchase = selectors.purchase_by_token(token)
        if purchase is not None:
            unlock_purchase(info, purchase)
        return purchase

    def resolve_orders(root, info, filter=None, **page):
        require_staff(info)
        kwargs = filter_kwargs(filter)
        designer = (filter or {}).get("designer")
        if designer:
            parsed = parse_global_id(designer, "Designer")
            kwargs["designer_id"] = parsed[1] if parsed else 0  # a malformed or foreign ID matches nothing
        return paginate(selectors.staff_orders(**kwargs), OrderConnection, **page)
