from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CatalogConfig(AppConfig):
    name = "shop.catalog"
    label = "catalog"

    def ready(self):
        # The anonymous-read cache learns what cached answers showing products, variants, media and categories depend on.
        from shop.catalog import cache  # noqa: F401
        from shop.core import ids

        ids.register_type_labels(
            Category=gettext_lazy("Category"),
            Product=gettext_lazy("Product"),
            ProductMedia=gettext_lazy("ProductMedia"),
            ProductVariant=gettext_lazy("ProductVariant"),
        )
