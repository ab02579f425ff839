"""Fixtures of the core tests: the read cache switched on, and a small catalog to read."""

import pytest
from django.core.cache import caches

from shop.catalog.models import Category
from shop.core import readcache
from tests.catalog.helpers import isolated_storage
from tests.factories import make_designer, product


@pytest.fixture
def read_cache(settings, tmp_path):
    """The read cache on, over a fresh local-memory cache, with media in a temporary directory."""
    isolated_storage(settings, tmp_path)
    settings.GRAPHQL_READ_CACHE = True
    readcache.reset_stores()
    caches["default"].clear()
    yield
    caches["default"].clear()
    readcache.reset_stores()


@pytest.fixture
def shop(db):
    designer = make_designer(display_name="Trần Thùy Linh")
    category = Category.objects.create(name="Gốm sứ", slug="gom-su")
    bowl = product(designer, name="Bát gốm men rạn", price=250_000, stock=3, category=category, tags=["gốm"])
    vase = product(designer, name="Bình gốm Chu Đậu", price=900_000, stock=1, category=category)
    return type("Shop", (), dict(designer=designer, category=category, bowl=bowl, vase=vase))
