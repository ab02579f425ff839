"""Celery tasks of the payments app; every one is idempotent and safe to deliver twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from payments import bank_payouts, payos_webhooks, refunds, transfers, webhooks
from payments.banks import bank_by_bin
from payments.gateways.base import GatewayError
from payments.models import BankAccountChange, BankPayout, Dispute, PayosEvent, ProviderEvent, Refund, StripeEvent
from shop.core.emails import send_once
from shop.core.money import format_money, from_minor
from shop.core.queueing import RETRY, TRANSIENT_ERRORS, enqueue
from shop.orders.models import Order, OrderStatus

logger = logging.getLogger(__name__)


@shared_task(bind=True, **{**RETRY, "autoretry_for": (Exception,)})
def process_stripe_event(self, event_pk: int) -> str:
    """Process one stored webhook event; an unexpected error is recorded on the event and retried
    with backoff (the handlers are idempotent)."""
    return webhooks.process_event(event_pk)


@shared_task(bind=True, **RETRY)
def retry_failed_stripe_events(self) -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): events whose processing kept failing after the task's own
    retries (e.g. a long database or Stripe outage) are tried again, up to STRIPE_EVENT_MAX_ATTEMPTS."""
    return _retry_failed(StripeEvent, settings.STRIPE_EVENT_MAX_ATTEMPTS, process_stripe_event)


@shared_task(bind=True, **{**RETRY, "autoretry_for": (Exception,)})
def process_payos_event(self, event_pk: int) -> str:
    """Process one stored payOS webhook; an unexpected error is recorded on the event and retried
    with backoff (processing is idempotent)."""
    return payos_webhooks.process(event_pk)


@shared_task(bind=True, **RETRY)
def retry_failed_payos_events(self) -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): payOS deliveries whose processing kept failing are tried
    again, up to PAYOS_EVENT_MAX_ATTEMPTS."""
    return _retry_failed(PayosEvent, settings.PAYOS_EVENT_MAX_ATTEMPTS, process_payos_event)


def _retry_failed(model: type[ProviderEvent], max_attempts: int, process) -> int:
    """The stored notifications left FAILED with attempts to spare, oldest first, queued again."""
    pks = list(
        model.objects.filter(status=model.Status.FAILED, attempts__lt=max_attempts)
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        enqueue(process, pk)
    return len(pks)


@shared_task(bind=True, **{**RETRY, "autoretry_for": (*TRANSIENT_ERRORS, GatewayError), "max_retries": 10})
def settle_order_task(self, order_id: int) -> int:
    """Transfer (or reverse) a designer's share of one order; retried while the provider is down."""
    return len(transfers.settle_order(order_id=order_id))


def queue_settlements(*, order_ids: list[int]) -> int:
    """The ``orders.paid_followups`` hook (shop/orders/hooks.py): a purchase paid at checkout has
    each order's settlement queued by the task that queues its emails. Returns the tasks queued."""
    for order_id in order_ids:
        enqueue(settle_order_task, order_id)
    return len(order_ids)


@shared_task(bind=True, **RETRY)
def settle_designer_task(self, designer_id: int) -> int:
    """Payouts were just enabled: settle every order the designer accrued."""
    order_ids = transfers.orders_to_settle(designer_id)
    for order_id in order_ids:
        enqueue(settle_order_task, order_id)
    return len(order_ids)


@shared_task(bind=True, **RETRY)
def resume_pending_refunds(self) -> int:
    """Periodic: finish the refunds the provider has not answered yet (same key, same amount)."""
    return refunds.resume_pending_refunds()


@shared_task(bind=True, **RETRY)
def send_refund_email(self, refund_id: int) -> bool:
    """Tell the buyer about a refund, once."""

    def email(refund):
        if refund.owed and refund.owed_sent_at is None:
            return None  # owed to the buyer: the email goes out once the bank payout is sent
        purchase = refund.order.purchase
        return {
            "name": "order_refunded",
            "language": purchase.language,
            "to": [purchase.email],
            "context": {
                "refund": refund,
                "order": refund.order,
                "designer": refund.order.designer,
                "refund_amount": format_money(refund.amount, refund.currency, purchase.language),
                "refunded_total": format_money(refund.order.refunded_amount, refund.currency, purchase.language),
                "order_total": format_money(refund.order.total_amount, refund.currency, purchase.language),
            },
        }

    return send_once(Refund.objects.select_related("order__purchase", "order__designer"), refund_id, email)


@shared_task(bind=True, **RETRY)
def send_dispute_email(self, dispute_pk: int) -> bool:
    """Tell staff about a chargeback, once."""

    def email(dispute):
        orders = list(dispute.payment.purchase.orders.select_related("designer").order_by("pk"))
        language = settings.LANGUAGE_CODE
        return {
            "name": "order_disputed",
            "language": language,
            "to": [settings.STAFF_NOTIFICATION_EMAIL],
            "context": {
                "dispute": dispute,
                "purchase": dispute.payment.purchase,
                "orders": [(o, format_money(o.total_amount, o.currency, language)) for o in orders],
                "amount": format_money(from_minor(dispute.amount, dispute.currency), dispute.currency, language),
            },
        }

    return send_once(
        Dispute.objects.select_related("payment__purchase"), dispute_pk, email, sent_field="staff_notified_at"
    )


@shared_task(bind=True, **RETRY)
def send_cod_outcome_email(self, order_id: int) -> bool:
    """Tell the buyer that a cash-on-delivery order was paid at the door (a receipt) or, refused,
    cancelled; once."""

    def email(order):
        collected = order.paid_at is not None
        if not collected and order.status != OrderStatus.CANCELLED:
            return None  # still on its way
        purchase = order.purchase
        language = purchase.language
        refusal = order.events.filter(type="COD_REFUSED").order_by("-id").first()
        return {
            "name": "order_cod_collected" if collected else "order_cod_refused",
            "language": language,
            "to": [purchase.email],
            "context": {
                "order": order,
                "designer": order.designer,
                "total": format_money(order.total_amount, order.currency, language),
                "reason": (refusal.data.get("reason") if refusal else "") or "",
                "purchase_url": f"{settings.PUBLIC_URL.rstrip('/')}/purchases/{purchase.token}",
            },
        }

    return send_once(
        Order.objects.select_related("purchase", "designer"), order_id, email, sent_field="cod_email_sent_at"
    )


@shared_task(bind=True, **RETRY)
def send_bank_account_changed_email(self, change_id: int) -> bool:
    """Tell the designer its payout bank account was set or changed (last four digits only), once."""

    def email(change):
        user = change.designer.user
        bank = bank_by_bin(change.bank_bin)
        previous = bank_by_bin(change.previous_bank_bin) if change.previous_bank_bin else None
        return {
            "name": "bank_account_changed",
            "language": user.language,
            "to": [user.email],
            "context": {
                "designer": change.designer,
                "bank": bank.short_name if bank else change.bank_bin,
                "last4": change.account_last4,
                "holder": change.account_holder,
                "previous_bank": (previous.short_name if previous else change.previous_bank_bin),
                "previous_last4": change.previous_last4,
                "changed_at": change.created_at,
            },
        }

    return send_once(BankAccountChange.objects.select_related("designer__user"), change_id, email)


# --- bank payouts (payOS) ---------------------------------------------------------------------


@shared_task(bind=True, **{**RETRY, "max_retries": 5})
def run_payouts(self, run: str | None = None) -> int:
    """Weekly (PAYOUT_SCHEDULE): write this run's payouts, one per designer, and send each. Running
    it twice (a redelivery, two beats) pays nobody twice: see payments/bank_payouts.py."""
    ids = bank_payouts.start_run(run=run)
    for pk in ids:
        enqueue(send_bank_payout, pk)
    return len(ids)


@shared_task(bind=True, **{**RETRY, "autoretry_for": (*TRANSIENT_ERRORS, GatewayError), "max_retries": 10})
def send_bank_payout(self, payout_id: int) -> str:
    """Send one PENDING payout (retried with the same reference id while payOS is down)."""
    return bank_payouts.send(payout_id).status


@shared_task(bind=True, **{**RETRY, "max_retries": 3})
def check_payouts(self) -> int:
    """Periodic: poll payOS for payouts still processing; send again those left PENDING."""
    processing, stale = bank_payouts.due_for_check()
    for pk in processing:
        try:
            bank_payouts.poll(pk)
        except GatewayError as exc:
            logger.warning("cannot poll payout %s: %s", pk, exc)
    for pk in stale:
        enqueue(send_bank_payout, pk)
    return len(processing) + len(stale)


@shared_task(bind=True, **RETRY)
def send_payout_failed_email(self, payout_id: int) -> bool:
    """Tell the designer that a payout failed and the money is back in its balance, once."""

    def email(row):
        user = row.designer.user
        return {
            "name": "payout_failed",
            "language": user.language,
            "to": [user.email],
            "context": {
                "designer": row.designer,
                "amount": format_money(from_minor(row.amount, row.currency), row.currency, user.language),
                "last4": row.account_last4,
                "reference": row.reference_id,
            },
        }

    failed = BankPayout.objects.filter(status=BankPayout.Status.FAILED, kind=BankPayout.Kind.DESIGNER)
    return send_once(failed.select_related("designer__user"), payout_id, email)
