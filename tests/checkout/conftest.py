"""Fixtures shared by the checkout and order tests."""

from tests.commerce import digital_variant_factory  # noqa: F401
