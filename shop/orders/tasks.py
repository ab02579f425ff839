"""Order emails and expiry, on Celery. Every task is idempotent: an email goes out once however
often its task is delivered (a sent-at mark under a row lock), and expiry only touches purchases
still unpaid past their time."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.core.emails import send_templated_email
from shop.core.money import format_money
from shop.core.queueing import RETRY, enqueue
from shop.orders import expiry, exports, hooks, selectors
from shop.orders.models import Order, OrderStatus, Purchase, PurchaseStatus

logger = logging.getLogger(__name__)


def _order_context(order: Order, language: str, *, with_downloads: bool) -> dict:
    fmt = lambda amount: format_money(amount, order.currency, language)  # noqa: E731
    lines = []
    for line in order.lines.all():
        downloads = []
        if with_downloads:
            downloads = [
                {
                    "url": settings.PUBLIC_URL.rstrip("/") + selectors.download_path(d),
                    "expires_at": d.expires_at,
                    "max": d.max_downloads,
                }
                for d in line.downloads.all()
            ]
        lines.append(
            {
                "name": line.product_name,
                "variant": line.variant_name,
                "quantity": line.quantity,
                "unit_price": fmt(line.unit_price_amount),
                "total": fmt(line.total_amount),
                "digital": line.product_type == "DIGITAL",
                "downloads": downloads,
            }
        )
    return {
        "number": order.number,
        "designer": order.designer.display_name,
        "lines": lines,
        "subtotal": fmt(order.subtotal_amount),
        "shipping": fmt(order.shipping_amount),
        "shipping_method": order.shipping_method_name,
        "total": fmt(order.total_amount),
        "address": order.shipping_address,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "cod": order.status in (OrderStatus.UNFULFILLED_COD, OrderStatus.FULFILLED_COD),
    }


@shared_task(bind=True, **RETRY)
def send_purchase_confirmation(self, purchase_id: int) -> bool:
    """One email to the buyer listing every designer's part of a paid purchase."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().filter(pk=purchase_id).first()
        if (
            purchase is None
            or purchase.confirmation_email_sent_at is not None
            or purchase.status not in (PurchaseStatus.PAID, PurchaseStatus.AWAITING_COD)
        ):
            return False
        language = purchase.language
        orders = list(selectors.with_details(Order.objects.filter(purchase=purchase)).order_by("id"))
        parts = [_order_context(o, language, with_downloads=True) for o in orders if o.status != OrderStatus.CANCELLED]
        send_templated_email(
            name="purchase_confirmation",
            language=language,
            to=[purchase.email],
            context={
                "purchase": purchase,
                "cod": purchase.status == PurchaseStatus.AWAITING_COD,
                "parts": parts,
                "numbers": ", ".join(p["number"] for p in parts),
                "total": format_money(purchase.total_amount, purchase.currency, language),
                "address": purchase.shipping_address,
                "purchase_url": f"{settings.PUBLIC_URL.rstrip('/')}/purchases/{purchase.token}",
            },
        )
        purchase.confirmation_email_sent_at = timezone.now()
        purchase.save(update_fields=["confirmation_email_sent_at"])
    return True


@shared_task(bind=True, **RETRY)
def purchase_paid_followups(self, purchase_id: int, order_ids: list[int], settle: bool = False) -> int:
    """What follows a purchase paid at checkout, queued by the request as this one task (each
    message a request publishes is time the buyer waits): the buyer's confirmation, each
    designer's new-order email and, with ``settle``, each order's settlement (``hooks.paid_followups``) — each its own
    idempotent, retried task, so queuing them again (a redelivery of this one) sends nothing twice."""
    enqueue(send_purchase_confirmation, purchase_id)
    for order_id in order_ids:
        enqueue(send_designer_new_order, order_id)
    queued = 1 + len(order_ids)
    if settle:  # what the apps above queue after a purchase paid at checkout (payments: settlements)
        queued += sum(hooks.paid_followups.send(order_ids=order_ids))
    return queued


@shared_task(bind=True, **RETRY)
def send_designer_new_order(self, order_id: int) -> bool:
    """Tell the designer about its part of a paid purchase (and nothing of the other parts)."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",)).select_related("designer__user").filter(pk=order_id).first()
        )
        if order is None or order.designer_email_sent_at is not None:
            return False
        if order.paid_at is None and order.status != OrderStatus.UNFULFILLED_COD:
            return False
        user = order.designer.user
        order = selectors.with_details(Order.objects.filter(pk=order.pk)).get()
        send_templated_email(
            name="designer_new_order",
            language=user.language,
            to=[user.email],
            context={"order": _order_context(order, user.language, with_downloads=False), "designer": order.designer},
        )
        Order.objects.filter(pk=order.pk).update(designer_email_sent_at=timezone.now())
    return True


@shared_task(bind=True, **RETRY)
def send_order_shipped(self, order_id: int) -> bool:
    """Tell the buyer that one designer's part is on its way, with the tracking number."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("purchase").filter(pk=order_id).first()
        if (
            order is None
            or order.shipped_email_sent_at is not None
            or order.fulfilled_at is None
            or not order.tracking_number
        ):
            return False
        purchase = order.purchase
        order = selectors.with_details(Order.objects.filter(pk=order.pk)).get()
        send_templated_email(
            name="order_shipped",
            language=purchase.language,
            to=[purchase.email],
            context={
                "order": _order_context(order, purchase.language, with_downloads=False),
                "purchase_url": f"{settings.PUBLIC_URL.rstrip('/')}/purchases/{purchase.token}",
            },
        )
        Order.objects.filter(pk=order.pk).update(shipped_email_sent_at=timezone.now())
    return True


@shared_task(bind=True, **RETRY)
def expire_unpaid_purchases(self) -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): cancel unpaid purchases past PURCHASE_EXPIRY_MINUTES and
    return their stock."""
    return expiry.expire_unpaid_purchases()


@shared_task(bind=True, **RETRY)
def run_export(self, job_id: int) -> bool:
    """Write an export's CSV (shop/orders/exports.py); a failure marks the job FAILED."""
    try:
        return exports.run(job_id)
    except Exception as exc:
        logger.exception("export %s failed", job_id)
        exports.fail(job_id, f"{type(exc).__name__}: {exc}")
        return False


@shared_task(bind=True, **RETRY)
def purge_exports(self) -> int:
    """Daily: exports older than EXPORT_RETENTION_DAYS are deleted with their files."""
    return exports.purge()
