from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class OrdersConfig(AppConfig):
    name = "shop.orders"
    label = "orders"

    # Migration safety (shop/core/migration_safety.py): this app's tables that grow with traffic, and
    # its migrations written before the rule (not re-judged).
    large_tables = (
        "orders_purchase",
        "orders_order",
        "orders_orderline",
        "orders_orderevent",
        "orders_digitaldownload",
    )
    migrations_before_safety_rule = ("0001_initial", "0002_purchase_cancel_and_email_marks")

    def ready(self):
        from shop.catalog import hooks as catalog_hooks
        from shop.core import ids
        from shop.orders import selectors

        # The catalog (a layer down) keeps what an order refers to.
        catalog_hooks.variant_in_use.register(selectors.variant_in_use)
        ids.register_type_labels(Order=gettext_lazy("Order"))
