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
    # approval makes it unique (designers.services.profiles.decide).
    slug = models.SlugField(max_length=60, db_index=True)
    bio = models.TextField(blank=True, max_length=5000)
    city = models.CharField(max_length=100, blank=True)
    links = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=DesignerStatus.choices, default=DesignerStatus.PENDING, db_index=True
    )
    # Platform commission as a fraction (0.15 = 15%); None uses settings.PLATFORM_COMMISSION_RATE.
    commission_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    # False: purchases including this designer's products are not offered cash on delivery.
    accepts_cash_on_delivery = models.BooleanField(default=True, db_default=True)
    # The Monday email with last week's sales (designers/digest.py); the designer switches it off.
    weekly_digest = models.BooleanField(default=True, db_default=True)
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


# --- sales tracking: daily rollups (designers/sales.py writes them, designers/sales_selectors.py reads) ---
# Amounts are integers in the currency's smallest unit; days are calendar days in
# settings.MARKETPLACE_TIME_ZONE. The payments services update them in the transaction that moves
# the money; ``manage.py rebuild_sales`` recomputes them from orders, payments and refunds.


class SalesDay(models.Model):
    """A designer's sales on one day in one currency. Net earnings = gross - refunds - commission."""

    designer = models.ForeignKey(Designer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    gross = models.BigIntegerField(default=0, help_text="Totals of the orders paid that day.")
    refunds = models.BigIntegerField(default=0, help_text="Refunds made and disputes lost (minus disputes won).")
    commission = models.BigIntegerField(default=0, help_text="Commission taken, minus commission given back.")
    orders = models.IntegerField(default=0, help_text="Orders paid that day.")
    units = models.IntegerField(default=0, help_text="Units in the orders paid that day.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["designer", "day", "currency"], name="salesday_designer_day_currency")
        ]
        indexes = [models.Index(fields=["day", "currency"], name="salesday_day_idx")]


class ProductSalesDay(models.Model):
    """One product's sales on one day in one currency (its lines in the orders paid that day)."""

    designer = models.ForeignKey(Designer, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    revenue = models.BigIntegerField(default=0, help_text="Line totals of the orders paid that day.")
    refunds = models.BigIntegerField(default=0, help_text="Value of its lines refunded that day.")
    orders = models.IntegerField(default=0, help_text="Orders paid that day containing the product.")
    units = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "day", "currency"], name="productsalesday_unique")]
        indexes = [models.Index(fields=["designer", "day"], name="productsalesday_designer_idx")]


class ProductViewDay(models.Model):
    """Distinct visitors who viewed a product on one day (written in bulk from Redis)."""

    designer = models.ForeignKey(Designer, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    views = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "day"], name="productviewday_unique")]
        indexes = [models.Index(fields=["designer", "day"], name="productviewday_designer_idx")]


class BuyerDay(models.Model):
    """A buyer (account, or guest email) who paid at least one order that day: the staff's
    ``buyers`` count distinct ``buyer`` over a period without reading the orders."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    buyer = models.CharField(max_length=80, help_text='"u:<user id>" or "e:<sha256 of the lower-cased email>".')

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "currency", "buyer"], name="buyerday_unique")]


class WeeklyDigest(models.Model):
    """One designer's digest of one week (Monday ``week_start`` to Sunday): written once (unique),
    then sent once (``sent_at``, under the row's lock), however often beat fires."""

    designer = models.ForeignKey(Designer, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["designer", "week_start"], name="weeklydigest_unique")]
