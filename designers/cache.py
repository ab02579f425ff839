"""Designers and the anonymous-read cache (shop/core/readcache.py): what a cached designer page
depends on, and the bumps the services make after each write."""

from __future__ import annotations

from designers.models import Designer, PortfolioImage, PortfolioItem
from shop.catalog.cache import designer_standing
from shop.core import readcache

readcache.register(Designer, lambda d: (f"designer:{d.pk}",))
readcache.register(PortfolioItem, lambda i: (f"designer:{i.designer_id}",))
readcache.register(PortfolioImage, lambda i: (f"designer:{i.item.designer_id}",))
# The designers' public top-level reads.
readcache.register_root_field("designers", depends_on=(readcache.LISTING,))
readcache.register_root_field("designer")


def designer_changed(designer_id: int, *, listing: bool) -> None:
    """A designer's profile, portfolio or shipping methods changed. ``listing``: also whether it
    and its products are public (status) or where it is found (slug)."""
    readcache.bump(
        f"designer:{designer_id}",
        readcache.LISTING if listing else None,
        designer_standing(designer_id) if listing else None,
    )
