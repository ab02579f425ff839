from __future__ import annotations

from django.db import models
from django.utils import timezone

from shop.core import money


class Payment(models.Model):
    """One attempt to pay a purchase through a gateway."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"
        CANCELLED = "CANCELLED", "Cancelled"

    purchase = models.ForeignKey("orders.Purchase", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    psp_reference = models.CharField(max_length=255, blank=True, db_index=True)
    client_secret = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
