"""What the orders app tells (or asks) the apps above it (shop/core/hooks.py, docs/architecture.md).
The payments app, one layer up, registers the handlers in PaymentsConfig.ready()."""

from __future__ import annotations

from shop.core.hooks import Hook

# Orders of a purchase became PAID, in the transaction that marks them (required: the money must
# reach the ledger). handler(*, purchase_id: int, payment_id: int | None, orders: list[Order],
# at_checkout: bool) -> None. ``orders``: the orders paid now. ``at_checkout``: placed and paid at
# once by checkout completion (loaded with their designers, the payment known to have succeeded);
# what must follow after commit then goes with the emails (``paid_followups``).
purchase_paid = Hook("orders.purchase_paid", required=True)

# The task that follows a purchase paid at checkout (emails) also queues what the apps above
# want done after it: handler(*, order_ids: list[int]) -> int, the number of tasks queued.
paid_followups = Hook("orders.paid_followups")

# Before an unpaid purchase expires, ask whether it was in fact paid (a missed confirmation):
# handler(*, purchase: Purchase) -> int | None, the id of the payment that succeeded; raises
# PaymentStatusUnknown when the provider cannot tell now (the purchase then waits for the next run).
paid_before_expiry = Hook("orders.paid_before_expiry", single=True)


# An unpaid purchase expired (cancelled, stock back), in the transaction that cancels it:
# handler(*, purchase_id: int, now: datetime) -> None. The payments app closes the attempts that
# never got the provider's answer (a process that died between the steps of checkout completion).
purchase_expired = Hook("orders.purchase_expired")

# A purchase was cancelled because its last live order was (by the buyer, staff, or a refused
# cash-on-delivery order), in that transaction: handler(*, purchase_id: int, now: datetime) -> None.
# The payments app closes the purchase's cash-on-delivery payment, which no money will reach.
purchase_cancelled = Hook("orders.purchase_cancelled")


class PaymentStatusUnknown(Exception):
    """A ``paid_before_expiry`` handler could not learn the payment's status."""
