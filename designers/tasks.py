from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from designers.models import DesignerStatusChange
from shop.core.emails import send_templated_email
from shop.core.queueing import RETRY


@shared_task(bind=True, **RETRY)
def send_designer_status_email(self, change_id: int) -> bool:
    """Tell the designer about an application or a decision. Idempotent: a change is emailed once,
    however often the task is delivered."""
    with transaction.atomic():
        change = (
            DesignerStatusChange.objects.select_for_update(of=("self",))
            .select_related("designer__user")
            .filter(pk=change_id)
            .first()
        )
        if change is None or change.email_sent_at is not None:
            return False
        user = change.designer.user
        send_templated_email(
            name="designer_status",
            language=user.language,
            to=[user.email],
            context={"designer": change.designer, "change": change, "user": user},
        )
        change.email_sent_at = timezone.now()
        change.save(update_fields=["email_sent_at"])
    return True


@shared_task(bind=True, **RETRY)
def flush_product_views(self) -> int:
    """Celery beat: the product views buffered in Redis are written in bulk (designers/page_views.py)."""
    from designers import page_views

    return page_views.flush()


@shared_task(bind=True, **RETRY)
def queue_weekly_digests(self) -> int:
    """Celery beat, hourly: on Monday from 07:00 (marketplace time; WEEKLY_DIGEST_WEEKDAY and _HOUR
    choose another day or hour) last week's digests are queued once per designer
    (designers/digest.py)."""
    from designers import digest

    return len(digest.queue_due())


@shared_task(bind=True, **RETRY)
def send_weekly_digest(self, digest_id: int) -> bool:
    from designers import digest

    return digest.send(digest_id)
