from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shop.core import money


class ShippingMethod(models.Model):
    """A way a designer ships its goods: price, free above a threshold, delivery estimate."""

    designer = models.ForeignKey("designers.Designer", on_delete=models.CASCADE, related_name="shipping_methods")
    name = models.CharField(max_length=100)
    price_amount = models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES)
    currency = models.CharField(max_length=3, default="VND")
    free_above_amount = models.DecimalField(
        max_digits=money.MAX_DIGITS,
        decimal_places=money.DECIMAL_PLACES,
        null=True,
        blank=True,
        help_text="Shipping is free when the designer's subtotal reaches this amount.",
    )
    min_days = models.PositiveSmallIntegerField(default=1)
    max_days = models.PositiveSmallIntegerField(default=5)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["price_amount", "id"]
        constraints = [models.CheckConstraint(condition=Q(price_amount__gte=0), name="shipping_price_non_negative")]


class Checkout(models.Model):
    """One cart across designers, addressed by an unguessable token."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="checkouts")
    email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3, default="VND")
    # Vietnamese address form: recipient, phone, street, ward, district, province/city.
    shipping_address = models.JSONField(null=True, blank=True)
    language = models.CharField(max_length=5, default="vi")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)


class CheckoutLine(models.Model):
    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # What the buyer saw when it last put the variant in the cart (cart.snapshot_line): shown
    # instead of the live catalog once the product leaves the storefront, so that a draft's new name,
    # slug, SKU or price never reaches the buyer (issue 13, finding 7).
    product_name = models.CharField(max_length=200, default="", editable=False)
    product_slug = models.CharField(max_length=80, default="", editable=False)
    variant_name = models.CharField(max_length=100, default="", editable=False)
    sku = models.CharField(max_length=64, default="", editable=False)
    unit_price_amount = models.DecimalField(
        max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES, null=True, editable=False
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checkout", "variant"], name="checkout_line_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="checkout_line_quantity_positive"),
        ]


class CheckoutShippingChoice(models.Model):
    """The shipping method the buyer picked for one designer's part of the checkout."""

    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="shipping_choices")
    designer = models.ForeignKey("designers.Designer", on_delete=models.CASCADE, related_name="+")
    shipping_method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkout", "designer"], name="checkout_one_method_per_designer")
        ]
