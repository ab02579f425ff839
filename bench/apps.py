from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmarks: the marketplace-size seeder (``manage.py seed_bench``), the harness
    (``python -m bench.run``), the floor WSGI app and an opt-in query-count header."""

    name = "bench"

    # Migration safety (shop/core/migration_safety.py): this app's tables that grow with traffic, and
    # its migrations written before the rule (not re-judged).
    large_tables = ()
    migrations_before_safety_rule = ("0001_initial",)
