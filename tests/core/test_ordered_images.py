"""Product media and portfolio images are one kind of thing: an ordered image (shop.core.models),
served by one service and one set of mutations."""

import io

import pytest
from django.core.management import call_command

from designers.models import PortfolioImage
from shop.catalog.models import ProductMedia
from shop.core.models import OrderedImage
from shop.core.tasks import make_thumbnails


@pytest.mark.parametrize("model", [ProductMedia, PortfolioImage])
def test_both_image_models_are_ordered_images(model):
    assert issubclass(model, OrderedImage)
    owner = model._meta.get_field(model.owner_field)
    assert owner.many_to_one and owner.remote_field.on_delete.__name__ == "CASCADE"
    assert model._meta.ordering == ["position", "id"]
    assert model.thumbnail_prefix.endswith("/thumbs")
    # The concrete image field keeps its own storage prefix (migrations and stored names unchanged).
    assert model._meta.get_field("image").upload_to.__name__ in ("product_media_path", "portfolio_media_path")


@pytest.mark.django_db
def test_the_shared_base_changed_no_table():
    """An abstract base needs no migration: the models' state equals their migrations."""
    out = io.StringIO()
    call_command("makemigrations", "catalog", "designers", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("label", ["accounts.User", "catalog.Product", "nope.Nothing", "garbage"])
def test_thumbnails_only_for_ordered_images(label):
    with pytest.raises(ValueError):
        make_thumbnails.apply(args=[label, 1]).get()
