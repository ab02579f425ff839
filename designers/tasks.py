from __future__ import annotations

from celery import shared_task

from designers.models import DesignerStatusChange
from shop.core.emails import send_once
from shop.core.queueing import RETRY


@shared_task(bind=True, **RETRY)
def send_designer_status_email(self, change_id: int) -> bool:
    """Tell the designer about an application or a decision. Idempotent: a change is emailed once,
    however often the task is delivered."""

    def email(change):
        user = change.designer.user
        return {
            "name": "designer_status",
            "language": user.language,
            "to": [user.email],
            "context": {"designer": change.designer, "change": change, "user": user},
        }

    return send_once(DesignerStatusChange.objects.select_related("designer__user"), change_id, email)


@shared_task(bind=True, **RETRY)
def flush_product_views(self) -> int:
    """Celery beat: the product views buffered in Redis are written in bulk (designers/page_views.py)."""
    from designers import page_views

    return page_views.flush()


@shared_task(bind=True, **RETRY)
def queue_weekly_digests(self) -> int:
    """Celery beat, hourly: on Monday from 07:00 (marketplace time) last week's digests are queued
    once per designer (designers/digest.py)."""
    from designers import digest

    return len(digest.queue_due())


@shared_task(bind=True, **RETRY)
def send_weekly_digest(self, digest_id: int) -> bool:
    from designers import digest

    return digest.send(digest_id)
