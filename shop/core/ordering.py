"""Explicit ordering of rows that carry a ``position`` (media, portfolio items and images)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from shop.core.errors import CommonErrorCode, ServiceError


def reorder_positions(rows, ordered_ids: list[int], field: str) -> list:
    """Give ``rows`` the positions of ``ordered_ids``, which must name each row exactly once;
    only rows whose position changes are written. Returns the rows in the new order."""
    current = {row.pk: row for row in rows}
    if len(ordered_ids) != len(set(ordered_ids)) or set(ordered_ids) != set(current):
        raise ServiceError(CommonErrorCode.INVALID, _("List each of the items exactly once."), field)
    for position, pk in enumerate(ordered_ids):
        row = current[pk]
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])
    return [current[pk] for pk in ordered_ids]
