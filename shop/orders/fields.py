"""Order fields that other apps' types carry: ``Designer.orders`` (``myDesigner { orders }``) and
``User.orders`` / ``User.purchases`` (``me { orders }``). Mixed into those types so that their
modules only gain one base class."""

import graphene

from shop.core.graphql import current_user
from shop.core.pagination import connection_args, paginate
from shop.orders import selectors
from shop.orders.types import OrderConnection, OrderFilterInput, PurchaseConnection, filter_kwargs


def _can_see_designer_orders(user, designer) -> bool:
    return user is not None and (user.is_staff or designer.user_id == user.pk)


class DesignerOrderFields:
    orders = graphene.Field(
        OrderConnection,
        filter=graphene.Argument(OrderFilterInput),
        description="The designer's own orders, newest first (the designer itself and staff; null for others).",
        **connection_args(),
    )

    def resolve_orders(root, info, filter=None, **page):
        user = current_user(info)
        if not _can_see_designer_orders(user, root):
            return None
        return paginate(selectors.designer_orders(root, **filter_kwargs(filter)), OrderConnection, **page)


def _is_self_or_staff(user, root) -> bool:
    return user is not None and (user.pk == root.pk or user.is_staff)


class UserOrderFields:
    orders = graphene.Field(
        OrderConnection,
        filter=graphene.Argument(OrderFilterInput),
        description="Orders the user bought (one per designer of each purchase), newest first.",
        **connection_args(),
    )
    purchases = graphene.Field(
        PurchaseConnection,
        description="What the user paid for at once, newest first.",
        **connection_args(),
    )

    def resolve_orders(root, info, filter=None, **page):
        if not _is_self_or_staff(current_user(info), root):
            return None
        return paginate(selectors.buyer_orders(root, **filter_kwargs(filter)), OrderConnection, **page)

    def resolve_purchases(root, info, **page):
        if not _is_self_or_staff(current_user(info), root):
            return None
        return paginate(selectors.buyer_purchases(root), PurchaseConnection, **page)
