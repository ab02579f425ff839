from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        # What the orders app (a layer down) tells and asks the payments app: shop/orders/hooks.py.
        from payments import services, tasks
        from shop.orders import hooks as order_hooks

        order_hooks.purchase_paid.register(services.purchase_paid)
        order_hooks.paid_followups.register(tasks.queue_settlements)
        order_hooks.paid_before_expiry.register(services.paid_before_expiry)

        from payments import checks  # noqa: F401 (registers the deploy checks)
