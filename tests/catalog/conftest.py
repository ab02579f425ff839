import pytest

from tests.catalog.helpers import isolated_storage


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path):
    """Public and private media in a temporary directory for each test."""
    return isolated_storage(settings, tmp_path)
