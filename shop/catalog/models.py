from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shop.core import money
from shop.core.models import OrderedImage
from shop.core.storage import digital_file_path, private_storage, product_media_path


class Category(models.Model):
    """A tree of categories, managed by staff."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ProductType(models.TextChoices):
    PHYSICAL = "PHYSICAL", "Physical"
    DIGITAL = "DIGITAL", "Digital"


class ProductStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    PUBLISHED = "PUBLISHED", "Published"
    ARCHIVED = "ARCHIVED", "Archived"


class Product(models.Model):
    designer = models.ForeignKey("designers.Designer", on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    # Accent-folded lower-case name (``shop.core.text.fold``), kept by services: sorting by name
    # must not depend on the database collation ("Áo" sorts with "ao", not after "Z").
    sort_name = models.CharField(max_length=200, blank=True, default="", editable=False)
    # Unique per designer, not globally: a product is addressed by its designer's slug and its own,
    # and another designer's draft never answers "taken" (issue 13, finding 8).
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True, help_text="Sanitised HTML.")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    product_type = models.CharField(max_length=10, choices=ProductType.choices, default=ProductType.PHYSICAL)
    status = models.CharField(max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT)
    currency = models.CharField(max_length=3, default="VND")
    # Lowest variant price, kept by the catalog services (for sorting and price filters).
    min_price = models.DecimalField(
        max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES, null=True, blank=True
    )
    # Moderation: staff can hide a listing with a reason.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True)
    hidden_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["tags"], name="product_tags_gin"),
            models.Index(fields=["status", "-created_at", "-id"], name="product_storefront_idx"),
            models.Index(fields=["designer", "status"], name="product_designer_idx"),
            models.Index(fields=["sort_name", "id"], name="product_sort_name_idx"),
            models.Index(fields=["min_price", "id"], name="product_min_price_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["designer", "slug"], name="product_slug_unique_per_designer"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductSearch(models.Model):
    """A product's search row, one per product, kept by ``shop.catalog.services.search.sync_search``.

    Storefront search counts and ranks every match: it reads only this table (about 520 bytes a
    row; a product row with its document took 1.2 KB). ``listed`` is storefront visibility
    (published, not hidden, of an approved designer): a designer's status change rewrites its rows
    (``sync_designer_search``), so that a search joins nothing. The page's products are then loaded
    from ``catalog_product`` with the full visibility filter: a stale row can show nothing hidden.

    ``document`` (name, tags and description, accent-folded, positions stripped) is what a search
    matches; ``title`` (name weight A, tags B) is what ranks the matches."""

    product = models.OneToOneField(Product, primary_key=True, on_delete=models.CASCADE, related_name="search")
    designer = models.ForeignKey("designers.Designer", on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()
    listed = models.BooleanField()
    title = SearchVectorField()
    document = SearchVectorField()

    class Meta:
        indexes = [
            GinIndex(fields=["document"], name="product_search_document_gin"),  # staff, a designer's own
            # The storefront's: only what it shows, so a search reads no row it would leave out.
            GinIndex(fields=["document"], name="product_search_listed_gin", condition=Q(listed=True)),
        ]

    def __str__(self) -> str:
        return f"search row of product {self.product_id}"


class ProductVariant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    # Denormalised from product, so that SKUs are unique per designer at the database level.
    designer = models.ForeignKey("designers.Designer", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    attributes = models.JSONField(default=list, blank=True, help_text='[{"name": "Size", "value": "M"}, ...]')
    price_amount = models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES)
    currency = models.CharField(max_length=3, default="VND")
    # Physical goods only; never below zero (database constraint).
    stock_quantity = models.IntegerField(default=0)
    digital_file = models.FileField(
        upload_to=digital_file_path, storage=private_storage, null=True, blank=True, max_length=255
    )
    digital_file_name = models.CharField(max_length=255, blank=True)
    digital_file_size = models.PositiveBigIntegerField(null=True, blank=True)
    digital_content_type = models.CharField(max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["designer", "sku"], name="variant_sku_unique_per_designer"),
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="variant_stock_non_negative"),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="variant_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} / {self.name or self.sku}"


class ProductMedia(OrderedImage):
    owner_field = "product"
    thumbnail_prefix = "products/thumbs"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="media")
    image = models.ImageField(upload_to=product_media_path, width_field="width", height_field="height", max_length=255)
