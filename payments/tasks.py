"""Celery tasks of the payments app; every one is idempotent and safe to deliver twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from payments import services, webhooks
from payments.gateways.base import GatewayError
from payments.models import Dispute, Refund, StripeEvent
from shop.core.emails import send_templated_email

RETRY = {"retry_backoff": True, "retry_backoff_max": 600, "retry_jitter": True}


def display_amount(amount, currency: str, language: str) -> str:
    """150000 VND -> "150.000 ₫" (vi) / "150,000 VND" (en), like every email (shop.core.money)."""
    return services.money.format_money(amount, currency, language)


@shared_task(bind=True, autoretry_for=(Exception,), max_retries=8, **RETRY)
def process_stripe_event(self, event_pk: int) -> str:
    """Process one stored webhook event; an unexpected error is recorded on the event and retried
    with backoff (the handlers are idempotent)."""
    return webhooks.process_event(event_pk)


@shared_task
def retry_failed_stripe_events() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): events whose processing kept failing after the task's own
    retries (e.g. a long database or Stripe outage) are tried again, up to STRIPE_EVENT_MAX_ATTEMPTS."""
    pks = list(
        StripeEvent.objects.filter(status=StripeEvent.Status.FAILED, attempts__lt=settings.STRIPE_EVENT_MAX_ATTEMPTS)
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        process_stripe_event.delay(pk)
    return len(pks)


@shared_task(bind=True, autoretry_for=(GatewayError, OperationalError, InterfaceError), max_retries=10, **RETRY)
def settle_order_task(self, order_id: int) -> int:
    """Transfer (or reverse) a designer's share of one order; retried while the provider is down."""
    return len(services.settle_order(order_id=order_id))


def queue_settlements(*, order_ids: list[int]) -> int:
    """The ``orders.paid_followups`` hook (shop/orders/hooks.py): a purchase paid at checkout has
    each order's settlement queued by the task that queues its emails. Returns the tasks queued."""
    for order_id in order_ids:
        settle_order_task.delay(order_id)
    return len(order_ids)


@shared_task(bind=True, autoretry_for=(OperationalError, InterfaceError), max_retries=5, **RETRY)
def settle_designer_task(self, designer_id: int) -> int:
    """Payouts were just enabled: settle every order the designer accrued."""
    order_ids = services.orders_to_settle(designer_id)
    for order_id in order_ids:
        settle_order_task.delay(order_id)
    return len(order_ids)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_refund_email(self, refund_id: int) -> bool:
    """Tell the buyer about a refund, once."""
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("order__purchase", "order__designer")
            .filter(pk=refund_id)
            .first()
        )
        if refund is None or refund.email_sent_at is not None:
            return False
        purchase = refund.order.purchase
        send_templated_email(
            name="order_refunded",
            language=purchase.language,
            to=[purchase.email],
            context={
                "refund": refund,
                "order": refund.order,
                "designer": refund.order.designer,
                "refund_amount": display_amount(refund.amount, refund.currency, purchase.language),
                "refunded_total": display_amount(refund.order.refunded_amount, refund.currency, purchase.language),
                "order_total": display_amount(refund.order.total_amount, refund.currency, purchase.language),
            },
        )
        refund.email_sent_at = timezone.now()
        refund.save(update_fields=["email_sent_at"])
    return True


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_dispute_email(self, dispute_pk: int) -> bool:
    """Tell staff about a chargeback, once."""
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update(of=("self",))
            .select_related("payment__purchase")
            .filter(pk=dispute_pk)
            .first()
        )
        if dispute is None or dispute.staff_notified_at is not None:
            return False
        orders = list(dispute.payment.purchase.orders.select_related("designer").order_by("pk"))
        send_templated_email(
            name="order_disputed",
            language=settings.LANGUAGE_CODE,
            to=[settings.STAFF_NOTIFICATION_EMAIL],
            context={
                "dispute": dispute,
                "purchase": dispute.payment.purchase,
                "orders": [(o, display_amount(o.total_amount, o.currency, settings.LANGUAGE_CODE)) for o in orders],
                "amount": display_amount(
                    services.money.from_minor(dispute.amount, dispute.currency),
                    dispute.currency,
                    settings.LANGUAGE_CODE,
                ),
            },
        )
        dispute.staff_notified_at = timezone.now()
        dispute.save(update_fields=["staff_notified_at"])
    return True
