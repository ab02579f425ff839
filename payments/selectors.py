"""Payment reads, permission-aware: a designer sees its own money, staff see everyone's; nobody
else sees any (an object the caller may not see is simply absent)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from designers.models import Designer
from payments import ledger
from payments.models import LedgerEntry, PayoutAccount, Refund


def can_see_money(user, designer: Designer) -> bool:
    return user is not None and user.is_authenticated and (user.is_staff or designer.user_id == user.pk)


def payout_account(user, designer: Designer) -> PayoutAccount | None:
    if not can_see_money(user, designer):
        return None
    return PayoutAccount.objects.filter(designer_id=designer.pk).first()


def designer_balance(user, designer: Designer, currency: str) -> ledger.Balance | None:
    if not can_see_money(user, designer):
        return None
    return ledger.balance(designer_id=designer.pk, currency=currency)


def ledger_entries(
    user,
    designer: Designer,
    *,
    kinds: list[str] | None = None,
    currency: str | None = None,
    order_id: int | None = None,
) -> QuerySet[LedgerEntry]:
    if not can_see_money(user, designer):
        return LedgerEntry.objects.none()
    qs = LedgerEntry.objects.filter(designer_id=designer.pk).select_related("order")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if currency:
        qs = qs.filter(currency=currency.upper())
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    return qs.order_by("-created_at", "-id")


def ledger_entry_by_id(user, pk) -> LedgerEntry | None:
    if user is None or not user.is_authenticated:
        return None
    qs = LedgerEntry.objects.select_related("order")
    if not user.is_staff:
        qs = qs.filter(designer__user_id=user.pk)
    return qs.filter(pk=pk).first()


def refund_by_id(user, pk) -> Refund | None:
    """Staff, the order's designer and the buyer who paid see a refund."""
    if user is None or not user.is_authenticated:
        return None
    qs = Refund.objects.select_related("order")
    if not user.is_staff:
        qs = qs.filter(Q(order__designer__user_id=user.pk) | Q(order__purchase__user_id=user.pk))
    return qs.filter(pk=pk).first()


def designers_with_debts(currency: str) -> list[tuple[Designer, str, int]]:
    """(designer, currency, owed in the smallest unit), largest debt first; for staff. Two queries."""
    rows = ledger.designers_owing(currency)
    designers = Designer.objects.in_bulk([designer_id for designer_id, _c, _o in rows])
    return [(designers[designer_id], cur, owed) for designer_id, cur, owed in rows if designer_id in designers]
