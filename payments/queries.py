import graphene
from django.conf import settings

from payments import selectors
from payments.banks import banks
from payments.types import BankType, DesignerDebtConnection, DesignerDebtType
from shop.core import money
from shop.core.graphql import require_staff
from shop.core.money_type import Money
from shop.core.pagination import connection_args, paginate


class PaymentQueries(graphene.ObjectType):
    banks = graphene.List(
        graphene.NonNull(BankType),
        required=True,
        description="The Vietnamese banks a payout bank account may be at (designerBankAccountSet).",
    )
    designers_with_debts = graphene.Field(
        graphene.NonNull(DesignerDebtConnection),
        currency=graphene.String(description="ISO 4217; the default currency when omitted."),
        description="Staff: designers who owe the platform more than it holds for them (commission on "
        "cash collected on delivery), largest debt first.",
        **connection_args(),
    )

    def resolve_banks(root, info):
        return list(banks())

    def resolve_designers_with_debts(root, info, currency=None, **page):
        require_staff(info)
        currency = (currency or settings.DEFAULT_CURRENCY).upper()
        rows = [
            DesignerDebtType(designer=designer, owed=Money(amount=money.from_minor(owed, cur), currency=cur))
            for designer, cur, owed in selectors.designers_with_debts(currency)
        ]
        return paginate(rows, DesignerDebtConnection, **page)
