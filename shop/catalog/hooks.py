"""What the catalog asks of the apps above it (shop/core/hooks.py, docs/architecture.md)."""

from __future__ import annotations

from shop.core.hooks import Hook

# The designers the products belong to (``Product.designer``) are the designers app's, one layer
# up. It registers one provider object (``designers.selectors.CatalogDesigners``) with:
#   listed_status: str                  the designer status under which its products are public
#   of_user(user_id) -> Designer | None  a user's designer profile
#   get(designer_id) -> Designer | None
#   lock(designer_id, *, no_key=False) -> Designer   row-locked FOR UPDATE (FOR NO KEY UPDATE)
designers = Hook("catalog.designers", single=True, required=True)

# Before a product or a variant is deleted: handler(*, product_id=None, variant_id=None) -> bool,
# True when something kept elsewhere still refers to it (an order line: the orders app).
variant_in_use = Hook("catalog.variant_in_use")
