"""Gunicorn settings for production (README: `gunicorn shop.wsgi -c gunicorn.conf.py`) and the
benchmarks. Command-line flags override what is here.

The garbage collector: a Django + graphene worker holds a few hundred thousand long-lived objects
(modules, the schema, the URL resolver). Python's full collections walk all of them; measured here
they cost 85–94 ms every ~11 product-list requests, which was the p95 tail. After start-up the worker
therefore moves everything it has into the permanent generation (``gc.freeze()``), so collections
only walk what requests allocate, and collects less often (``GC_THRESHOLDS``). Cycles are still
collected: memory stays bounded (the harness watches each worker's RSS).

The thresholds (200000, 5, 3) were measured on the reference dataset. A request's ORM objects form
cycles (a product and its prefetched variants point at each other) that only a collection frees,
and a young collection that runs while requests are in flight walks (and promotes) their live
objects: at 20,000 allocations a product list of 100 triggered about ten of them, a tenth of its
CPU. At 200,000 it triggers about one; the garbage left between collections stays small (workers
peak near 160 MB through the whole benchmark, against 150 MB), and p95 fell by a fifth for the
32-product list and the product page. Rare oldest-generation collections are what to avoid:
with (50000, 50, 100) garbage piled up in the oldest generation (a worker passed 300 MB) and its
eventual collection was the p95 tail; after freeze() an oldest-generation collection walks only
what requests left behind, so collecting it every 15th young collection stays cheap.
"""

from __future__ import annotations

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# gthread that accepts a connection only while it has a free thread (shop/gunicorn_worker.py)
worker_class = "shop.gunicorn_worker.BalancedThreadWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Recycle a worker after this many requests (0: never), with jitter so they do not restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# The control socket's default path is shared by every gunicorn of the user: not wanted here.
control_socket_disable = True

GC_THRESHOLDS = tuple(int(x) for x in os.environ.get("GC_THRESHOLDS", "200000,5,3").split(","))
GC_FREEZE = os.environ.get("GC_FREEZE", "true").lower() in ("1", "true", "yes")


def warm_up() -> None:
    """Build what every request needs before the freeze: the GraphQL schema, the URL resolver."""
    from django.apps import apps

    if not apps.ready:  # not the Django application (the benchmark's floor): nothing to build
        return
    from django.urls import get_resolver

    from shop.core.documents import project_schema

    project_schema()
    get_resolver().url_patterns  # noqa: B018 (populates the resolver)


def post_worker_init(worker) -> None:
    if not GC_FREEZE:
        return
    try:
        warm_up()
    except Exception:  # never keep a worker from serving because of a warm-up
        worker.log.exception("warm-up before gc.freeze() failed")
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
