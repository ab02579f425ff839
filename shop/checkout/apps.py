from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "shop.checkout"
    label = "checkout"

    def ready(self):
        # The anonymous-read cache learns what cached answers showing shipping methods depend on.
        from shop.checkout import cache  # noqa: F401
