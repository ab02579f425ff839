"""The schema's ``Money`` type and the plain values its fields resolve to (amounts themselves are
in shop/core/money.py)."""

from __future__ import annotations

from decimal import Decimal

import graphene

from shop.core.scalars import DecimalScalar


class Money(graphene.ObjectType):
    amount = DecimalScalar(required=True, description="Exact amount, serialised as a string.")
    currency = graphene.String(required=True, description="ISO 4217 code; VND has no minor unit.")


class MoneyValue:
    """What ``Money`` fields resolve to: a plain value (graphene ObjectType instances cost several
    times more to make, and a product list makes hundreds)."""

    __slots__ = ("amount", "currency")

    def __init__(self, amount: Decimal, currency: str):
        self.amount = amount
        self.currency = currency

    def __eq__(self, other):
        return isinstance(other, MoneyValue) and (self.amount, self.currency) == (other.amount, other.currency)

    def __repr__(self) -> str:
        return f"MoneyValue({self.amount!r}, {self.currency!r})"


def money(amount: Decimal | int, currency: str) -> MoneyValue:
    return MoneyValue(Decimal(amount), currency)
