"""Who sees a product:
- everyone: PUBLISHED, not hidden by staff (``hidden_at`` is null), of an APPROVED designer. The
  designer's status is part of the filter, so suspending a designer takes all its products off the
  storefront at once and reinstating brings them back, without touching the products;
- the designer who owns it: always (drafts, archived, hidden — with the moderation reason);
- staff: everything.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shop.catalog import hooks
from shop.catalog.models import Product, ProductStatus


def _user(user):
    return user if user is not None and user.is_authenticated else None


def is_staff(user) -> bool:
    user = _user(user)
    return bool(user and user.is_staff)


def storefront_q(prefix: str = "") -> Q:
    """The public-visibility condition (``prefix`` for use through a relation, e.g. ``product__``)."""
    return Q(
        **{
            f"{prefix}status": ProductStatus.PUBLISHED,
            f"{prefix}hidden_at__isnull": True,
            f"{prefix}designer__status": hooks.designers.one().listed_status,
        }
    )


def on_storefront(product: Product) -> bool:
    """``storefront_q`` for one loaded product (with its designer): published, not hidden, of an
    approved designer."""
    return (
        product.status == ProductStatus.PUBLISHED
        and product.hidden_at is None
        and product.designer.status == hooks.designers.one().listed_status
    )


def can_see_product(user, product: Product) -> bool:
    """Whether ``user`` may see ``product`` as the catalog has it now, however it was reached (a cart
    line, an order, a portfolio link...): on the storefront, or the owner's or staff's."""
    return on_storefront(product) or can_manage(user, product.designer.user_id)


def can_see_designer(user, designer) -> bool:
    """The storefront's rule for a designer reached through another object: approved, or its own
    user's or staff's."""
    return designer.status == hooks.designers.one().listed_status or can_manage(user, designer.user_id)


def storefront_products() -> QuerySet[Product]:
    return Product.objects.filter(storefront_q())


def visible_products(user) -> QuerySet[Product]:
    user = _user(user)
    if user is not None and user.is_staff:
        return Product.objects.all()
    if user is not None:
        return Product.objects.filter(storefront_q() | Q(designer__user_id=user.pk))
    return storefront_products()


def can_manage(user, designer_user_id: int) -> bool:
    """Owner or staff: may see a product's private side (drafts, moderation, digital files)."""
    user = _user(user)
    return user is not None and (user.is_staff or user.pk == designer_user_id)
