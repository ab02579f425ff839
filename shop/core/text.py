"""Text helpers: Vietnamese-aware slugs and accent folding for search."""

from __future__ import annotations

import re

from django.utils.text import slugify
from unidecode import unidecode


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
