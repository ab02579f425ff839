"""Storage helpers: random object names (never a path the user chose) and the private store for
digital goods."""

from __future__ import annotations

import os
import uuid

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class _PrivateStorage(LazyObject):
    """``storages["private"]``, resolved lazily. A model field keeps the object its ``storage``
    callable returned at import time; this proxy lets a settings change (tests,
    ``override_settings(STORAGES=...)``) reach file fields too, as ``default_storage`` does."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    return _private


def random_name(prefix: str, extension: str) -> str:
    extension = extension.lower().lstrip(".")
    token = uuid.uuid4().hex
    return os.path.join(prefix, token[:2], f"{token}.{extension}" if extension else token)


def product_media_path(instance, filename: str) -> str:
    return random_name("products", os.path.splitext(filename)[1])


def portfolio_media_path(instance, filename: str) -> str:
    return random_name("portfolio", os.path.splitext(filename)[1])


def digital_file_path(instance, filename: str) -> str:
    return random_name("digital", os.path.splitext(filename)[1])
