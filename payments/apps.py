from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    # Migration safety (shop/core/migration_safety.py): this app's tables that grow with traffic, and
    # its migrations written before the rule (not re-judged).
    large_tables = (
        "payments_payment",
        "payments_refund",
        "payments_transfer",
        "payments_ledgerentry",
        "payments_stripeevent",
    )
    migrations_before_safety_rule = ("0001_initial", "0002_payouts_ledger_refunds_disputes")

    def ready(self):
        # What the orders app (a layer down) tells and asks the payments app: shop/orders/hooks.py.
        from payments import cod, services, tasks
        from shop.orders import hooks as order_hooks

        order_hooks.purchase_paid.register(services.purchase_paid)
        order_hooks.paid_followups.register(tasks.queue_settlements)
        order_hooks.paid_before_expiry.register(services.paid_before_expiry)
        order_hooks.purchase_expired.register(services.purchase_expired)
        order_hooks.purchase_cancelled.register(cod.purchase_cancelled)

        from payments import checks  # noqa: F401 (registers the deploy checks)
