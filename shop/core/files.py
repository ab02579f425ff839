"""Private files of digital goods: the type is sniffed from the content (never the name or the
client's content type) against an allow-list, the size is capped, and the file goes to the private
storage under a random name. Nothing here ever produces a URL."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from shop.core.errors import FileErrorCode, ServiceError
from shop.core.storage import private_storage, random_name


def _sfnt(head: bytes, *tags: bytes) -> bool:
    """A TrueType/OpenType header: the tag, then a table directory whose binary-search fields agree
    with its table count (so that four lucky bytes are not enough)."""
    if len(head) < 12 or not head.startswith(tags):
        return False
    num_tables = int.from_bytes(head[4:6], "big")
    search_range = int.from_bytes(head[6:8], "big")
    entry_selector = int.from_bytes(head[8:10], "big")
    if not 1 <= num_tables <= 100:
        return False
    power = 1 << (num_tables.bit_length() - 1)
    return search_range == power * 16 and entry_selector == power.bit_length() - 1


# (magic test, content type, extension)
_KINDS = (
    (lambda h: h.startswith(b"%PDF-"), "application/pdf", "pdf"),
    (lambda h: h.startswith((b"PK\x03\x04", b"PK\x05\x06")), "application/zip", "zip"),
    (lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), "image/png", "png"),
    (lambda h: h.startswith(b"\xff\xd8\xff"), "image/jpeg", "jpg"),
    (lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", "image/webp", "webp"),
    (lambda h: _sfnt(h, b"\x00\x01\x00\x00", b"true"), "font/ttf", "ttf"),
    (lambda h: _sfnt(h, b"OTTO"), "font/otf", "otf"),
    (lambda h: h.startswith(b"wOFF"), "font/woff", "woff"),
    (lambda h: h.startswith(b"wOF2"), "font/woff2", "woff2"),
)


@dataclass(frozen=True)
class StoredFile:
    name: str  # storage name (random)
    original_name: str  # what the designer called it (shown to buyers as the download name)
    size: int
    content_type: str


def sniff_digital_type(head: bytes) -> tuple[str, str] | None:
    for test, content_type, extension in _KINDS:
        if test(head):
            return content_type, extension
    return None


def clean_filename(name: str | None, fallback: str) -> str:
    """A display file name: no directories, no control characters, at most 200 characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip(" .")
    if not base:
        return fallback
    stem, ext = os.path.splitext(base)
    return stem[: 200 - len(ext[:20])] + ext[:20]


def store_digital_file(upload, *, field: str = "digital_file") -> StoredFile:
    """Check and store an uploaded digital good in the private storage."""
    max_bytes = int(settings.DIGITAL_FILE_MAX_BYTES)
    size = getattr(upload, "size", None)
    too_large = ServiceError(
        FileErrorCode.FILE_TOO_LARGE,
        _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
        field,
    )
    if size is not None and size > max_bytes:
        raise too_large
    upload.seek(0)
    head = upload.read(16)
    kind = sniff_digital_type(head) if head else None
    if kind is None:
        raise ServiceError(
            FileErrorCode.UNSUPPORTED_FILE_TYPE,
            _("Upload a PDF, ZIP, PNG, JPEG, WebP or font (TTF, OTF, WOFF, WOFF2) file."),
            field,
        )
    content_type, extension = kind
    upload.seek(0)
    actual = 0
    for chunk in upload.chunks():
        actual += len(chunk)
        if actual > max_bytes:
            raise too_large
    upload.seek(0)
    storage = private_storage()
    name = storage.save(random_name("digital", extension), upload)
    return StoredFile(
        name=name,
        original_name=clean_filename(getattr(upload, "name", None), f"file.{extension}"),
        size=actual,
        content_type=content_type,
    )
