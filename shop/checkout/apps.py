from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CheckoutConfig(AppConfig):
    name = "shop.checkout"
    label = "checkout"

    def ready(self):
        # The anonymous-read cache learns what cached answers showing shipping methods depend on.
        from shop.checkout import cache  # noqa: F401
        from shop.core import ids

        ids.register_type_labels(
            CheckoutLine=gettext_lazy("CheckoutLine"),
            ShippingMethod=gettext_lazy("ShippingMethod"),
        )
