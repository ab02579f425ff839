from datetime import UTC

import graphene
from graphql_relay import from_global_id

from payments import services
from payments.types import BankPayoutStatusEnum, PaymentErrorCode, RefundType
from shop.core.graphql import BaseMutation, DecimalScalar, error_type, require_user
from shop.orders.types import OrderType

PaymentError = error_type("PaymentError", PaymentErrorCode)


def _pk(global_id: str, type_name: str) -> int:
    """The database id inside a global ID of the given type, or -1 (which matches nothing, so the
    service answers NOT_FOUND / INVALID_LINE after its permission checks)."""
    try:
        kind, pk = from_global_id(global_id)
        return int(pk) if kind == type_name else -1
    except (ValueError, TypeError, UnicodeDecodeError):
        return -1


class PaymentMutation(BaseMutation):
    class Meta:
        abstract = True

    error_codes = PaymentErrorCode
    errors = graphene.List(graphene.NonNull(PaymentError), required=True)


class DesignerPayoutOnboard(PaymentMutation):
    """Set up payouts (Stripe Connect): creates the caller's connected account the first time and
    returns a fresh onboarding link (single use, expires within minutes: open it right away).
    Calling it again gives a new link for the same account."""

    onboarding_url = graphene.String()
    expires_at = graphene.DateTime()
    payouts_enabled = graphene.Boolean()

    @classmethod
    def perform(cls, root, info):
        from datetime import datetime

        account, link = services.onboard_designer(user=require_user(info))
        return cls(
            onboarding_url=link.url,
            expires_at=datetime.fromtimestamp(link.expires_at, tz=UTC),
            payouts_enabled=account.payouts_enabled,
        )


class OrderRefundLineInput(graphene.InputObjectType):
    line_id = graphene.ID(required=True, description="An OrderLine's global ID.")
    quantity = graphene.Int(required=True)


class OrderRefundInput(graphene.InputObjectType):
    lines = graphene.List(graphene.NonNull(OrderRefundLineInput), description="Refund these lines at their unit price.")
    amount = DecimalScalar(description="Or refund this amount (in the order's currency).")
    reason = graphene.String()
    restock = graphene.Boolean(description="Put the refunded lines' physical goods back in stock (with `lines`).")


class OrderRefund(PaymentMutation):
    """Refund part or all of an order through its payment's gateway: staff for any order, a
    designer for its own. The designer's transfer is reversed in proportion, the buyer is emailed."""

    class Arguments:
        id = graphene.ID(required=True, description="The Order's global ID.")
        input = OrderRefundInput(required=True)

    refund = graphene.Field(RefundType)
    order = graphene.Field(OrderType, description="The refunded order, with its new status and refunded total.")

    @classmethod
    def perform(cls, root, info, id, input):
        actor = require_user(info)
        order_id = _pk(id, "Order")
        lines = None
        if input.get("lines"):
            lines = [
                {"line_id": _pk(item["line_id"], "OrderLine"), "quantity": item["quantity"]} for item in input["lines"]
            ]
        refund = services.refund_order(
            actor=actor,
            order_id=order_id,
            amount=input.get("amount"),
            lines=lines,
            reason=input.get("reason") or "",
            restock=bool(input.get("restock")),
        )
        return cls(refund=refund, order=refund.order)


class RefundSendInput(graphene.InputObjectType):
    bank_bin = graphene.String(required=True, description="The buyer's bank (its 6-digit BIN, as in VietQR).")
    account_number = graphene.String(
        required=True, description="The buyer's account number; only its last 4 digits are kept."
    )
    account_holder = graphene.String(required=True, description="The name on the account, as the bank prints it.")


class RefundSend(PaymentMutation):
    """Staff: send a refund owed to the buyer (a payOS purchase: payOS has no refund API) to the
    buyer's bank account by payOS payout. The refund stays owed until payOS reports the transfer
    done; sending again after payOS could not be reached reuses the same payout."""

    class Arguments:
        id = graphene.ID(required=True, description="The Refund's global ID.")
        input = RefundSendInput(required=True)

    refund = graphene.Field(RefundType)
    payout_status = graphene.Field(BankPayoutStatusEnum)

    @classmethod
    def perform(cls, root, info, id, input):
        from payments import bank_payouts

        actor = require_user(info)
        row = bank_payouts.send_refund(
            actor=actor,
            refund_id=_pk(id, "Refund"),
            bank_bin=input["bank_bin"],
            account_number=input["account_number"],
            account_holder=input["account_holder"],
        )
        row.refund.refresh_from_db()
        return cls(refund=row.refund, payout_status=str(row.status))


class PaymentMutations(graphene.ObjectType):
    designer_payout_onboard = DesignerPayoutOnboard.Field()
    order_refund = OrderRefund.Field()
    refund_send = RefundSend.Field()
