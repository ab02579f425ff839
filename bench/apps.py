from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmarks: the marketplace-size seeder (``manage.py seed_bench``), the harness
    (``python -m bench.run``), the floor WSGI app and an opt-in query-count header."""

    name = "bench"
