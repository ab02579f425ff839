from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.accounts import reset_tokens, services
from shop.accounts.models import PasswordResetRequest
from shop.core.emails import send_templated_email
from shop.core.queueing import RETRY


@shared_task(bind=True, **RETRY)
def send_password_reset_email(self, request_id: int) -> bool:
    """Email the reset link of one request. Idempotent: a request is emailed once, however often
    the task is delivered; a request older than the token lifetime is dropped. The token is made
    here, so it never sits in the broker."""
    with transaction.atomic():
        request = (
            PasswordResetRequest.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=request_id)
            .first()
        )
        if request is None or request.email_sent_at is not None or not request.user.is_active:
            return False
        if request.created_at < timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT):
            return False
        user = request.user
        reset_url = f"{settings.PASSWORD_RESET_URL}?{urlencode({'token': reset_tokens.make_token(user)})}"
        send_templated_email(
            name="password_reset",
            language=user.language,
            to=[user.email],
            context={
                "user": user,
                "reset_url": reset_url,
                "valid_minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
            },
        )
        request.email_sent_at = timezone.now()
        request.save(update_fields=["email_sent_at"])
    return True


@shared_task(bind=True, **RETRY)
def purge_login_throttles(self) -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): forget failed-login records that no longer slow anyone down
    (idempotent)."""
    return services.purge_login_throttles()
