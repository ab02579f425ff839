"""The products' search rows (``ProductSearch``): what a product's search document holds, and
keeping each row in step with its product and its designer's status, in their writes' transactions."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db.models import Exists, Func, OuterRef, Value

from shop.catalog import hooks
from shop.catalog.models import Product, ProductSearch, ProductStatus
from shop.catalog.selectors.listing import SEARCH_CONFIG
from shop.catalog.selectors.visibility import storefront_products
from shop.core.richtext import html_to_text
from shop.core.text import fold


def search_texts(*, name: str, tags: list[str] | None, description: str) -> tuple[str, str, str]:
    """The accent-folded texts of a product's search document: (name, tags, description as text)."""
    return fold(name), fold(" ".join(tags or [])), fold(html_to_text(description))


def sort_name(name: str) -> str:
    return fold(name)[:200]


def search_vectors(name, tags, body) -> dict:
    """A search row's ``title`` and ``document`` from three folded-text expressions (``Value(...)``
    for one product, or columns of a staging table for a bulk load such as ``seed_bench``).

    ``title`` ranks: the name (weight A) above the tags (B); a product matched only by its
    description ranks 0. ``document`` matches: name, tags and description, without positions or
    weights (a search ANDs words, it never asks where they are)."""
    title = SearchVector(name, weight="A", config=SEARCH_CONFIG) + SearchVector(tags, weight="B", config=SEARCH_CONFIG)
    document = title + SearchVector(body, config=SEARCH_CONFIG)
    return {"title": title, "document": Func(document, function="strip", output_field=SearchVectorField())}


def is_listed(*, status: str, hidden_at, designer_status: str) -> bool:
    """On the storefront (``shop.catalog.selectors.visibility.storefront_q``): published, not
    hidden, of an approved designer. A search row's ``listed``."""
    return (
        status == ProductStatus.PUBLISHED
        and hidden_at is None
        and designer_status == hooks.designers.one().listed_status
    )


def sync_search(product: Product) -> None:
    """Write ``product``'s search row (``ProductSearch``) from its name, tags, description, status,
    moderation, creation time and its designer's status: one upsert. Every service that changes one
    of the product's calls this in its transaction (deleting a product deletes its row: cascade);
    a designer's status change rewrites its rows (``sync_designer_search``).

    The designer's row is locked first (FOR NO KEY UPDATE: a designer decision locks it FOR UPDATE
    and waits for this transaction, or this one waits and reads the decided status), so that a
    concurrent decision cannot leave this row with the status before it."""
    designer_status = hooks.designers.one().lock(product.designer_id, no_key=True).status
    name, tags, body = search_texts(name=product.name, tags=product.tags, description=product.description)
    row = ProductSearch(
        product_id=product.pk,
        designer_id=product.designer_id,
        created_at=product.created_at,
        listed=is_listed(status=product.status, hidden_at=product.hidden_at, designer_status=designer_status),
        **search_vectors(Value(name), Value(tags), Value(body)),
    )
    fields = ["designer", "created_at", "listed", "title", "document"]
    ProductSearch.objects.bulk_create([row], update_conflicts=True, unique_fields=["product"], update_fields=fields)


def sync_designer_search(designer) -> None:
    """Rewrite ``listed`` on the search rows of ``designer``'s products after its status changed
    (``designers.services.profiles`` calls this in the transaction that changes it, the designer's
    row locked): one UPDATE, the storefront's own rule
    (``shop.catalog.selectors.visibility.storefront_products``)."""
    shown = storefront_products().filter(pk=OuterRef("pk"))
    ProductSearch.objects.filter(product__designer_id=designer.pk).update(listed=Exists(shown))
