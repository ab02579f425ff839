"""What the speed code saves: ``python -m bench.ab_execution`` (needs a seeded ``DATABASE_URL``:
``manage.py seed_bench --quick`` is enough).

In this process (no server, no network), it answers a representative set of operations through the
GraphQL view (``shop.core.views.GraphQLView``, anonymous-read cache and rate limits off) in four
variants:

- ``shipped``: as the code ships;
- ``stock-execution``: graphql-core's own ``ExecutionContext`` instead of
  ``shop.core.execution.FastExecutionContext``;
- ``stock-prefetch``: product list relations loaded by Django's ``prefetch_related_objects`` and
  ``Model.from_db`` instead of ``shop.core.prefetch`` (``instances`` and ``prime``);
- ``stock-instances``: only ``prefetch.instances`` replaced (rows made by ``Model.from_db``, the
  same columns deferred), ``prime`` kept;
- ``stock-both``: stock execution and stock prefetching.

Besides the reads, ``checkout-complete`` completes a fresh checkout (one physical line, address and
shipping method set beforehand, untimed) with the dummy gateway; under ``stock-prefetch`` the
completion's answer is read back with Django's prefetching (``shop.orders.selectors.with_details``)
instead of being primed from what was written (``Placed.prime``). Celery tasks a request queues are
not run (a worker's work, not the request's). As it writes (and its answer names new rows), its
answers are not compared; it is reported apart, in CPU and in wall time (which includes SQL).

Every request is timed with the thread's CPU time (``time.thread_time``: what the request costs the
server, not what the database costs; SQL waits are not counted), the variants interleaved request by
request so that drift hits them alike; the report gives per operation the median of the repeats and,
for the whole set, the sum of the medians and each variant's cost relative to ``shipped``. Each
variant's responses must be byte-identical to ``shipped``'s (the script stops otherwise).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    os.environ["GRAPHQL_READ_CACHE"] = "false"
    os.environ["RATE_LIMIT_ENABLED"] = "false"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ["PAYMENT_GATEWAYS"] = "payments.gateways.dummy.DummyGateway"
    os.environ.setdefault("EMAIL_URL", "memorymail://")
    import django

    django.setup()


# --- the stock alternatives -------------------------------------------------------------------------


def stock_attach_list_relations(products, *, relations=None) -> None:
    """``shop.catalog.selectors.products.attach_list_relations`` with Django's own prefetching: the same
    rows, in the same order, in the same prefetch caches."""
    from django.db.models import Prefetch, prefetch_related_objects

    from shop.catalog.models import ProductMedia, ProductVariant

    lookups = []
    if relations is None or "variants" in relations:
        lookups.append(
            Prefetch(
                "variants", queryset=ProductVariant.objects.order_by("position", "id").defer("created_at", "updated_at")
            )
        )
    if relations is None or "media" in relations or "thumbnail" in relations:
        media = ProductMedia.objects.defer("created_at")
        if relations is not None and "media" not in relations:
            media = media.order_by("product_id", "position", "id").distinct("product_id")
        else:
            media = media.order_by("position", "id")
        lookups.append(Prefetch("media", queryset=media))
    if lookups and products:
        prefetch_related_objects(products, *lookups)


def stock_instances(queryset, *, skip=()) -> list:
    """``shop.core.prefetch.instances`` the ORM's way."""
    return list(queryset.defer(*skip)) if skip else list(queryset)


def stock_prime(self):
    """``shop.orders.placement.Placed.prime`` the ORM's way: the purchase's orders, their lines,
    download links and events read back with Django's prefetching."""
    from django.db.models import Prefetch, prefetch_related_objects

    from shop.orders.models import Order
    from shop.orders.selectors import with_details

    purchase = self.purchase
    prefetch_related_objects([purchase], Prefetch("orders", queryset=with_details(Order.objects.order_by("pk"))))
    return purchase


@contextmanager
def variant(name: str):
    with ExitStack() as stack:
        if name in ("stock-execution", "stock-both"):
            from graphql.execution.execute import ExecutionContext

            stack.enter_context(mock.patch("shop.core.views.FastExecutionContext", ExecutionContext))
        if name == "stock-instances":
            stack.enter_context(mock.patch("shop.catalog.selectors.products.instances", stock_instances))
        if name in ("stock-prefetch", "stock-both"):
            stack.enter_context(
                mock.patch("shop.catalog.selectors.products.attach_list_relations", stock_attach_list_relations)
            )
            stack.enter_context(mock.patch("shop.orders.placement.Placed.prime", stock_prime))
        yield


VARIANTS = ("shipped", "stock-execution", "stock-prefetch", "stock-instances", "stock-both")


# --- the operations ---------------------------------------------------------------------------------


def operation_set():
    """(label, operation file, variables, user or None): what the storefront and a designer send
    most (bench/scenarios.py's API reads)."""
    from django.db.models import Count, Exists, OuterRef

    from designers.models import Designer, PortfolioItem
    from shop.catalog.models import Product

    published = Product.objects.filter(status="PUBLISHED", hidden_at=None, designer__status="APPROVED")
    slugs = list(published.order_by("id").values_list("slug", flat=True)[:3])
    designer_slugs = list(
        Designer.objects.filter(status="APPROVED")
        .filter(Exists(PortfolioItem.objects.filter(designer=OuterRef("pk"))))
        .order_by("id")
        .values_list("slug", flat=True)[:2]
    )
    seller = (
        Designer.objects.filter(status="APPROVED")
        .annotate(n=Count("orders"))
        .order_by("-n", "id")
        .select_related("user")
        .first()
    )
    ops = [
        ("products-100", "storefront/Products.graphql", {"first": 100}, None),
        ("products-32", "storefront/Products.graphql", {"first": 32}, None),
    ]
    ops += [(f"product-by-slug {s}", "storefront/ProductBySlug.graphql", {"slug": s}, None) for s in slugs]
    ops += [
        (f"search {t!r}", "storefront/ProductSearch.graphql", {"search": t}, None)
        for t in ("ao dai lua", "gom bat trang")
    ]
    ops += [(f"designer-page {s}", "storefront/DesignerPage.graphql", {"slug": s}, None) for s in designer_slugs]
    if seller is not None:
        ops.append(("designer-orders 20", "designer/MyDesignerOrders.graphql", {"first": 20}, seller.user))
    return ops


def make_request(factory, document: str, variables: dict, user):
    import orjson

    from shop.accounts.tokens import create_access_token

    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {create_access_token(user)}"
    body = orjson.dumps({"query": document, "variables": variables})
    return factory.post("/graphql/", data=body, content_type="application/json", **headers)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed requests per operation and variant")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    _setup_django()

    import gc

    from django.db import connection
    from django.test import RequestFactory

    from shop.catalog.models import Product, ProductVariant
    from shop.core.views import GraphQLView

    view = GraphQLView.as_view()
    factory = RequestFactory()
    ops = operation_set()
    docs = {path: (ROOT / "graphql" / "operations" / path).read_text() for _l, path, _v, _u in ops}

    def run(label, path, variables, user) -> tuple[float, bytes]:
        request = make_request(factory, docs[path], variables, user)
        start = time.thread_time()
        response = view(request)
        elapsed = time.thread_time() - start
        assert response.status_code == 200, (label, response.status_code, response.content[:300])
        assert b'"errors"' not in response.content, (label, response.content[:300])
        return elapsed, response.content

    times = {(label, v): [] for label, *_ in ops for v in VARIANTS}
    for label, path, variables, user in ops:
        reference = None
        for v in VARIANTS:
            with variant(v):
                for _ in range(max(1, args.warmup)):  # one at least: the answers are compared
                    _, body = run(label, path, variables, user)
            if reference is None:
                reference = body
            elif body != reference:
                print(f"{label}: {v} answers differently from shipped", file=sys.stderr)
                return 1
        gc.collect()
        for _ in range(args.repeats):
            for v in VARIANTS:
                with variant(v):
                    elapsed, _ = run(label, path, variables, user)
                times[(label, v)].append(elapsed)

    checkout = checkout_times(view, factory, args.repeats, args.warmup)

    counts = {
        "products": Product.objects.count(),
        "variants": ProductVariant.objects.count(),
    }
    print(f"# A/B of the speed code, in-process CPU time (database {connection.settings_dict['NAME']}, {counts})")
    print(f"# {args.repeats} timed requests per operation and variant (after {args.warmup} warm-up), medians in ms")
    print(f"{'operation':<34}" + "".join(f"{v:>17}" for v in VARIANTS))
    totals = dict.fromkeys(VARIANTS, 0.0)
    for label, *_ in ops:
        medians = {v: statistics.median(times[(label, v)]) * 1000 for v in VARIANTS}
        for v in VARIANTS:
            totals[v] += medians[v]
        print_row(label, medians)
    print_row("sum of medians", totals)
    base = totals["shipped"]
    for v in VARIANTS[1:]:
        saved = 1 - base / totals[v]
        print(f"# without it ({v}): the set costs {totals[v] / base:.2f}x; the speed code saves {saved:.0%} of that")
    for clock in ("cpu", "wall"):
        print_row(f"checkout-complete ({clock})", {v: statistics.median(checkout[(clock, v)]) * 1000 for v in VARIANTS})
    return 0


def print_row(label: str, ms: dict) -> None:
    """Milliseconds per variant, each after the first with its ratio to the first (``shipped``)."""
    base = ms["shipped"]
    cells = [f"{ms[v]:>17.2f}" if v == "shipped" else f"{ms[v]:>9.2f} ({ms[v] / base:4.2f})" for v in VARIANTS]
    print(f"{label:<34}" + "".join(cells))


def checkout_times(view, factory, repeats: int, warmup: int) -> dict:
    """Thread CPU and wall time of CheckoutComplete per variant (a fresh checkout each time)."""
    import orjson
    from celery.app.task import Task
    from graphql_relay import to_global_id

    from shop.catalog.models import ProductVariant
    from shop.checkout.models import ShippingMethod

    variant_row = (
        ProductVariant.objects.filter(
            product__status="PUBLISHED",
            product__hidden_at=None,
            product__product_type="PHYSICAL",
            product__designer__status="APPROVED",
            product__designer__shipping_methods__is_active=True,
            currency="VND",
        )
        .order_by("id")
        .first()
    )
    ProductVariant.objects.filter(pk=variant_row.pk).update(stock_quantity=1_000_000)
    method = ShippingMethod.objects.filter(
        designer_id=variant_row.designer_id, is_active=True, currency="VND"
    ).order_by("id")[0]
    read = lambda name: (ROOT / "graphql" / "operations" / "storefront" / name).read_text()  # noqa: E731
    create, address, ship, complete = (
        read(n)
        for n in (
            "CheckoutCreate.graphql",
            "CheckoutShippingAddressUpdate.graphql",
            "CheckoutShippingMethodUpdate.graphql",
            "CheckoutComplete.graphql",
        )
    )

    def call(document, variables):
        response = view(make_request(factory, document, variables, None))
        data = orjson.loads(response.content)
        assert "errors" not in data and not next(iter(data["data"].values()))["errors"], data
        return next(iter(data["data"].values()))

    def ready() -> str:
        line = {"variantId": to_global_id("ProductVariant", variant_row.pk), "quantity": 1}
        token = call(create, {"input": {"email": "ab@example.com", "lines": [line]}})["checkout"]["token"]
        address_input = {
            "recipientName": "Nguyễn Văn An",
            "phone": "0912 345 678",
            "streetAddress": "12 Hàng Bạc",
            "ward": "Phường Hoàn Kiếm",
            "province": "Hà Nội",
        }
        call(address, {"token": token, "input": address_input})
        call(ship, {"token": token, "input": {"shippingMethodId": to_global_id("ShippingMethod", method.pk)}})
        return token

    times = {(clock, v): [] for clock in ("cpu", "wall") for v in VARIANTS}
    with mock.patch.object(Task, "apply_async", lambda *a, **k: None):
        for i in range(warmup + repeats):
            for v in VARIANTS:
                token = ready()
                with variant(v):
                    request = make_request(factory, complete, {"token": token, "input": {"gateway": "dummy"}}, None)
                    cpu, wall = time.thread_time(), time.perf_counter()
                    response = view(request)
                    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                data = orjson.loads(response.content)
                assert data["data"]["checkoutComplete"]["purchase"]["status"] == "PAID", data
                if i >= warmup:
                    times[("cpu", v)].append(cpu)
                    times[("wall", v)].append(wall)
    return times


if __name__ == "__main__":
    sys.exit(main())
