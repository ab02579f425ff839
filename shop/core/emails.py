"""Transactional email: Django templates per language under templates/emails/<name>/<lang>/."""

from __future__ import annotations

from collections.abc import Callable
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from shop.core.languages import supported_language


def send_templated_email(
    *,
    name: str,
    language: str,
    to: list[str],
    context: dict,
    inline_images: dict[str, bytes] | None = None,
    headers: dict[str, str] | None = None,
    connection=None,
) -> None:
    """``inline_images``: PNG images shown in the HTML as ``<img src="cid:<key>">`` (the message
    becomes multipart/related); ``headers``: extra headers (e.g. a fixed Message-ID); ``connection``: another email backend
    connection than the configured one."""
    language = supported_language(language)
    base = f"emails/{name}/{language}"
    context = {**context, "public_url": settings.PUBLIC_URL, "lang": language}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
        text = render_to_string(f"{base}/body.txt", context)
        html = render_to_string(f"{base}/body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or None,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if inline_images:
        message.mixed_subtype = "related"
        for cid, data in inline_images.items():
            image = MIMEImage(data, "png")
            image.add_header("Content-ID", f"<{cid}>")
            image.add_header("Content-Disposition", "inline", filename=f"{cid}.png")
            message.attach(image)
    message.send()
    # sent: a failure from here on (the sent mark not committed) must not send it again
    from shop.core.queueing import effect_done

    effect_done()


def send_once(
    queryset: models.QuerySet,
    pk: int,
    email: Callable[[models.Model], dict | None],
    *,
    sent_field: str = "email_sent_at",
) -> bool:
    """The email about one row, sent once however often its task is delivered: under the row's
    lock (``queryset``, with what the email needs selected), unless its ``sent_field`` is set.
    ``email(row)`` gives :func:`send_templated_email`'s arguments, or None when it is not to be
    sent (yet). Returns whether it was sent (and the row marked)."""
    with transaction.atomic():
        row = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
        if row is None or getattr(row, sent_field) is not None:
            return False
        message = email(row)
        if message is None:
            return False
        send_templated_email(**message)
        setattr(row, sent_field, timezone.now())
        row.save(update_fields=[sent_field])
    return True
