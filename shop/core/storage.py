"""Storage helpers: random object names (never a path the user chose) and the private store for
digital goods."""
from __future__ import annotations

import os
import uuid

from django.core.files.storage import storages


def private_storage():
    return storages["private"]


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
