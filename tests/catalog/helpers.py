"""Small helpers of the catalog tests: media storage in a temporary directory, and Relay ids.
(Test data comes from ``tests/factories.py``.)"""

from __future__ import annotations

from graphql_relay import to_global_id


def isolated_storage(settings, tmp_path):
    media, private = tmp_path / "media", tmp_path / "private"
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": "/media/"},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private), "base_url": None},
        },
    }
    return {"media": media, "private": private}


def gid(obj) -> str:
    names = {
        "Product": "Product",
        "ProductVariant": "ProductVariant",
        "ProductMedia": "ProductMedia",
        "Category": "Category",
        "Designer": "Designer",
        "PortfolioItem": "PortfolioItem",
        "PortfolioImage": "PortfolioImage",
    }
    return to_global_id(names[type(obj).__name__], obj.pk)
