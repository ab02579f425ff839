from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import graphene

from payments import bank_accounts, bank_payouts, cod, payout_accounts, refunds
from payments.types import BankPayoutStatusEnum, DesignerBankAccountType, PaymentErrorCode, RefundType
from shop.core.errors import ServiceError
from shop.core.graphql import BaseMutation, error_type, require_user
from shop.core.ids import decode_id, try_decode_id
from shop.core.scalars import DecimalScalar
from shop.orders.mutations import OrderMutation
from shop.orders.types import OrderType

PaymentError = error_type("PaymentError", PaymentErrorCode)


def _pk(global_id: str, type_name: str) -> int:
    """The database id inside a global ID of the given type, or -1 (which matches nothing, so the
    service answers NOT_FOUND / INVALID_LINE after its permission checks)."""
    pk = try_decode_id(global_id, type_name)
    return -1 if pk is None else pk


@contextmanager
def _id_is(argument: str) -> Iterator[None]:
    """The service's ``argument`` (``order_id``) is what the mutation calls ``id``: its errors say so."""
    try:
        yield
    except ServiceError as exc:
        for error in exc.errors:
            if error.field == argument:
                error.field = "id"
        raise


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
        account, link = payout_accounts.onboard_designer(user=require_user(info))
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
        with _id_is("order_id"):
            refund = refunds.refund_order(
                actor=actor,
                order_id=order_id,
                amount=input.get("amount"),
                lines=lines,
                reason=input.get("reason") or "",
                restock=bool(input.get("restock")),
            )
        return cls(refund=refund, order=refund.order)


class OrderCodCollect(OrderMutation):
    """Cash on delivery: the designer (or staff) records that the courier collected the cash for a
    shipped order (FULFILLED_COD → DELIVERED). The money is the designer's; the platform's
    commission becomes a debt the designer owes, netted against its next payouts. The buyer is
    emailed a receipt."""

    class Arguments:
        id = graphene.ID(required=True, description="The Order's global ID.")

    @classmethod
    def perform(cls, root, info, id):
        user = require_user(info)
        order = cod.collect(order_id=decode_id(id, "Order"), actor=user)
        return cls.reloaded(info, order)


class OrderCodRefuseInput(graphene.InputObjectType):
    reason = graphene.String(required=True, description="What happened, e.g. the buyer refused the parcel.")


class OrderCodRefuse(OrderMutation):
    """Cash on delivery: the buyer refused a shipped order at the door (FULFILLED_COD → CANCELLED).
    Its stock returns; nothing was paid and nothing is owed. The buyer is emailed."""

    class Arguments:
        id = graphene.ID(required=True, description="The Order's global ID.")
        input = OrderCodRefuseInput(required=True)

    @classmethod
    def perform(cls, root, info, id, input):
        user = require_user(info)
        order = cod.refuse(order_id=decode_id(id, "Order"), actor=user, reason=input.get("reason"))
        return cls.reloaded(info, order)


class DesignerBankAccountSetInput(graphene.InputObjectType):
    bank_bin = graphene.String(required=True, description="A `banks` BIN, e.g. 970436 (Vietcombank).")
    account_number = graphene.String(required=True, description="6 to 19 digits; never shown again beyond the last 4.")
    account_holder = graphene.String(
        required=True, description="The holder's name; stored as banks print it (upper case, no diacritics)."
    )


class DesignerBankAccountSet(PaymentMutation):
    """Set or change the caller's payout bank account (Vietnam). The number is stored encrypted and
    never shown again beyond its last four digits; every change is recorded and emailed to you."""

    class Arguments:
        input = DesignerBankAccountSetInput(required=True)

    bank_account = graphene.Field(DesignerBankAccountType)

    @classmethod
    def perform(cls, root, info, input):
        account = bank_accounts.set_bank_account(
            actor=require_user(info),
            bank_bin=input.get("bank_bin"),
            account_number=input.get("account_number"),
            account_holder=input.get("account_holder"),
        )
        return cls(bank_account=account)


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
        actor = require_user(info)
        with _id_is("refund_id"):
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
    order_cod_collect = OrderCodCollect.Field()
    order_cod_refuse = OrderCodRefuse.Field()
    designer_bank_account_set = DesignerBankAccountSet.Field()
    refund_send = RefundSend.Field()
