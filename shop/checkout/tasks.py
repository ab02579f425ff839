"""Checkout housekeeping run by Celery beat (CELERY_BEAT_SCHEDULE in shop/settings.py)."""

from __future__ import annotations

import logging

from celery import shared_task

from shop.checkout import cart
from shop.core.queueing import RETRY

logger = logging.getLogger(__name__)


@shared_task(bind=True, **RETRY)
def purge_abandoned_checkouts(self) -> int:
    """Daily: delete anonymous checkouts abandoned for CHECKOUT_RETENTION_DAYS (idempotent)."""
    deleted = cart.purge_abandoned_checkouts()
    if deleted:
        logger.info("purged %d abandoned checkouts", deleted)
    return deleted
