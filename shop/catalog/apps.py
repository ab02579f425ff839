from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CatalogConfig(AppConfig):
    name = "shop.catalog"
    label = "catalog"

    # Migration safety (shop/core/migration_safety.py): this app's tables that grow with traffic, and
    # its migrations written before the rule (not re-judged).
    large_tables = ("catalog_product", "catalog_productvariant", "catalog_productmedia", "catalog_productsearch")
    migrations_before_safety_rule = ("0001_initial", "0002_product_sort_name", "0003_product_search")

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
