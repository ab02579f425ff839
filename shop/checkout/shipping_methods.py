"""Designers' shipping methods: a designer adds, changes and removes the ways it ships (name,
price, free-above threshold, delivery days). The storefront's read cache forgets the designer's
page on each change (``shop.checkout.cache``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from designers.models import Designer
from designers.selectors import designer_of
from shop.accounts.models import User
from shop.checkout.cache import shipping_methods_changed
from shop.checkout.errors import ShippingErrorCode
from shop.checkout.models import ShippingMethod
from shop.core import money
from shop.core.errors import FieldError, PermissionDenied, ServiceError
from shop.core.validation import clean_text


def _designer_of(user: User) -> Designer:
    designer = designer_of(user)
    if designer is None:
        raise PermissionDenied(_("Only designers manage shipping methods."))
    return designer


def _clean_method(data: dict, *, currency: str, partial: bool, current: ShippingMethod | None = None) -> dict:
    cleaned: dict = {}
    errors: list[FieldError] = []

    def money_field(name: str, required: bool):
        value = data.get(name)
        if value is None:
            if required and not partial:
                errors.append(FieldError(ShippingErrorCode.REQUIRED, _("This field is required."), name))
            return
        try:
            cleaned[name] = money.parse_amount(value, currency)
        except money.MoneyError as exc:
            errors.append(FieldError(ShippingErrorCode.INVALID, str(exc), name))

    if "name" in data or not partial:
        try:
            cleaned["name"] = clean_text(data.get("name"), field="name", max_length=100, required=True)
        except ServiceError as exc:
            errors.extend(exc.errors)
    money_field("price_amount", required=True)
    if "free_above_amount" in data:
        if data["free_above_amount"] is None:
            cleaned["free_above_amount"] = None
        else:
            money_field("free_above_amount", required=False)
    for name in ("min_days", "max_days"):
        if data.get(name) is not None:
            if not isinstance(data[name], int) or not 0 <= data[name] <= 90:
                errors.append(FieldError(ShippingErrorCode.INVALID, _("Use a number of days from 0 to 90."), name))
            else:
                cleaned[name] = data[name]
    if data.get("is_active") is not None:
        cleaned["is_active"] = bool(data["is_active"])
    min_days = cleaned.get("min_days", current.min_days if current else 1)
    max_days = cleaned.get("max_days", current.max_days if current else max(min_days, 5))
    if not errors and min_days > max_days:
        errors.append(
            FieldError(
                ShippingErrorCode.INVALID, _("The fastest delivery cannot be slower than the slowest."), "min_days"
            )
        )
    cleaned.setdefault("min_days", min_days)
    cleaned.setdefault("max_days", max_days)
    if errors:
        raise ServiceError.many(errors)
    return cleaned


@transaction.atomic
def create_shipping_method(*, actor: User, data: dict) -> ShippingMethod:
    designer = _designer_of(actor)
    Designer.objects.select_for_update().filter(pk=designer.pk).first()  # serialises the count check
    currency = (data.get("currency") or settings.DEFAULT_CURRENCY).upper()
    if currency not in money.CURRENCY_EXPONENTS:
        raise ServiceError(ShippingErrorCode.INVALID, _("Unsupported currency."), "currency")
    cleaned = _clean_method(data, currency=currency, partial=False)
    if ShippingMethod.objects.filter(designer=designer).count() >= settings.SHIPPING_METHODS_MAX_PER_DESIGNER:
        raise ServiceError(
            ShippingErrorCode.LIMIT_REACHED,
            _("At most %(n)d shipping methods per designer.") % {"n": settings.SHIPPING_METHODS_MAX_PER_DESIGNER},
            None,
        )
    method = ShippingMethod.objects.create(designer=designer, currency=currency, **cleaned)
    shipping_methods_changed(designer.pk)
    return method


def _own_method(actor: User, method_id: int) -> ShippingMethod:
    designer = _designer_of(actor)
    method = ShippingMethod.objects.select_for_update().filter(pk=method_id, designer=designer).first()
    if method is None:
        raise ServiceError(ShippingErrorCode.NOT_FOUND, _("Shipping method not found."), "id")
    return method


@transaction.atomic
def update_shipping_method(*, actor: User, method_id: int, data: dict) -> ShippingMethod:
    method = _own_method(actor, method_id)
    cleaned = _clean_method(data, currency=method.currency, partial=True, current=method)
    for key, value in cleaned.items():
        setattr(method, key, value)
    method.save()
    shipping_methods_changed(method.designer_id)
    return method


@transaction.atomic
def delete_shipping_method(*, actor: User, method_id: int) -> ShippingMethod:
    """Orders keep the method's name; open checkouts that chose it must choose again."""
    method = _own_method(actor, method_id)
    deleted_pk = method.pk
    method.delete()
    method.pk = deleted_pk
    shipping_methods_changed(method.designer_id)
    return method
