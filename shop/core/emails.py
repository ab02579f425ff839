"""Transactional email: Django templates per language under templates/emails/<name>/<lang>/."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from shop.core.languages import supported_language


def send_templated_email(*, name: str, language: str, to: list[str], context: dict) -> None:
    language = supported_language(language)
    base = f"emails/{name}/{language}"
    context = {**context, "public_url": settings.PUBLIC_URL, "lang": language}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
        text = render_to_string(f"{base}/body.txt", context)
        html = render_to_string(f"{base}/body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to)
    message.attach_alternative(html, "text/html")
    message.send()
