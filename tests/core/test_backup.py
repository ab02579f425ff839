"""``manage.py backup`` / ``restore``: a dump restored into a fresh database holds every order,
payment and ledger row; restore never writes over a database that has tables."""

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from psycopg import sql

from payments.models import LedgerEntry, Payment
from shop.core.pgtools import connect_kwargs
from shop.orders.models import Order
from tests.factories import make_designer, make_purchase, make_user, start_payment

ROWS = {"orders_order": Order, "payments_payment": Payment, "payments_ledgerentry": LedgerEntry}


@pytest.fixture
def restored_name():
    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_restored"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(**connect_kwargs(db, dbname="postgres"), autocommit=True) as conn:
        conn.execute(drop)
    yield name
    with psycopg.connect(**connect_kwargs(db, dbname="postgres"), autocommit=True) as conn:
        conn.execute(drop)


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_has_every_order_payment_and_ledger_row(
    tmp_path, restored_name, django_capture_on_commit_callbacks
):
    designers = [make_designer(), make_designer()]
    for i in range(3):
        purchase = make_purchase(*((d, [(10000 * (i + 1), 1)]) for d in designers), gateway="dummy", user=make_user())
        with django_capture_on_commit_callbacks(execute=True):
            start_payment(purchase)
    expected = {table: sorted(model.objects.values_list("pk", flat=True)) for table, model in ROWS.items()}
    assert len(expected["orders_order"]) == 6 and len(expected["payments_ledgerentry"]) >= 6

    dump = tmp_path / "market.dump"
    call_command("backup", "--output", str(dump))
    assert dump.stat().st_size > 0 and dump.read_bytes()[:5] == b"PGDMP"  # custom format
    call_command("restore", str(dump), "--database", restored_name)

    with psycopg.connect(**connect_kwargs(settings.DATABASES["default"], dbname=restored_name)) as conn:
        found = {
            table: sorted(r[0] for r in conn.execute(sql.SQL("SELECT id FROM {}").format(sql.Identifier(table))))
            for table in ROWS
        }
        amounts = dict(conn.execute("SELECT reference, amount FROM payments_ledgerentry").fetchall())
    assert found == expected
    assert amounts == dict(LedgerEntry.objects.values_list("reference", "amount"))

    with pytest.raises(CommandError, match="already has"):
        call_command("restore", str(dump), "--database", restored_name)


def test_restore_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "none.dump"), "--database", "x")
