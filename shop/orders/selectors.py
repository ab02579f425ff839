"""Order reads, permission-aware and N+1-free.

Who sees an order: its buyer (signed in, or anyone holding the purchase token from the
confirmation email), the designer who sells it (its own part only, never the other designers'
parts of the same purchase), and staff.
"""

from __future__ import annotations

import uuid

from django.core import signing
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from designers.models import Designer
from shop.core.validation import canonical_email
from shop.orders.models import DigitalDownload, Order, OrderEvent, OrderLine, OrderStatus, Purchase

DOWNLOAD_SALT = "shop.orders.digital-download"


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def visible_orders(user, unlocked_purchase_ids=()) -> QuerySet[Order]:
    qs = Order.objects.all()
    unlocked = list(unlocked_purchase_ids or ())
    if not _authenticated(user):
        return qs.filter(purchase_id__in=unlocked) if unlocked else qs.none()
    if user.is_staff:
        return qs
    condition = Q(purchase__user_id=user.pk) | Q(designer__user_id=user.pk)
    if unlocked:
        condition |= Q(purchase_id__in=unlocked)
    return qs.filter(condition)


def visible_purchases(user, unlocked_purchase_ids=()) -> QuerySet[Purchase]:
    qs = Purchase.objects.all()
    unlocked = list(unlocked_purchase_ids or ())
    if _authenticated(user) and user.is_staff:
        return qs
    condition = Q(pk__in=unlocked) if unlocked else Q(pk__in=[])
    if _authenticated(user):
        condition |= Q(user_id=user.pk)
    return qs.filter(condition)


def with_details(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Everything an order page shows, in a constant number of queries whatever the page size."""
    return qs.select_related("designer", "purchase").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id").prefetch_related("downloads")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")),
        "refunds",
    )


def filtered(
    qs: QuerySet[Order],
    *,
    status=None,
    created_gte=None,
    created_lte=None,
    search: str | None = None,
    designer_id: int | None = None,
    search_email: bool = False,
) -> QuerySet[Order]:
    """The order filters of the lists and of the orders export (shop/orders/exports.py)."""
    if status:
        qs = qs.filter(status__in=list(status))
    if created_gte is not None:
        qs = qs.filter(created_at__gte=created_gte)
    if created_lte is not None:
        qs = qs.filter(created_at__lte=created_lte)
    if designer_id is not None:
        qs = qs.filter(designer_id=designer_id)
    if search:
        term = search.strip()[:100]
        # Only staff search by the buyer's email (designers never learn it).
        qs = (
            qs.filter(Q(number__iexact=term) | Q(purchase__email=canonical_email(term)))
            if search_email
            else qs.filter(number__iexact=term)
        )
    return qs


def buyer_orders(user, **filters) -> QuerySet[Order]:
    if not _authenticated(user):
        return Order.objects.none()
    return with_details(filtered(Order.objects.filter(purchase__user_id=user.pk), **filters)).order_by(
        "-created_at", "-id"
    )


def buyer_purchases(user) -> QuerySet[Purchase]:
    if not _authenticated(user):
        return Purchase.objects.none()
    return (
        Purchase.objects.filter(user_id=user.pk)
        .prefetch_related(Prefetch("orders", queryset=with_details(Order.objects.order_by("id"))))
        .order_by("-created_at", "-id")
    )


def designer_orders(designer: Designer, **filters) -> QuerySet[Order]:
    return with_details(filtered(Order.objects.filter(designer=designer), **filters)).order_by("-created_at", "-id")


def staff_orders(**filters) -> QuerySet[Order]:
    return with_details(filtered(Order.objects.all(), search_email=True, **filters)).order_by("-created_at", "-id")


def order_by_id(user, pk, unlocked_purchase_ids=()) -> Order | None:
    return with_details(visible_orders(user, unlocked_purchase_ids)).filter(pk=pk).first()


def purchase_by_id(user, pk, unlocked_purchase_ids=()) -> Purchase | None:
    return visible_purchases(user, unlocked_purchase_ids).filter(pk=pk).first()


def purchase_by_token(token) -> Purchase | None:
    """Anyone holding the token from the confirmation email may read the purchase."""
    if not isinstance(token, uuid.UUID):
        try:
            token = uuid.UUID(str(token))
        except (ValueError, TypeError, AttributeError):
            return None
    return Purchase.objects.filter(token=token).first()


def orders_of_purchase(purchase: Purchase) -> list[Order]:
    cache = getattr(purchase, "_prefetched_objects_cache", {}) or {}
    if "orders" in cache:
        return list(cache["orders"])
    return list(with_details(Order.objects.filter(purchase=purchase)).order_by("id"))


def line_by_id(user, pk, unlocked_purchase_ids=()) -> OrderLine | None:
    return OrderLine.objects.filter(pk=pk, order__in=visible_orders(user, unlocked_purchase_ids)).first()


def event_by_id(user, pk, unlocked_purchase_ids=()) -> OrderEvent | None:
    return OrderEvent.objects.filter(pk=pk, order__in=visible_orders(user, unlocked_purchase_ids)).first()


def variant_in_use(*, product_id: int | None = None, variant_id: int | None = None) -> bool:
    """The ``catalog.variant_in_use`` hook (shop/catalog/hooks.py): an order line refers to the
    product's variants (or to the variant), so the catalog keeps it."""
    lines = OrderLine.objects.all()
    if product_id is not None:
        lines = lines.filter(variant__product_id=product_id)
    if variant_id is not None:
        lines = lines.filter(variant_id=variant_id)
    return lines.exists()


# --- digital downloads ----------------------------------------------------------------------------


# Orders whose files may still be downloaded.
DOWNLOADABLE = {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.DELIVERED, OrderStatus.PARTIALLY_REFUNDED}


def download_is_available(download: DigitalDownload) -> bool:
    """Whether a link still gives access to its file, apart from its expiry and count: never once the
    link is voided (lifecycle.void_downloads), its order is cancelled or refunded, its line has no
    unrefunded unit left (a partial refund of the order that covers this line), or while the
    purchase's payment is disputed. Used by the download view and the API alike."""
    line = download.line
    order = line.order
    return (
        download.voided_at is None
        and order.status in DOWNLOADABLE
        and not order.is_disputed
        and line.refunded_quantity < line.quantity
    )


def download_signed_token(download: DigitalDownload) -> str:
    return signing.Signer(salt=DOWNLOAD_SALT).sign(download.token)


def download_path(download: DigitalDownload) -> str:
    return reverse("digital-download", args=[download_signed_token(download)])


def download_by_signed_token(signed: str) -> DigitalDownload | None:
    """The download a link points to; None for a forged, altered or unknown link."""
    try:
        token = signing.Signer(salt=DOWNLOAD_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    return DigitalDownload.objects.select_related("line__order", "line__variant").filter(token=token).first()
