"""Abstract models shared by the apps (core has no tables of its own)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class OrderedImage(models.Model):
    """An image in an explicit order under an owner: product media (``catalog.ProductMedia``) and
    portfolio images (``designers.PortfolioImage``). One pipeline serves both
    (``shop.core.ordered_images``): upload and re-encode, reorder, delete, thumbnails.

    A concrete subclass declares the foreign key to its owner, its ``image`` field (for its own
    ``upload_to``), ``owner_field`` (the name of that foreign key) and ``thumbnail_prefix`` (where
    its thumbnails are stored)."""

    owner_field: ClassVar[str]
    thumbnail_prefix: ClassVar[str]

    image = models.ImageField(width_field="width", height_field="height", max_length=255)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt = models.CharField(max_length=250, blank=True)
    position = models.PositiveIntegerField(default=0)
    # {"256": "products/thumbs/ab/….webp", ...}: filled by the thumbnail task after commit.
    thumbnails = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def stored_files(self) -> list[str]:
        """The names of the image and its thumbnails in the default storage."""
        return [self.image.name, *(self.thumbnails or {}).values()]
