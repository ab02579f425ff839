"""Migrations on a live database: every migration goes forward and back on a populated database,
new migrations take no long lock on a large table, and ``migrate`` waits for locks only so long."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor

from payments.models import LedgerEntry
from shop.catalog.models import Product
from shop.core import migration_safety
from shop.orders.models import Order
from tests.factories import make_designer, make_purchase, make_user, start_payment

PROJECT_APPS = ["accounts", "catalog", "designers", "checkout", "orders", "payments"]


def _leaf(app_label: str) -> str:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes(app_label)[0][1]


def _sql_of(app_label: str, *operations) -> list[str]:
    executor = MigrationExecutor(connection)
    migration = type("Migration", (migrations.Migration,), {"operations": list(operations)})("9999_probe", app_label)
    migration.dependencies = [(app_label, _leaf(app_label))]
    state = executor.loader.project_state((app_label, _leaf(app_label)), at_end=True)
    with connection.schema_editor(collect_sql=True) as editor:
        migration.apply(state, editor, collect_sql=True)
    return editor.collected_sql


def test_the_project_s_new_migrations_take_no_long_lock_on_a_large_table(db):
    findings = migration_safety.unsafe_migrations()
    assert findings == [], "\n".join(map(str, findings))


def test_the_check_refuses_what_would_lock_a_large_table(db):
    plain_index = _sql_of(
        "orders", migrations.AddIndex("order", models.Index(fields=["carrier"], name="order_carrier"))
    )
    # what AddIndexConcurrently writes (it cannot be collected inside the test's transaction)
    index = models.Index(fields=["carrier"], name="order_carrier")
    concurrent = [str(index.create_sql(Order, connection.schema_editor(), concurrently=True))]
    check = _sql_of(
        "orders",
        migrations.AddConstraint(
            "order", models.CheckConstraint(condition=models.Q(total_amount__gte=0), name="order_total_ok")
        ),
    )
    retype = _sql_of("orders", migrations.AlterField("order", "carrier", models.CharField(max_length=300)))
    new_table = _sql_of(
        "orders",
        migrations.CreateModel(
            "Probe",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("order", models.ForeignKey("orders.Order", models.CASCADE)),
            ],
        ),
    )
    assert [why for _t, _s, why in migration_safety.judge(plain_index)] == [
        "index built without CONCURRENTLY (blocks writes while it builds)"
    ]
    assert migration_safety.judge(concurrent) == []
    assert [why for _t, _s, why in migration_safety.judge(check)] == [
        "constraint added without NOT VALID (validated under a long lock)"
    ]
    assert [why for _t, _s, why in migration_safety.judge(retype)] == ["column type change rewrites the table"]
    # a new table referencing a large one: its own index and constraint are on the new, empty table
    assert migration_safety.judge(new_table) == []
    assert migration_safety.judge(['ALTER TABLE "orders_order" ALTER COLUMN "carrier" SET NOT NULL'])


def test_check_migrations_command_passes_on_the_project(db, capsys):
    call_command("check_migrations")
    assert "no long lock" in capsys.readouterr().out


def test_check_migrations_command_fails_on_an_unsafe_migration(db, monkeypatch):
    monkeypatch.setattr(migration_safety, "grandfathered", frozenset)  # judge the old ones too
    with pytest.raises(CommandError) as failure:
        call_command("check_migrations")
    assert failure.value.returncode == 1


@pytest.mark.django_db(transaction=True)
def test_every_migration_goes_back_and_forward_on_a_populated_database(django_capture_on_commit_callbacks):
    """Each reverse step runs on tables that hold rows (data migrations included), then every
    migration runs forward again and the schema works: a purchase is paid and enters the ledger."""

    def pay_one():
        purchase = make_purchase((make_designer(), [(120000, 2)]), gateway="dummy", user=make_user())
        with django_capture_on_commit_callbacks(execute=True):
            start_payment(purchase)
        return purchase

    pay_one()
    products = Product.objects.count()
    assert Order.objects.count() == 1 and LedgerEntry.objects.count() >= 1

    # back to each app's first migration (a table created by a later migration goes with its rows;
    # catalog 0001's products stay), then forward again
    for app in PROJECT_APPS:
        call_command("migrate", app, "0001", verbosity=0)
    call_command("migrate", verbosity=0)
    assert Product.objects.count() == products
    paid = pay_one()
    assert LedgerEntry.objects.filter(order__purchase=paid, kind="SALE").get().amount == 240000

    # and all the way down, populated, and up
    for app in reversed(PROJECT_APPS):
        call_command("migrate", app, "zero", verbosity=0)
    call_command("migrate", verbosity=0)
    assert Order.objects.count() == 0
    pay_one()
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_migrate_sets_a_lock_timeout(settings):
    settings.MIGRATION_LOCK_TIMEOUT = "1234ms"
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "1234ms"


def test_each_app_names_its_large_tables_and_each_one_is_a_real_table(db):
    tables = migration_safety.large_tables()
    assert {"accounts_user", "catalog_product", "orders_order", "payments_ledgerentry"} <= tables
    assert tables <= set(connection.introspection.table_names())
    exempt = migration_safety.grandfathered()
    assert ("orders", "0001_initial") in exempt and ("bench", "0001_initial") in exempt
    # the apps of this repository are judged; Django's own are not
    assert migration_safety._ours("orders") and migration_safety._ours("designers")
    assert not migration_safety._ours("auth") and not migration_safety._ours("contenttypes")
