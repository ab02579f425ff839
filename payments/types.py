import graphene
from django.conf import settings
from django.utils.translation import gettext as _
from graphene import relay
from graphene_django import DjangoObjectType
from graphql_relay import to_global_id

from graphql import GraphQLError
from payments import bank_accounts, errors, selectors
from payments.banks import Bank, bank_by_bin
from payments.models import LedgerEntry, Refund
from shop.core import money
from shop.core.graphql import current_user, error_codes
from shop.core.ids import try_decode_id
from shop.core.money_type import Money
from shop.core.pagination import CountableConnection, connection_args, paginate

PaymentErrorCode = error_codes(errors.PaymentErrorCode)


class LedgerEntryKindEnum(graphene.Enum):
    class Meta:
        name = "LedgerEntryKind"

    SALE = "SALE"
    COMMISSION = "COMMISSION"
    COMMISSION_REFUND = "COMMISSION_REFUND"
    REFUND = "REFUND"
    DISPUTE = "DISPUTE"
    DISPUTE_REVERSAL = "DISPUTE_REVERSAL"
    TRANSFER = "TRANSFER"
    TRANSFER_REVERSAL = "TRANSFER_REVERSAL"
    PAYOUT = "PAYOUT"
    PAYOUT_FAILED = "PAYOUT_FAILED"
    COD_COLLECTED = "COD_COLLECTED"


class LedgerEntryType(DjangoObjectType):
    """One money movement of a designer. Amounts are signed: see DesignerBalance for how they add up."""

    kind = graphene.Field(LedgerEntryKindEnum, required=True)
    amount = graphene.Field(Money, required=True, description="Signed; exact, in the order's currency.")
    order_number = graphene.String(description="The order the movement belongs to, if any.")

    class Meta:
        model = LedgerEntry
        name = "LedgerEntry"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "description", "created_at")

    def resolve_kind(root, info):
        return str(root.kind)

    def resolve_amount(root, info):
        return Money(amount=money.from_minor(root.amount, root.currency), currency=root.currency)

    def resolve_order_number(root, info):
        return root.order.number if root.order_id else None

    @classmethod
    def get_node(cls, info, id):
        return selectors.ledger_entry_by_id(current_user(info), id)


LedgerEntryConnection = LedgerEntryType._meta.connection


class LedgerFilterInput(graphene.InputObjectType):
    kinds = graphene.List(graphene.NonNull(LedgerEntryKindEnum))
    currency = graphene.String()
    order = graphene.ID(description="An Order's global ID.")


class DesignerBalanceType(graphene.ObjectType):
    """pending: earned and still held by the platform (not yet transferred, e.g. before payouts
    are set up); owed: what the designer owes the platform (the commission on cash it collected on
    delivery) beyond what the platform holds for it, netted against its next earnings (pending and
    owed are never both above zero); available: transferred to the designer's Stripe account, not
    yet paid to the bank; paidOut: paid to the designer's bank; collectedOnDelivery: cash the
    designer kept from buyers paying on delivery.
    pending - owed + available + paidOut + collectedOnDelivery = everything earned."""

    class Meta:
        name = "DesignerBalance"

    currency = graphene.String(required=True)
    pending = graphene.Field(Money, required=True)
    owed = graphene.Field(Money, required=True)
    available = graphene.Field(Money, required=True)
    paid_out = graphene.Field(Money, required=True)
    collected_on_delivery = graphene.Field(Money, required=True)

    @staticmethod
    def from_balance(balance):
        m = lambda value: Money(amount=money.from_minor(value, balance.currency), currency=balance.currency)  # noqa: E731
        return DesignerBalanceType(
            currency=balance.currency,
            pending=m(balance.pending),
            owed=m(balance.owed),
            available=m(balance.available),
            paid_out=m(balance.paid_out),
            collected_on_delivery=m(balance.collected),
        )


class BankType(graphene.ObjectType):
    """A Vietnamese bank (NAPAS / VietQR)."""

    class Meta:
        name = "Bank"

    bin = graphene.String(required=True, description="Pass it as `bankBin` to designerBankAccountSet.")
    short_name = graphene.String(required=True)
    code = graphene.String(required=True)
    name = graphene.String(required=True)


class DesignerBankAccountType(graphene.ObjectType):
    """Where the designer's payouts go; the number is never shown beyond its last four digits."""

    class Meta:
        name = "DesignerBankAccount"

    bank = graphene.Field(BankType, required=True)
    account_number_last4 = graphene.String(required=True)
    account_holder = graphene.String(required=True, description="As the bank prints it: upper case, no diacritics.")
    updated_at = graphene.DateTime(required=True)

    def resolve_bank(root, info):
        return bank_by_bin(root.bank_bin) or Bank(bin=root.bank_bin, short_name=root.bank_bin, code="", name="")

    def resolve_account_number_last4(root, info):
        return root.account_last4


class DesignerDebtType(graphene.ObjectType):
    """A designer who owes the platform more than it holds for it (staff)."""

    class Meta:
        name = "DesignerDebt"

    designer = graphene.Field("designers.types.DesignerType", required=True)  # designers.types imports this module
    owed = graphene.Field(Money, required=True)


class DesignerDebtConnection(CountableConnection):
    class Meta:
        node = DesignerDebtType


class RefundLineType(graphene.ObjectType):
    class Meta:
        name = "RefundLine"

    line_id = graphene.ID(required=True, description="The OrderLine's global ID.")
    quantity = graphene.Int(required=True)


class RefundSourceEnum(graphene.Enum):
    class Meta:
        name = "RefundSource"

    API = "API"
    PROVIDER = "PROVIDER"


class RefundStatusEnum(graphene.Enum):
    class Meta:
        name = "RefundStatus"

    REFUNDED = "REFUNDED"  # made by the payment provider
    OWED = "OWED"  # owed to the buyer (no refund API, e.g. payOS): pending until staff send it
    SENT = "SENT"  # owed, then sent to the buyer's bank account


class BankPayoutStatusEnum(graphene.Enum):
    class Meta:
        name = "BankPayoutStatus"

    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class RefundType(DjangoObjectType):
    amount = graphene.Field(Money, required=True)
    lines = graphene.List(graphene.NonNull(RefundLineType), required=True)
    source = graphene.Field(RefundSourceEnum, required=True)
    status = graphene.Field(
        RefundStatusEnum, required=True, description="OWED: recorded, not yet sent to the buyer (pending)."
    )
    sent_at = graphene.DateTime(description="When an owed refund reached the buyer's bank account.")

    def resolve_status(root, info):
        if not root.owed:
            return "REFUNDED"
        return "SENT" if root.owed_sent_at else "OWED"

    def resolve_sent_at(root, info):
        return root.owed_sent_at

    class Meta:
        model = Refund
        name = "Refund"
        interfaces = (relay.Node,)
        fields = ("id", "reason", "restock", "created_at")

    def resolve_amount(root, info):
        return Money(amount=money.quantize(root.amount, root.currency), currency=root.currency)

    def resolve_lines(root, info):
        return [
            RefundLineType(line_id=to_global_id("OrderLine", item["line_id"]), quantity=item["quantity"])
            for item in root.lines
        ]

    def resolve_source(root, info):
        return str(root.source)

    @classmethod
    def get_node(cls, info, id):
        return selectors.refund_by_id(current_user(info), id)


class DesignerPayoutFields:
    """Money fields of the Designer type (mixed into designers.types.DesignerType); null for anyone
    but the designer itself and staff."""

    payouts_enabled = graphene.Boolean(
        description="Payouts are set up (Stripe Connect); the designer itself and staff only."
    )
    balance = graphene.Field(
        DesignerBalanceType,
        currency=graphene.String(description="ISO 4217; the default currency when omitted."),
        description="What the designer has earned, by where the money is; the designer itself and staff only.",
    )
    bank_account = graphene.Field(
        DesignerBankAccountType,
        description="Where payouts go (last four digits only); the designer itself and staff only.",
    )
    ledger = graphene.Field(
        LedgerEntryConnection,
        filter=LedgerFilterInput(),
        description="Every money movement, newest first; the designer itself and staff only.",
        **connection_args(),
    )

    def resolve_payouts_enabled(root, info):
        user = current_user(info)
        if not selectors.can_see_money(user, root):
            return None
        account = selectors.payout_account(user, root)
        return bool(account and account.payouts_enabled)

    def resolve_bank_account(root, info):
        return bank_accounts.bank_account_of(current_user(info), root)

    def resolve_balance(root, info, currency=None):
        currency = (currency or settings.DEFAULT_CURRENCY).upper()
        if currency not in money.CURRENCY_EXPONENTS:  # found by the fuzz test: an error, never a 500
            raise GraphQLError(
                _("Unsupported currency %(currency)s.") % {"currency": repr(currency[:10])},
                extensions={"code": "INVALID_CURRENCY"},
            )
        balance = selectors.designer_balance(current_user(info), root, currency)
        return DesignerBalanceType.from_balance(balance) if balance is not None else None

    def resolve_ledger(root, info, filter=None, **page):
        user = current_user(info)
        if not selectors.can_see_money(user, root):
            return None
        filter = filter or {}
        kinds = [k.value if hasattr(k, "value") else k for k in (filter.get("kinds") or [])]
        order_id = None
        if filter.get("order"):
            order_id = try_decode_id(filter["order"], "Order")
            order_id = -1 if order_id is None else order_id  # an unknown order: no entries
        qs = selectors.ledger_entries(user, root, kinds=kinds, currency=filter.get("currency"), order_id=order_id)
        return paginate(qs, LedgerEntryConnection, **page)
