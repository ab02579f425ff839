"""Fixtures of the checkout tests."""

import pytest

from tests.factories import make_product, make_seller, make_variant


@pytest.fixture
def goods(db):
    linh, linh_ship = make_seller("Linh")
    minh, minh_ship = make_seller("Minh")
    scarf = make_variant(product=make_product(designer=linh, name="Khăn lụa"), price=150000, stock=5)
    bowl = make_variant(product=make_product(designer=minh, name="Bát gốm"), price=60000, stock=2)
    return type(
        "Goods", (), dict(linh=linh, minh=minh, linh_ship=linh_ship, minh_ship=minh_ship, scarf=scarf, bowl=bowl)
    )
