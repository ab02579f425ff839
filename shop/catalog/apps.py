from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shop.catalog"
    label = "catalog"

    def ready(self):
        # The anonymous-read cache learns what cached answers showing products, variants, media and categories depend on.
        from shop.catalog import cache  # noqa: F401
