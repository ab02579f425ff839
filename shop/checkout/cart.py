"""The buyer's cart, across designers: its lines (checked as the buyer will pay for them), email,
shipping address, the shipping method chosen for each designer's physical items, taking over an
anonymous cart once signed in, and forgetting abandoned anonymous carts.

Every write locks the checkout's row first (:func:`locked_checkout`, also used by completion), so
two requests on the same checkout run one after the other. A user mistake raises a coded
ServiceError and, the services being atomic, writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from designers.models import DesignerStatus
from shop.accounts.models import User
from shop.catalog.models import ProductType
from shop.catalog.selectors import visibility as catalog_selectors
from shop.checkout import selectors
from shop.checkout.address import clean_address
from shop.checkout.errors import CheckoutErrorCode
from shop.checkout.models import Checkout, CheckoutLine, CheckoutShippingChoice, ShippingMethod
from shop.core.errors import FieldError, PermissionDenied, ServiceError
from shop.core.languages import is_supported, supported_language
from shop.core.validation import clean_email

# --- helpers ----------------------------------------------------------------------------------------


def signed_in(user) -> User | None:
    """The user when signed in, None for an anonymous buyer."""
    return user if user is not None and user.is_authenticated else None


def locked_checkout(token, user, *, allow_completed: bool = False, related: tuple[str, ...] = ()) -> Checkout:
    """The caller's checkout, row-locked (only its own row: ``related`` rows are joined, not locked)."""
    token = selectors.parse_token(token)
    checkout = None
    if token is not None:
        qs = selectors.checkouts_for(signed_in(user)).select_for_update(of=("self",))
        if related:
            qs = qs.select_related(*related)
        checkout = qs.filter(token=token).first()
    if checkout is None:
        raise ServiceError(CheckoutErrorCode.NOT_FOUND, _("Checkout not found."), "token")
    if checkout.completed_at is not None and not allow_completed:
        raise ServiceError(
            CheckoutErrorCode.CHECKOUT_COMPLETED, _("This checkout has already been completed."), "token"
        )
    return checkout


def _touch(checkout: Checkout) -> None:
    checkout.save(update_fields=["updated_at"])


@dataclass(frozen=True)
class LineInput:
    variant_id: int
    quantity: int


def _clean_lines(lines, *, field: str = "lines", allow_zero: bool = False) -> list[LineInput]:
    lines = list(lines or [])
    if len(lines) > settings.CHECKOUT_MAX_LINES:
        raise ServiceError(
            CheckoutErrorCode.TOO_MANY_LINES,
            _("At most %(n)d items per checkout.") % {"n": settings.CHECKOUT_MAX_LINES},
            field,
        )
    cleaned: list[LineInput] = []
    seen: set[int] = set()
    for item in lines:
        variant_id = item.get("variant_id")
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or quantity < (0 if allow_zero else 1):
            raise ServiceError(
                CheckoutErrorCode.INVALID,
                _("Quantities must be whole numbers of at least %(n)d.") % {"n": 0 if allow_zero else 1},
                field,
            )
        if variant_id in seen:
            raise ServiceError(
                CheckoutErrorCode.DUPLICATED_INPUT_ITEM, _("Each product variant may appear only once."), field
            )
        seen.add(variant_id)
        cleaned.append(LineInput(variant_id, quantity))
    return cleaned


SNAPSHOT_FIELDS = ("product_name", "product_slug", "variant_name", "sku", "unit_price_amount")


def snapshot_line(line: CheckoutLine, variant) -> bool:
    """Record on ``line`` what the buyer sees of ``variant`` now (loaded with its product); whether
    anything changed. Shown instead of the live catalog once the product leaves the storefront."""
    values = {
        "product_name": variant.product.name,
        "product_slug": variant.product.slug,
        "variant_name": variant.name,
        "sku": variant.sku,
        "unit_price_amount": variant.price_amount,
    }
    changed = any(getattr(line, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(line, key, value)
    return changed


def _check_and_write_lines(
    checkout: Checkout, wanted: dict[int, int], *, user: User | None, field: str = "lines", new: bool = False
) -> None:
    """Set the quantity of each variant in ``wanted`` (0 removes it), after checking each one as
    the buyer will pay for it: it exists (for ``user``: a variant it cannot see in the catalog is
    NOT_FOUND unless already in the checkout), can be bought, fits the per-line maximum and the
    stock, and is in the checkout's currency. ``new``: the checkout was created in this
    transaction (it has no lines and no shipping choices yet, and was just saved)."""
    existing = {} if new else {line.variant_id: line for line in CheckoutLine.objects.filter(checkout=checkout)}
    variants = selectors.variants_for_checkout(wanted, user=signed_in(user), known=existing)
    removed = {pk for pk, q in wanted.items() if q == 0}
    final = (set(existing) | set(wanted)) - removed
    # A checkout's currency follows its lines: the first line sets it, every other must match.
    currency = checkout.currency
    if not (set(existing) & final):
        first = next((variants[pk] for pk, q in wanted.items() if q > 0 and pk in variants), None)
        currency = first.currency if first is not None else checkout.currency
    errors: list[FieldError] = []
    for pk, quantity in wanted.items():
        variant = variants.get(pk)
        if variant is None:
            errors.append(FieldError(CheckoutErrorCode.NOT_FOUND, _("This product variant does not exist."), field))
        elif quantity > 0:
            errors.extend(selectors.line_problems(variant, quantity, currency=currency, field=field))
    if len(final) > settings.CHECKOUT_MAX_LINES:
        errors.append(
            FieldError(
                CheckoutErrorCode.TOO_MANY_LINES,
                _("At most %(n)d items per checkout.") % {"n": settings.CHECKOUT_MAX_LINES},
                field,
            )
        )
    if errors:
        raise ServiceError.many(errors)

    to_create, to_update, to_delete = [], [], []
    for pk, quantity in wanted.items():
        line = existing.get(pk)
        if quantity == 0:
            if line is not None:
                to_delete.append(line.pk)
        elif line is None:
            line = CheckoutLine(checkout=checkout, variant_id=pk, quantity=quantity)
            snapshot_line(line, variants[pk])
            to_create.append(line)
        else:
            changed = line.quantity != quantity
            line.quantity = quantity
            # what the buyer sees now becomes the line's snapshot (only while it is on the storefront)
            if catalog_selectors.on_storefront(variants[pk].product):
                changed = snapshot_line(line, variants[pk]) or changed
            if changed:
                to_update.append(line)
    if to_delete:
        CheckoutLine.objects.filter(pk__in=to_delete).delete()
    if to_update:
        CheckoutLine.objects.bulk_update(to_update, ["quantity", *SNAPSHOT_FIELDS])
    if to_create:
        CheckoutLine.objects.bulk_create(to_create)
        for line in to_create:
            line.variant = variants[line.variant_id]  # loaded with product and designer above
    if currency != checkout.currency:
        checkout.currency = currency
        checkout.save(update_fields=["currency", "updated_at"])
    elif not new:
        _touch(checkout)
    if not new:
        _drop_stale_shipping_choices(checkout)
    else:
        # A new checkout holds exactly these lines and no shipping choice: its summary (what the
        # response shows) is priced from them without reading them back.
        checkout._summary = selectors.summarize(checkout, to_create, {})


def _drop_stale_shipping_choices(checkout: Checkout) -> None:
    """A shipping choice only makes sense for a designer with physical items in the checkout."""
    shipping_designers = CheckoutLine.objects.filter(
        checkout=checkout, variant__product__product_type=ProductType.PHYSICAL
    ).values("variant__product__designer_id")
    CheckoutShippingChoice.objects.filter(checkout=checkout).exclude(designer_id__in=shipping_designers).delete()


def _language(user, language: str | None) -> str:
    """A signed-in buyer's own language, else the one asked for (the request's), as one of ours."""
    if user is not None and is_supported(getattr(user, "language", None)):
        return user.language
    return supported_language(language)


# --- the cart ---------------------------------------------------------------------------------------


@transaction.atomic
def create_checkout(
    *,
    user: User | None,
    email: str | None = None,
    lines=None,
    shipping_address: dict | None = None,
    language: str | None = None,
) -> Checkout:
    """A new checkout, tied to the user when signed in (its email by default)."""
    user = signed_in(user)
    if email:
        email = clean_email(email)
    elif user is not None:
        email = user.email
    address = clean_address(shipping_address, prefix="shipping_address.") if shipping_address else None
    cleaned = _clean_lines(lines)
    checkout = Checkout.objects.create(
        user=user,
        email=email or "",
        currency=settings.DEFAULT_CURRENCY,
        shipping_address=address,
        language=_language(user, language),
    )
    if cleaned:
        _check_and_write_lines(checkout, {li.variant_id: li.quantity for li in cleaned}, user=user, new=True)
    return checkout


@transaction.atomic
def add_lines(*, token, user: User | None, lines) -> Checkout:
    """Add variants; a variant already in the checkout has its quantity increased."""
    checkout = locked_checkout(token, user)
    cleaned = _clean_lines(lines)
    if not cleaned:
        raise ServiceError(CheckoutErrorCode.REQUIRED, _("Add at least one item."), "lines")
    current = dict(CheckoutLine.objects.filter(checkout=checkout).values_list("variant_id", "quantity"))
    _check_and_write_lines(
        checkout, {li.variant_id: current.get(li.variant_id, 0) + li.quantity for li in cleaned}, user=user
    )
    return checkout


@transaction.atomic
def update_lines(*, token, user: User | None, lines) -> Checkout:
    """Set quantities; 0 removes the line."""
    checkout = locked_checkout(token, user)
    cleaned = _clean_lines(lines, allow_zero=True)
    if not cleaned:
        raise ServiceError(CheckoutErrorCode.REQUIRED, _("Give at least one line."), "lines")
    _check_and_write_lines(checkout, {li.variant_id: li.quantity for li in cleaned}, user=user)
    return checkout


@transaction.atomic
def delete_lines(*, token, user: User | None, line_ids: list[int]) -> Checkout:
    checkout = locked_checkout(token, user)
    ids = set(line_ids or [])
    if not ids:
        raise ServiceError(CheckoutErrorCode.REQUIRED, _("Give at least one line."), "line_ids")
    found = set(CheckoutLine.objects.filter(checkout=checkout, pk__in=ids).values_list("pk", flat=True))
    if found != ids:
        raise ServiceError(CheckoutErrorCode.NOT_FOUND, _("Some lines are not in this checkout."), "line_ids")
    CheckoutLine.objects.filter(pk__in=ids).delete()
    _touch(checkout)
    _drop_stale_shipping_choices(checkout)
    return checkout


@transaction.atomic
def update_email(*, token, user: User | None, email: str | None) -> Checkout:
    checkout = locked_checkout(token, user)
    checkout.email = clean_email(email)
    checkout.save(update_fields=["email", "updated_at"])
    return checkout


@transaction.atomic
def update_shipping_address(*, token, user: User | None, address: dict | None) -> Checkout:
    checkout = locked_checkout(token, user)
    checkout.shipping_address = clean_address(address)
    checkout.save(update_fields=["shipping_address", "updated_at"])
    return checkout


@transaction.atomic
def set_shipping_method(*, token, user: User | None, shipping_method_id: int) -> Checkout:
    """The buyer picks one of a designer's methods for that designer's physical items."""
    checkout = locked_checkout(token, user)
    pk = shipping_method_id
    # Only approved designers sell (and so can be in a checkout): any other designer's method is
    # answered like an unknown one, so that guessed IDs do not reveal who has applied or is suspended.
    method = (
        ShippingMethod.objects.select_related("designer")
        .filter(pk=pk, is_active=True, designer__status=DesignerStatus.APPROVED)
        .first()
    )
    if method is None:
        raise ServiceError(CheckoutErrorCode.NOT_FOUND, _("Shipping method not found."), "shipping_method_id")
    summary = selectors.checkout_summary(checkout, fresh=True)
    part = next((p for p in summary.parts if p.designer.pk == method.designer_id), None)
    if part is None or not part.requires_shipping:
        raise ServiceError(
            CheckoutErrorCode.SHIPPING_METHOD_NOT_APPLICABLE,
            _("This checkout has nothing for %(designer)s to ship.") % {"designer": method.designer.display_name},
            "shipping_method_id",
        )
    if method.currency != checkout.currency:
        raise ServiceError(
            CheckoutErrorCode.CURRENCY_MISMATCH,
            _("This shipping method is priced in another currency."),
            "shipping_method_id",
        )
    # One statement, the (checkout, designer) unique constraint deciding between insert and update.
    CheckoutShippingChoice.objects.bulk_create(
        [CheckoutShippingChoice(checkout=checkout, designer_id=method.designer_id, shipping_method=method)],
        update_conflicts=True,
        unique_fields=["checkout", "designer"],
        update_fields=["shipping_method"],
    )
    _touch(checkout)
    selectors.summary_with_choice(summary, method)  # what the response shows, without reading it all again
    return checkout


@transaction.atomic
def attach_customer(*, token, user: User) -> Checkout:
    """A signed-in buyer takes over its anonymous checkout (e.g. after logging in at the end)."""
    if signed_in(user) is None:
        raise PermissionDenied(_("You must be signed in."))
    checkout = locked_checkout(token, user)
    if checkout.user_id is None:
        checkout.user = user
        checkout.email = checkout.email or user.email
        checkout.language = _language(user, checkout.language)
        checkout.save(update_fields=["user", "email", "language", "updated_at"])
    return checkout


# --- housekeeping -----------------------------------------------------------------------------------


def purge_abandoned_checkouts(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete the anonymous checkouts that were never completed and that nobody touched for
    ``CHECKOUT_RETENTION_DAYS``, with their lines and shipping choices: a stranger's email and
    address are not kept for a cart abandoned weeks ago. Signed-in buyers keep their carts;
    completed checkouts stay with their purchases. Returns how many were deleted.

    In batches, each in its own transaction, the rows locked first (a buyer who comes back at that
    moment waits, then finds the checkout gone; rows another request holds are skipped and left for
    the next run). Running it again deletes nothing more."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.CHECKOUT_RETENTION_DAYS)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Checkout.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(user__isnull=True, completed_at__isnull=True, updated_at__lt=cutoff, purchase__isnull=True)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            Checkout.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
