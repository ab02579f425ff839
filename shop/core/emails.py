"""Transactional email: Django templates per language under templates/emails/<name>/<lang>/."""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

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
