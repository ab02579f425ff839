"""Exact money: Decimal amounts with per-currency exponents (VND has no minor unit)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

# ISO 4217 minor-unit exponents of the currencies we accept.
CURRENCY_EXPONENTS: dict[str, int] = {
    "VND": 0,
    "JPY": 0,
    "KRW": 0,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "THB": 2,
    "AUD": 2,
}

# Storage: amounts are DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES).
MAX_DIGITS = 14
DECIMAL_PLACES = 2
MAX_AMOUNT = Decimal("999999999999")  # under 10^12 in any currency


class MoneyError(ValueError):
    pass


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(_("Unsupported currency %(currency)s.") % {"currency": repr(currency)})


def parse_amount(value, currency: str) -> Decimal:
    """A non-negative amount with no more decimals than the currency allows (150000 VND, 12.50 USD)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise MoneyError(_("Not a number."))
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise MoneyError(_("Amount out of range."))
    if amount.as_tuple().exponent < -exponent(currency) and amount != amount.quantize(
        Decimal(1).scaleb(-exponent(currency))
    ):
        raise MoneyError(
            _("%(currency)s amounts have at most %(n)d decimal places.")
            % {"currency": currency, "n": exponent(currency)}
        )
    return quantize(amount, currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    return Decimal(amount).quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """Smallest-unit integer for payment providers: 150000 VND -> 150000; 12.50 USD -> 1250."""
    scaled = Decimal(amount).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(_("Amount has more precision than the currency allows."))
    return int(scaled)


def from_minor(value: int, currency: str) -> Decimal:
    return quantize(Decimal(int(value)).scaleb(-exponent(currency)), currency)


def format_money(amount, currency: str, language: str) -> str:
    """An amount as a reader of ``language`` writes it (emails): ``150000 VND`` -> ``150.000 ₫``
    (vi) / ``150,000 VND`` (en); ``1234.5 USD`` -> ``1.234,50 USD`` (vi) / ``1,234.50 USD`` (en)."""
    value = quantize(amount, currency)
    text = f"{value:,.{exponent(currency)}f}"
    if language == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return f"{text} {'₫' if currency == 'VND' else currency}"
    return f"{text} {currency}"
