"""``X-Query-Count`` / ``X-Query-Time-Ms`` response headers: how many SQL statements a request ran
and how long they took. Off unless ``QUERY_COUNT_HEADER=true`` (the benchmark harness turns it on);
it only counts, so it is safe in production, but it tells the world about the server's internals."""

from __future__ import annotations

import time

from django.db import connections


class _Counter:
    __slots__ = ("count", "seconds")

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _Counter()
        wrappers = [connections[alias].execute_wrapper(counter) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Query-Count"] = str(counter.count)
        response["X-Query-Time-Ms"] = f"{counter.seconds * 1000:.2f}"
        return response
