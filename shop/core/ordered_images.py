"""The one service of ordered images (``shop.core.models.OrderedImage``): product media and
portfolio images are uploaded, reordered and deleted here; their thumbnails are made by
``shop.core.tasks.make_thumbnails``.

The apps keep what is theirs: who may touch which owner (they pass the checks in), the limit per
owner and the caches to forget afterwards. Everything runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Max, Model
from django.utils.translation import gettext as _

from shop.core.errors import CommonErrorCode, OrderedImageErrorCode, ServiceError
from shop.core.images import delete_files_on_commit, process_image
from shop.core.models import OrderedImage
from shop.core.ordering import reorder_positions
from shop.core.tasks import queue_thumbnails
from shop.core.validation import clean_text


def stored_files(rows: Iterable[OrderedImage]) -> list[str]:
    """The stored names of the rows' images and thumbnails (to delete once they are gone)."""
    return [name for row in rows for name in row.stored_files()]


def add_image(
    *,
    model: type[OrderedImage],
    upload,
    alt: str | None,
    check_owner: Callable[[], None],
    lock_owner: Callable[[], Model],
    max_count: int,
    limit_message: str,
) -> OrderedImage:
    """Validate and re-encode ``upload`` (``shop.core.images``), store it under a random name as the
    owner's last image and queue its thumbnails after commit.

    ``check_owner`` raises when the actor may not add to the owner; it runs before the image is
    decoded, so that nobody makes us decode images for owners they cannot touch. ``lock_owner``
    returns the owner locked for update (it may raise the same way)."""
    if upload is None:
        raise ServiceError(CommonErrorCode.REQUIRED, _("Choose an image."), "image")
    alt = clean_text(alt, field="alt", max_length=250)
    check_owner()
    processed = process_image(upload, field="image")
    owner = lock_owner()
    siblings = model.objects.filter(**{model.owner_field: owner}).aggregate(count=Count("pk"), last=Max("position"))
    if siblings["count"] >= max_count:
        raise ServiceError(OrderedImageErrorCode.LIMIT_REACHED, limit_message, "image")
    last = siblings["last"]
    row = model(
        **{model.owner_field: owner},
        alt=alt,
        position=0 if last is None else last + 1,
        width=processed.width,
        height=processed.height,
    )
    row.image.save(f"image.{processed.extension}", processed.as_file(), save=False)
    try:
        with transaction.atomic():
            row.save()
    except Exception:
        default_storage.delete(row.image.name)
        raise
    queue_thumbnails(row)
    return row


def reorder_images(*, model: type[OrderedImage], owner: Model, image_ids: list[int], field: str) -> list:
    """Put the owner's images in the order of ``image_ids`` (each of them exactly once)."""
    return reorder_positions(list(model.objects.filter(**{model.owner_field: owner})), image_ids, field)


def delete_image(*, model: type[OrderedImage], image_id: int, owners) -> OrderedImage:
    """Delete the image ``image_id`` when its owner is one of ``owners`` (a queryset: the actor's
    reach), else NOT_FOUND. Its files are removed after commit. The returned row keeps its id."""
    row = (
        model.objects.select_for_update(of=("self",))
        .filter(pk=image_id, **{f"{model.owner_field}__in": owners})
        .first()
    )
    if row is None:
        raise ServiceError(CommonErrorCode.NOT_FOUND, _("Image not found."), "id")
    files = row.stored_files()
    deleted_pk = row.pk
    row.delete()
    row.pk = deleted_pk
    delete_files_on_commit(default_storage, files)
    return row
