"""Checkout reads: who may address a checkout, what a variant costs and whether it can be bought,
and the priced summary (per designer and overall) that both the API and completion use.

Prices are never stored on a checkout line: every summary reads the variant's current price, so
the buyer always sees, and pays, what the server computes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from designers.models import Designer, DesignerStatus
from payments.gateways.base import PaymentOffer
from shop.catalog.models import ProductStatus, ProductType, ProductVariant
from shop.catalog.selectors.visibility import on_storefront, visible_products
from shop.checkout.errors import CheckoutErrorCode
from shop.checkout.models import Checkout, CheckoutLine, CheckoutShippingChoice, ShippingMethod
from shop.core import money
from shop.core.errors import FieldError

# --- purchasability -----------------------------------------------------------------------------


def unavailable_reason(variant: ProductVariant, *, name: str | None = None) -> str | None:
    """Why ``variant`` cannot be bought right now (a message), or None when it can be. Stock is
    checked apart (it depends on the quantity). Needs ``product__designer`` loaded. ``name``: the
    product's name as the buyer knows it (a cart line's snapshot), never a draft's."""
    product = variant.product
    name = name if name is not None else product.name
    if product.status != ProductStatus.PUBLISHED or product.hidden_at is not None:
        return _("“%(name)s” is no longer available.") % {"name": name}
    if product.designer.status != DesignerStatus.APPROVED:
        return _("“%(name)s” cannot be bought at the moment: its designer is not selling.") % {"name": name}
    if product.product_type == ProductType.DIGITAL and not variant.digital_file:
        return _("“%(name)s” cannot be bought at the moment: its file is missing.") % {"name": name}
    return None


def is_physical(variant: ProductVariant) -> bool:
    return variant.product.product_type == ProductType.PHYSICAL


def variants_for_checkout(ids, *, user=None, known=()) -> dict[int, ProductVariant]:
    """The variants among ``ids`` that the caller may put in a checkout, by id: those it can see in
    the catalog (``shop.catalog.selectors.visible_products``), plus the ``known`` ones already in
    this checkout (a product unpublished since is then reported unavailable, by the name the buyer
    has seen). Any other ID is left out, so that it is answered exactly like an unknown one:
    guessing variant IDs reveals no draft, no hidden listing and no designer who is not selling."""
    reachable = Q(product__in=visible_products(user))
    if known:
        reachable |= Q(pk__in=list(known))
    return {
        v.pk: v for v in ProductVariant.objects.filter(reachable, pk__in=list(ids)).select_related("product__designer")
    }


def line_label(variant: ProductVariant) -> str:
    return f"{variant.product.name} ({variant.name})" if variant.name else variant.product.name


def line_problems(
    variant: ProductVariant, quantity: int, *, currency: str, field: str = "lines", name: str | None = None
) -> list[FieldError]:
    """Every reason a line of ``quantity`` × ``variant`` could not be bought now (``name``: see
    ``unavailable_reason``)."""
    reason = unavailable_reason(variant, name=name)
    if reason:
        return [FieldError(CheckoutErrorCode.PRODUCT_UNAVAILABLE, reason, field)]
    problems = []
    if variant.currency != currency:
        problems.append(
            FieldError(
                CheckoutErrorCode.CURRENCY_MISMATCH,
                _("“%(name)s” is priced in %(other)s; this checkout is in %(currency)s.")
                % {"name": line_label(variant), "other": variant.currency, "currency": currency},
                field,
            )
        )
    if quantity > settings.CHECKOUT_MAX_LINE_QUANTITY:
        problems.append(
            FieldError(
                CheckoutErrorCode.QUANTITY_TOO_LARGE,
                _("At most %(n)d of “%(name)s” per order.")
                % {"n": settings.CHECKOUT_MAX_LINE_QUANTITY, "name": line_label(variant)},
                field,
            )
        )
    if is_physical(variant) and quantity > variant.stock_quantity:
        if variant.stock_quantity <= 0:
            message = _("“%(name)s” is out of stock.") % {"name": line_label(variant)}
        else:
            message = _("Only %(n)d of “%(name)s” left.") % {"n": variant.stock_quantity, "name": line_label(variant)}
        problems.append(FieldError(CheckoutErrorCode.INSUFFICIENT_STOCK, message, field))
    return problems


# --- addressing a checkout ----------------------------------------------------------------------


def parse_token(token) -> uuid.UUID | None:
    if isinstance(token, uuid.UUID):
        return token
    try:
        return uuid.UUID(str(token))
    except (ValueError, TypeError, AttributeError):
        return None


def checkouts_for(user) -> QuerySet[Checkout]:
    """Checkouts the caller may address by token: anonymous ones (the token is the secret) and,
    signed in, its own. A signed-in buyer's checkout is never reachable by anyone else."""
    qs = Checkout.objects.all()
    if user is not None and user.is_authenticated:
        return qs.filter(Q(user__isnull=True) | Q(user_id=user.pk))
    return qs.filter(user__isnull=True)


def checkout_by_token(user, token) -> Checkout | None:
    token = parse_token(token)
    if token is None:
        return None
    return checkouts_for(user).filter(token=token).first()


# --- shipping methods ---------------------------------------------------------------------------


def shipping_methods_of(user, designer: Designer) -> QuerySet[ShippingMethod]:
    """The designer itself and staff see every method; everyone else the active ones."""
    qs = ShippingMethod.objects.filter(designer=designer)
    if not (user is not None and user.is_authenticated and (user.is_staff or designer.user_id == user.pk)):
        qs = qs.filter(is_active=True)
    return qs.order_by("price_amount", "id")


def shipping_method_by_id(user, pk) -> ShippingMethod | None:
    qs = ShippingMethod.objects.select_related("designer")
    method = qs.filter(pk=pk).first()
    if method is None:
        return None
    if method.is_active and method.designer.status == DesignerStatus.APPROVED:
        return method
    if user is not None and user.is_authenticated and (user.is_staff or method.designer.user_id == user.pk):
        return method
    return None


def shipping_price(method: ShippingMethod, subtotal: Decimal) -> Decimal:
    if method.free_above_amount is not None and subtotal >= method.free_above_amount:
        return money.quantize(Decimal(0), method.currency)
    return money.quantize(method.price_amount, method.currency)


# --- the priced summary -------------------------------------------------------------------------


@dataclass
class Problem(FieldError):
    line_id: int | None = None
    designer_id: int | None = None


@dataclass
class LineView:
    line: CheckoutLine
    variant: ProductVariant
    unit_price: Decimal
    total: Decimal
    problems: list[Problem]

    @property
    def physical(self) -> bool:
        return is_physical(self.variant)


@dataclass
class Part:
    """One designer's part of a checkout: its lines, shipping and totals."""

    designer: Designer
    currency: str
    lines: list[LineView] = field(default_factory=list)
    subtotal: Decimal = Decimal(0)
    shipping: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    requires_shipping: bool = False
    shipping_method: ShippingMethod | None = None  # the buyer's valid choice
    chosen: ShippingMethod | None = None  # the buyer's choice, valid or not
    problems: list[Problem] = field(default_factory=list)
    methods: _Methods | None = field(default=None, repr=False)

    @property
    def available_methods(self) -> list[ShippingMethod]:
        """The designer's active methods in the checkout's currency (physical goods only), read
        the first time any part of the summary asks: one query for every part."""
        if not self.requires_shipping or self.methods is None:
            return []
        return self.methods.of(self.designer.pk)


class _Methods:
    """The shipping methods the designers of a summary offer, loaded on first use."""

    def __init__(self, designer_ids: list[int], currency: str, loaded: dict[int, list[ShippingMethod]] | None = None):
        self.designer_ids = designer_ids
        self.currency = currency
        self.by_designer = loaded

    def of(self, designer_id: int) -> list[ShippingMethod]:
        if self.by_designer is None:
            self.by_designer = {}
            if self.designer_ids:
                for method in ShippingMethod.objects.filter(
                    designer_id__in=self.designer_ids, is_active=True, currency=self.currency
                ).order_by("price_amount", "id"):
                    self.by_designer.setdefault(method.designer_id, []).append(method)
        return self.by_designer.get(designer_id, [])


@dataclass
class Summary:
    checkout: Checkout
    currency: str
    lines: list[LineView]
    parts: list[Part]
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    requires_shipping: bool
    problems: list[Problem]


def checkout_summary(checkout: Checkout, *, fresh: bool = False) -> Summary:
    """Price the checkout from current data (2 queries whatever its size, a third only if the
    designers' available shipping methods are asked for); cached on the instance for one request
    unless ``fresh``."""
    if not fresh and getattr(checkout, "_summary", None) is not None:
        return checkout._summary
    lines = list(
        CheckoutLine.objects.filter(checkout=checkout)
        .select_related("variant__product__designer")
        .order_by("created_at", "id")
    )
    choices = {
        c.designer_id: c.shipping_method
        for c in CheckoutShippingChoice.objects.filter(checkout=checkout).select_related("shipping_method")
    }
    summary = summarize(checkout, lines, choices)
    checkout._summary = summary
    return summary


def summary_with_choice(summary: Summary, method: ShippingMethod) -> Summary:
    """The summary after the buyer chose ``method`` for its designer's part: computed again from
    the data ``summary`` was made of, without reading anything."""
    checkout = summary.checkout
    choices = {p.designer.pk: p.chosen for p in summary.parts if p.chosen is not None}
    choices[method.designer_id] = method
    methods = next((p.methods for p in summary.parts if p.methods is not None), None)
    result = summarize(checkout, [v.line for v in summary.lines], choices, methods)
    checkout._summary = result
    return result


def summarize(
    checkout: Checkout, lines: list[CheckoutLine], choices: dict[int, ShippingMethod], methods: _Methods | None = None
) -> Summary:
    """The priced summary of loaded lines (with variant, product and designer) and the buyer's
    shipping choices by designer; the designers' available methods load when first asked for."""
    currency = checkout.currency
    zero = money.quantize(Decimal(0), currency)
    parts: dict[int, Part] = {}
    views: list[LineView] = []
    for line in lines:
        variant = line.variant
        designer = variant.product.designer
        public = on_storefront(variant.product)
        # Off the storefront, the line is what the buyer put in the cart (its snapshot), never the
        # draft the product may have become (issue 13, finding 7).
        price = variant.price_amount if public or line.unit_price_amount is None else line.unit_price_amount
        unit = money.quantize(price, variant.currency)
        view = LineView(
            line=line,
            variant=variant,
            unit_price=unit,
            total=money.quantize(unit * line.quantity, variant.currency),
            problems=[],
        )
        line._view = view
        name = None if public else line.product_name
        for p in line_problems(variant, line.quantity, currency=currency, name=name):
            view.problems.append(Problem(p.code, p.message, "lines", line_id=line.pk, designer_id=designer.pk))
        views.append(view)
        part = parts.get(designer.pk)
        if part is None:
            part = parts[designer.pk] = Part(
                designer=designer, currency=currency, subtotal=zero, shipping=zero, total=zero
            )
        part.lines.append(view)
        part.subtotal += view.total
        part.requires_shipping = part.requires_shipping or view.physical

    if methods is None:
        methods = _Methods([d for d, p in parts.items() if p.requires_shipping], currency)
    problems: list[Problem] = []
    for part in parts.values():
        problems.extend(p for v in part.lines for p in v.problems)
        if not part.requires_shipping:
            part.total = part.subtotal
            continue
        part.methods = methods
        chosen = choices.get(part.designer.pk)
        part.chosen = chosen
        if chosen is None:
            part.problems.append(
                Problem(
                    CheckoutErrorCode.SHIPPING_METHOD_REQUIRED,
                    _("Choose how %(designer)s should ship your items.") % {"designer": part.designer.display_name},
                    "shipping_method",
                    designer_id=part.designer.pk,
                )
            )
        elif not chosen.is_active or chosen.currency != currency or chosen.designer_id != part.designer.pk:
            part.problems.append(
                Problem(
                    CheckoutErrorCode.SHIPPING_METHOD_UNAVAILABLE,
                    _("“%(method)s” is no longer offered by %(designer)s; choose another shipping method.")
                    % {"method": chosen.name, "designer": part.designer.display_name},
                    "shipping_method",
                    designer_id=part.designer.pk,
                )
            )
        else:
            part.shipping_method = chosen
            part.shipping = shipping_price(chosen, part.subtotal)
        part.total = part.subtotal + part.shipping
        problems.extend(part.problems)

    ordered_parts = list(parts.values())
    requires_shipping = any(p.requires_shipping for p in ordered_parts)
    head: list[Problem] = []
    if not views:
        head.append(Problem(CheckoutErrorCode.EMPTY_CHECKOUT, _("The checkout has no items."), "lines"))
    if not (checkout.email or (checkout.user_id and checkout.user.email)):
        head.append(
            Problem(CheckoutErrorCode.REQUIRED, _("Enter an email address for the order confirmation."), "email")
        )
    if requires_shipping and not checkout.shipping_address:
        head.append(
            Problem(CheckoutErrorCode.SHIPPING_ADDRESS_REQUIRED, _("Enter a shipping address."), "shipping_address")
        )
    if len(views) > settings.CHECKOUT_MAX_LINES:
        head.append(
            Problem(
                CheckoutErrorCode.TOO_MANY_LINES,
                _("At most %(n)d items per checkout.") % {"n": settings.CHECKOUT_MAX_LINES},
                "lines",
            )
        )

    return Summary(
        checkout=checkout,
        currency=currency,
        lines=views,
        parts=ordered_parts,
        subtotal=sum((p.subtotal for p in ordered_parts), zero),
        shipping=sum((p.shipping for p in ordered_parts), zero),
        total=sum((p.total for p in ordered_parts), zero),
        requires_shipping=requires_shipping,
        problems=head + problems,
    )


def payment_offer(summary: Summary):
    """What the gateways need to know to say whether they can take this checkout."""
    return PaymentOffer(
        currency=summary.currency,
        total=summary.total,
        all_physical=bool(summary.lines) and all(view.physical for view in summary.lines),
        designer_ids=tuple(part.designer.pk for part in summary.parts),
    )
