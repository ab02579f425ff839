from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CheckoutConfig(AppConfig):
    name = "shop.checkout"
    label = "checkout"

    # Migration safety (shop/core/migration_safety.py): this app's tables that grow with traffic, and
    # its migrations written before the rule (not re-judged).
    large_tables = ("checkout_checkout", "checkout_checkoutline")
    migrations_before_safety_rule = ("0001_initial",)

    def ready(self):
        # The anonymous-read cache learns what cached answers showing shipping methods depend on.
        from shop.checkout import cache  # noqa: F401
        from shop.core import ids

        ids.register_type_labels(
            CheckoutLine=gettext_lazy("CheckoutLine"),
            ShippingMethod=gettext_lazy("ShippingMethod"),
        )
