from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shop.core import money


def _money_field(**kwargs):
    return models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES, **kwargs)


class PurchaseStatus(models.TextChoices):
    UNPAID = "UNPAID", "Unpaid"
    PAID = "PAID", "Paid"
    # Cash on delivery: placed, each order paid to its courier when it arrives (nothing expires).
    AWAITING_COD = "AWAITING_COD", "Awaiting cash on delivery"
    CANCELLED = "CANCELLED", "Cancelled"


class Purchase(models.Model):
    """What the buyer paid for at once: one Order per designer, one payment."""

    token = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Lets an anonymous buyer read it."
    )
    checkout = models.OneToOneField(
        "checkout.Checkout", null=True, blank=True, on_delete=models.SET_NULL, related_name="purchase"
    )
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="purchases"
    )
    email = models.EmailField()
    language = models.CharField(max_length=5, default="vi")
    currency = models.CharField(max_length=3, default="VND")
    total_amount = _money_field()
    status = models.CharField(
        max_length=12, choices=PurchaseStatus.choices, default=PurchaseStatus.UNPAID, db_index=True
    )
    gateway = models.CharField(max_length=32)
    shipping_address = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The buyer's confirmation email went out (the task is idempotent on this).
    confirmation_email_sent_at = models.DateTimeField(null=True, blank=True)


class OrderStatus(models.TextChoices):
    UNPAID = "UNPAID", "Unpaid"
    PAID = "PAID", "Paid"
    # Cash on delivery: to ship, to be paid on delivery; then shipped, still to be paid on delivery.
    # Collected: DELIVERED (paid); refused by the buyer: CANCELLED.
    UNFULFILLED_COD = "UNFULFILLED_COD", "To ship, to be paid on delivery"
    FULFILLED_COD = "FULFILLED_COD", "Shipped, to be paid on delivery"
    FULFILLED = "FULFILLED", "Fulfilled"
    DELIVERED = "DELIVERED", "Delivered"
    CANCELLED = "CANCELLED", "Cancelled"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", "Partially refunded"
    REFUNDED = "REFUNDED", "Refunded"


class Order(models.Model):
    """One designer's part of a purchase."""

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="orders")
    designer = models.ForeignKey("designers.Designer", on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.UNPAID, db_index=True)
    currency = models.CharField(max_length=3, default="VND")
    subtotal_amount = _money_field()
    shipping_amount = _money_field(default=0)
    total_amount = _money_field()
    refunded_amount = _money_field(default=0)
    shipping_method_name = models.CharField(max_length=100, blank=True)
    shipping_address = models.JSONField(null=True, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    is_disputed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Emails about this order went out (the tasks are idempotent on these).
    designer_email_sent_at = models.DateTimeField(null=True, blank=True)
    shipped_email_sent_at = models.DateTimeField(null=True, blank=True)
    # Cash on delivery: the buyer's email about the collection or the refusal went out.
    cod_email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["designer", "status", "-created_at"], name="order_designer_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("total_amount")), name="order_refund_not_over_total"
            ),
        ]


class OrderLine(models.Model):
    """A snapshot of what was bought: it never changes when the product does."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_name = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=100, blank=True)
    sku = models.CharField(max_length=64)
    product_type = models.CharField(max_length=10)
    unit_price_amount = _money_field()
    quantity = models.PositiveIntegerField()
    total_amount = _money_field()
    refunded_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]


class OrderEventType:
    """Values of ``OrderEvent.type`` (free text in the database, so that other apps can add theirs)."""

    PLACED = "PLACED"
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYMENT_AFTER_CANCELLATION = "PAYMENT_AFTER_CANCELLATION"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    DOWNLOADS_ISSUED = "DOWNLOADS_ISSUED"
    EMAIL_SENT = "EMAIL_SENT"
    COD_COLLECTED = "COD_COLLECTED"
    COD_REFUSED = "COD_REFUSED"


class OrderEvent(models.Model):
    """Every transition and notable fact: who, when, what."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class DigitalDownload(models.Model):
    """A signed, expiring, count-limited link to a paid digital line's file."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="downloads")
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveIntegerField(default=5)
    download_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the line stops giving access for good (cancelled, refunded, chargeback lost):
    # shop.orders.lifecycle.void_downloads. selectors.download_is_available is the whole rule.
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(download_count__lte=models.F("max_downloads")), name="download_count_within_limit"
            ),
        ]


class ExportJob(models.Model):
    """A CSV export (orders, or the sales series) written by a Celery task to private storage,
    for its owner only; deleted with its file after EXPORT_RETENTION_DAYS (shop/orders/exports.py)."""

    class Kind(models.TextChoices):
        ORDERS = "ORDERS", "Orders"
        SALES = "SALES", "Sales"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        RUNNING = "RUNNING", "Running"
        DONE = "DONE", "Done"
        FAILED = "FAILED", "Failed"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    # The designer whose data it is; null: staff's export of the whole marketplace.
    designer = models.ForeignKey(
        "designers.Designer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent.")
    row_count = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True, help_text="In the private storage.")
    run_token = models.CharField(max_length=32, blank=True, help_text="The run that owns the job now.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
