"""Fixtures shared by the order tests: a small market with two designers and a signed-in buyer."""

import pytest

from tests.factories import Market
from tests.gateways import TEST_GATEWAYS


@pytest.fixture
def market(gql, digital_variant_factory, settings):
    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    return Market(gql, digital_variant_factory)
