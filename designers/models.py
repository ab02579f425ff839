from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from shop.core.models import OrderedImage
from shop.core.storage import portfolio_media_path


class DesignerStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    SUSPENDED = "SUSPENDED", "Suspended"


class Designer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="designer")
    display_name = models.CharField(max_length=100)
    # Unique among designers whose slug is public (approved, or suspended and keeping it): a pending or
    # rejected applicant's slug is nobody's business, so it answers no "taken" (issue 13, finding 8);
    # approval makes it unique (designers.services.decide).
    slug = models.SlugField(max_length=60, db_index=True)
    bio = models.TextField(blank=True, max_length=5000)
    city = models.CharField(max_length=100, blank=True)
    links = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=DesignerStatus.choices, default=DesignerStatus.PENDING, db_index=True
    )
    # Platform commission as a fraction (0.15 = 15%); None uses settings.PLATFORM_COMMISSION_RATE.
    commission_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(status__in=["APPROVED", "SUSPENDED"]),
                name="designer_public_slug_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.status})"

    @property
    def is_approved(self) -> bool:
        return self.status == DesignerStatus.APPROVED

    def effective_commission_rate(self) -> Decimal:
        if self.commission_rate is not None:
            return self.commission_rate
        return Decimal(str(settings.PLATFORM_COMMISSION_RATE))


class DesignerStatusChange(models.Model):
    """One decision or application in a designer's life: who, when, from -> to, why."""

    designer = models.ForeignKey(Designer, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=DesignerStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=DesignerStatus.choices)
    reason = models.TextField(blank=True, max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class PortfolioItem(models.Model):
    """A piece of a designer's work, shown apart from what it sells."""

    designer = models.ForeignKey(Designer, on_delete=models.CASCADE, related_name="portfolio_items")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    role = models.CharField(max_length=200, blank=True, help_text="Role or credits.")
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="portfolio_items")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]


class PortfolioImage(OrderedImage):
    owner_field = "item"
    thumbnail_prefix = "portfolio/thumbs"

    item = models.ForeignKey(PortfolioItem, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=portfolio_media_path, width_field="width", height_field="height", max_length=255
    )
