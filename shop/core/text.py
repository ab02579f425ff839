"""Text helpers: Vietnamese-aware slugs and accent folding for search."""

from __future__ import annotations

import re

from django.utils.text import slugify
from django.utils.translation import gettext as _
from unidecode import unidecode

from shop.core.errors import CommonErrorCode, ServiceError, SlugErrorCode


def fold(text: str) -> str:
    """Lower-case ASCII form of ``text``: ``Áo dài lụa Hà Đông`` -> ``ao dai lua ha dong``."""
    return unidecode(text or "").lower()


def vietnamese_slug(text: str, max_length: int = 60) -> str:
    """``Nguyễn Thị Hà`` -> ``nguyen-thi-ha``; never empty for non-empty input."""
    slug = slugify(unidecode(text or ""))[:max_length].strip("-")
    return slug


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_valid_slug(value: str, max_length: int = 60) -> bool:
    return bool(value) and len(value) <= max_length and bool(SLUG_RE.match(value))


def unique_slug(base: str, exists) -> str:
    """First of ``base``, ``base-2``, ``base-3``... for which ``exists(slug)`` is false."""
    base = base or "item"
    candidate, n = base, 1
    while exists(candidate):
        n += 1
        suffix = f"-{n}"
        candidate = base[: 60 - len(suffix)].rstrip("-") + suffix
    return candidate


def choose_slug(slug: str | None, name: str, *, taken, fallback: str, max_length: int = 60) -> str:
    """The slug to store for a row named ``name``: the one asked for (lower-cased; INVALID unless
    letters, digits and hyphens of at most ``max_length``; UNIQUE when ``taken`` has it), else one
    made from ``name`` (``fallback`` when nothing of the name survives), numbered until free.
    ``taken`` is the queryset of rows the slug must differ from (the row itself excluded)."""
    exists = lambda candidate: taken.filter(slug=candidate).exists()  # noqa: E731
    if slug:
        slug = slug.strip().lower()
        if not is_valid_slug(slug, max_length=max_length):
            raise ServiceError(
                CommonErrorCode.INVALID,
                _("Use lower-case letters, digits and hyphens (at most %(n)d).") % {"n": max_length},
                "slug",
            )
        if exists(slug):
            raise ServiceError(SlugErrorCode.UNIQUE, _("This slug is already taken."), "slug")
        return slug
    return unique_slug(vietnamese_slug(name) or fallback, exists)
