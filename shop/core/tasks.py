from __future__ import annotations

import io
import logging

from celery import shared_task
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from shop.core import readcache
from shop.core.images import make_thumbnail, thumbnail_sizes
from shop.core.models import OrderedImage
from shop.core.storage import random_name

logger = logging.getLogger(__name__)


def _thumbnail_model(model_label: str) -> type[OrderedImage]:
    """The ordered-image model named ``model_label`` (only those get thumbnails)."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        model = None
    if model is None or not issubclass(model, OrderedImage):
        raise ValueError(f"no thumbnails for {model_label}")
    return model


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def make_thumbnails(self, model_label: str, pk: int) -> list[int]:
    """WebP thumbnails of a stored (already validated and re-encoded) image, one per
    ``settings.THUMBNAIL_SIZES``. Idempotent: sizes that exist are kept; a second delivery of the
    task makes nothing; when the image was deleted meanwhile, what was made is removed again.
    Returns the sizes it added."""
    model = _thumbnail_model(model_label)
    row = model.objects.filter(pk=pk).only("pk", "image", "thumbnails").first()
    if row is None:
        return []
    missing = [size for size in thumbnail_sizes() if str(size) not in (row.thumbnails or {})]
    if not missing:
        return []
    with row.image.open("rb") as handle:
        data = handle.read()
    made: dict[str, str] = {}
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            for size in missing:
                name = default_storage.save(
                    random_name(model.thumbnail_prefix, "webp"), ContentFile(make_thumbnail(image, size))
                )
                made[str(size)] = name
        with transaction.atomic():
            locked = model.objects.select_for_update().filter(pk=pk).only("pk", "thumbnails").first()
            if locked is None:
                unused = list(made.values())
                added = []
            else:
                thumbnails = dict(locked.thumbnails or {})
                unused = [name for key, name in made.items() if key in thumbnails]
                added = [int(key) for key in made if key not in thumbnails]
                for key, name in made.items():
                    thumbnails.setdefault(key, name)
                locked.thumbnails = thumbnails
                locked.save(update_fields=["thumbnails"])
                # Thumbnail URLs are on the storefront: the anonymous-read cache forgets what shows them.
                readcache.bump(*readcache.keys_of(locked))
    except Exception:
        for name in made.values():
            default_storage.delete(name)
        raise
    for name in unused:
        default_storage.delete(name)
    return sorted(added)


def queue_thumbnails(instance) -> None:
    """Queue :func:`make_thumbnails` for ``instance`` once the current transaction commits."""
    label = instance._meta.label
    pk = instance.pk
    transaction.on_commit(lambda: make_thumbnails.delay(label, pk))
