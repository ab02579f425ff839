from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class OrdersConfig(AppConfig):
    name = "shop.orders"
    label = "orders"

    def ready(self):
        from shop.catalog import hooks as catalog_hooks
        from shop.core import ids
        from shop.orders import selectors

        # The catalog (a layer down) keeps what an order refers to.
        catalog_hooks.variant_in_use.register(selectors.variant_in_use)
        ids.register_type_labels(Order=gettext_lazy("Order"))
