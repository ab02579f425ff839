"""Designer reads, permission-aware: the public sees approved designers only; a designer always
sees itself; staff see everyone."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.text import slugify

from designers.models import Designer, DesignerStatus, DesignerStatusChange, PortfolioImage, PortfolioItem
from shop.catalog.selectors.products import with_list_relations
from shop.catalog.selectors.visibility import visible_products
from shop.core.text import fold


def visible_designers(user) -> QuerySet[Designer]:
    qs = Designer.objects.all()
    if user is not None and user.is_authenticated:
        if user.is_staff:
            return qs
        return qs.filter(Q(status=DesignerStatus.APPROVED) | Q(user_id=user.pk))
    return qs.filter(status=DesignerStatus.APPROVED)


def designer_list(
    user, *, search: str | None = None, city: str | None = None, status: str | None = None
) -> QuerySet[Designer]:
    qs = visible_designers(user)
    if status:
        qs = qs.filter(status=status)
    elif not (user is not None and user.is_authenticated and user.is_staff):
        # Public lists show approved designers only, even to a pending designer itself.
        qs = qs.filter(status=DesignerStatus.APPROVED)
    if search:
        folded = fold(search.strip())[:100]
        qs = qs.filter(Q(display_name__icontains=search.strip()[:100]) | Q(slug__icontains=slugify(folded)))
    if city:
        qs = qs.filter(city__iexact=city)
    return qs.order_by("-created_at", "-id")


def designer_by_slug(user, slug: str) -> Designer | None:
    """The public holder of the slug first (applicants' slugs may repeat; only staff and the
    applicant see those)."""
    qs = visible_designers(user).filter(slug=slug)
    return (
        qs.filter(status__in=[DesignerStatus.APPROVED, DesignerStatus.SUSPENDED]).first() or qs.order_by("id").first()
    )


def designer_by_id(user, pk) -> Designer | None:
    return visible_designers(user).filter(pk=pk).first()


def designer_of(user) -> Designer | None:
    if user is None or not user.is_authenticated:
        return None
    return Designer.objects.filter(user_id=user.pk).first()


def can_see_private(user, designer: Designer) -> bool:
    return user is not None and user.is_authenticated and (user.is_staff or designer.user_id == user.pk)


def status_history(user, designer: Designer) -> QuerySet[DesignerStatusChange] | list:
    if not can_see_private(user, designer):
        return []
    return designer.status_changes.select_related("actor").order_by("created_at", "id")


# --- portfolio -------------------------------------------------------------------------------------


def portfolio_items(user, designer: Designer) -> QuerySet[PortfolioItem]:
    """A designer's portfolio (the caller can already see the designer), with its images and the
    linked products the caller may see, prefetched: a constant number of queries for any page."""
    return (
        PortfolioItem.objects.filter(designer_id=designer.pk)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch("images", queryset=PortfolioImage.objects.order_by("position", "id")),
            Prefetch("products", queryset=with_list_relations(visible_products(user))),
        )
    )


def portfolio_item_by_id(user, pk) -> PortfolioItem | None:
    item = PortfolioItem.objects.select_related("designer").filter(pk=pk, designer__in=visible_designers(user)).first()
    if item is None:
        return None
    return portfolio_items(user, item.designer).filter(pk=pk).first()


def portfolio_image_by_id(user, pk) -> PortfolioImage | None:
    return PortfolioImage.objects.filter(pk=pk, item__designer__in=visible_designers(user)).first()


# --- for the catalog (one layer down) ------------------------------------------------------------


class CatalogDesigners:
    """The ``catalog.designers`` hook (shop/catalog/hooks.py): what the catalog needs to know of the
    designers its products belong to. Registered in DesignersConfig.ready()."""

    # Only an approved designer's products are on the storefront (suspending one hides them all).
    listed_status = DesignerStatus.APPROVED

    def of_user(self, user_id: int) -> Designer | None:
        return Designer.objects.filter(user_id=user_id).first()

    def get(self, designer_id: int) -> Designer | None:
        return Designer.objects.filter(pk=designer_id).first()

    def lock(self, designer_id: int, *, no_key: bool = False) -> Designer:
        return Designer.objects.select_for_update(no_key=no_key).get(pk=designer_id)
