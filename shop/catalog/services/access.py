"""Who may write what in the catalog.

Ownership is decided here, not in resolvers. Every write looks its object up *inside the actor's
scope* — the actor's own designer's objects, or everything for staff — so an object of another
designer is answered exactly like one that does not exist (``NOT_FOUND``): nothing is changed and
nothing about it leaks. ``PermissionDenied`` is for roles only: not signed in, no designer profile,
not staff for staff-only writes.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalog import hooks
from shop.catalog.errors import CatalogErrorCode
from shop.catalog.models import Product, ProductVariant
from shop.core.errors import PermissionDenied, ServiceError


def _signed_in(actor: User | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("You must be signed in."))
    return actor


def catalog_actor(actor: User | None) -> tuple:
    """(actor, its designer). Staff may act on every designer; anyone else needs a designer profile."""
    actor = _signed_in(actor)
    designer = hooks.designers.one().of_user(actor.pk)
    if designer is None and not actor.is_staff:
        raise PermissionDenied(_("Only designers can manage products."))
    return actor, designer


def require_staff(actor: User | None) -> User:
    actor = _signed_in(actor)
    if not actor.is_staff:
        raise PermissionDenied()
    return actor


def check_catalog_role(actor: User | None) -> None:
    """Raise PermissionDenied unless ``actor`` may manage products at all (a designer, or staff)."""
    catalog_actor(actor)


def check_staff(actor: User | None) -> None:
    require_staff(actor)


def not_found(what: str, field: str = "id") -> ServiceError:
    return ServiceError(CatalogErrorCode.NOT_FOUND, _("%(what)s not found.") % {"what": what}, field)


def manageable_products(actor: User):
    """The products ``actor`` may change: all for staff, the own designer's otherwise."""
    actor, designer = catalog_actor(actor)
    if actor.is_staff:
        return Product.objects.all()
    return Product.objects.filter(designer_id=designer.pk)


def lock_product(actor: User, product_id: int, field: str = "id") -> Product:
    """The product ``product_id`` within ``actor``'s reach, locked for update, else NOT_FOUND on ``field``."""
    product = (
        manageable_products(actor)
        .select_for_update(of=("self",))
        .select_related("designer")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise not_found(_("Product"), field)
    return product


def lock_variant(actor: User, variant_id: int) -> ProductVariant:
    """The variant ``variant_id`` of a product within ``actor``'s reach, locked, else NOT_FOUND."""
    variant = (
        ProductVariant.objects.select_for_update(of=("self",))
        .filter(pk=variant_id, product__in=manageable_products(actor))
        .first()
    )
    if variant is None:
        raise not_found(_("Variant"))
    return variant


def has_orders(*, product_id: int | None = None, variant_id: int | None = None) -> bool:
    """Whether an order refers to the product (or variant): asked of the apps above (the orders app)
    before either is deleted."""
    return any(hooks.variant_in_use.send(product_id=product_id, variant_id=variant_id))
