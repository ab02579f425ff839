"""The languages the marketplace writes in (messages and emails): ``settings.LANGUAGES``,
Vietnamese first and the default. One helper decides which of them a request, a checkout or an
email uses."""

from __future__ import annotations

from django.conf import settings

DEFAULT_LANGUAGE = "vi"


def supported_languages() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def is_supported(code: str | None) -> bool:
    return code in supported_languages()


def supported_language(code: str | None) -> str:
    """``code`` as one of our languages: ``"en"``, ``"en-US"`` and ``"EN"`` give ``"en"``; anything
    we do not write in (``"fr"``, empty, None) gives the default, Vietnamese."""
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return code if is_supported(code) else DEFAULT_LANGUAGE


def request_language(request) -> str:
    """The language of a request (``Accept-Language``, as Django's LocaleMiddleware chose it)."""
    return supported_language(getattr(request, "LANGUAGE_CODE", None))
