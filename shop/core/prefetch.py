"""Filling Django's prefetch cache by hand, for rows a service or selector already has in memory.

``instance.<relation>.all()`` answers from ``instance._prefetched_objects_cache[<relation>]``
without a query, as after ``prefetch_related``: :func:`prime` puts an evaluated queryset there.
Used where Django's own prefetching would cost more than the data (it clones and filters a
queryset per instance) or where the rows were just written and need not be read back.

It leans on Django's internals: ``_prefetched_objects_cache``, a queryset's ``_result_cache`` and
``_prefetch_done``, ``ModelState`` and ``Model.__new__`` (5.2). An upgrade must keep the catalog's
query-count tests and ``tests/core/test_execution_operations.py`` (every shipped operation, on a
seeded marketplace) green.

What it saves (``python -m bench.ab_execution``: in-process, thread CPU time per request, medians of
21, on ``seed_bench --quick``: 3,000 products, 9,000 variants, 7,160 media, 4,000 orders; 2 cores
shared with other work, 2026-12-06): with Django's own ``prefetch_related_objects`` and
``Model.from_db`` in the product-list selector (``shop.catalog.selectors.products.attach_list_relations``, the
same queries and rows) the representative set of ten reads costs 1.15x (156.5 -> 179.3 ms):
products, first 100: 42.9 -> 55.3 ms; first 32: 17.4 -> 21.2 ms; a designer page: 1.13-1.19x; a
product page 0.97x, a search 1.04-1.09x, a designer's orders 1.01x. A checkout completion answered by
reading its purchase back with ``shop.orders.selectors.with_details`` instead of
``Placed.prime`` costs 1.26x CPU (12.9 -> 16.2 ms) and 1.17x wall time (40.2 -> 46.9 ms, with the
reading back). It saves 13 % of the reads' CPU time and 21 % of a completion's, so it stays. Of that,
:func:`instances` alone (rows made by ``Model.from_db`` instead, ``prime`` kept) is 1.07x on the set:
1.13-1.14x on the product lists, 0.91x on a product page.
"""

from __future__ import annotations

import orjson
from django.db.models import JSONField, Model, QuerySet, TextField
from django.db.models.base import ModelState
from django.db.models.functions import Cast

_queries: dict[type, object] = {}


def loaded(model: type[Model], rows: list) -> QuerySet:
    """An evaluated queryset of ``rows`` (never run: its query object is shared by all of them;
    anything that filters it clones the query first)."""
    query = _queries.get(model)
    if query is None:
        query = _queries.setdefault(model, model._default_manager.all().query)
    qs = QuerySet(model=model, query=query)
    qs._result_cache = list(rows)
    qs._prefetch_done = True
    return qs


def prime(instance: Model, relation: str, rows: list, *, model: type[Model]) -> None:
    """``instance.<relation>.all()`` is ``rows`` from now on (in this order)."""
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = loaded(model, rows)


def instances(queryset: QuerySet, *, skip: tuple[str, ...] = ()) -> list[Model]:
    """The rows of ``queryset`` as model instances, made the way ``Model.from_db`` would but
    without running ``Model.__init__`` per row (its field loop and ``pre_init``/``post_init``
    signals were a tenth of a 100-product page's time). The fields in ``skip`` are not loaded:
    like ``defer()``, reading one loads it. JSON columns are read as text and decoded with orjson
    (Django's converter uses the standard library's, several times slower). For read-only display
    rows only (selectors)."""
    model = queryset.model
    fields = [f for f in model._meta.concrete_fields if f.name not in skip and f.attname not in skip]
    attnames = [f.attname for f in fields]
    as_text = {f.attname: f"_text_{f.attname}" for f in fields if isinstance(f, JSONField) and f.decoder is None}
    if as_text:
        queryset = queryset.annotate(**{alias: Cast(name, TextField()) for name, alias in as_text.items()})
    columns = [as_text.get(name, name) for name in attnames]
    decode = [i for i, name in enumerate(attnames) if name in as_text]
    loads = orjson.loads
    db = queryset.db
    new = model.__new__
    rows = []
    for values in queryset.values_list(*columns):
        if decode:
            values = list(values)
            for i in decode:
                if values[i] is not None:
                    values[i] = loads(values[i])
        obj = new(model)
        state = ModelState()
        state.adding = False
        state.db = db
        data = obj.__dict__
        data.update(zip(attnames, values))
        data["_state"] = state
        rows.append(obj)
    return rows
