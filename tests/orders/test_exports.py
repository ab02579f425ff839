"""CSV exports: a job per request, run by Celery, a signed 24-hour link, owners only, rows read in
batches (bounded memory), deleted after 7 days."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.orders import exports
from shop.orders.models import ExportJob, Order, OrderLine, Purchase
from tests.catalog.helpers import isolated_storage
from tests.designers.test_sales_rollups import paid
from tests.factories import make_designer, make_user
from tests.support import load_operation

ORDERS_EXPORT = load_operation("designer/OrdersExport.graphql")
SALES_EXPORT = load_operation("designer/SalesExport.graphql")
EXPORT_JOB = load_operation("designer/ExportJob.graphql")

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage(settings, tmp_path):
    return isolated_storage(settings, tmp_path)


@pytest.fixture
def shops(settings):
    settings.PLATFORM_COMMISSION_RATE = 0.1
    ha, minh = make_designer(display_name="Nguyễn Thị Hà"), make_designer(display_name="Minh")
    buyer = make_user()
    paid((ha, [(150000, 2)]), user=buyer, shipping=30000, at=datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    paid((ha, [(90000, 1)]), email="khach@example.com", at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    paid((minh, [(400000, 1)]), user=buyer, at=datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    OrderLine.objects.filter(order__designer=ha).update(product_name="Khăn lụa Vạn Phúc")
    return {"ha": ha, "minh": minh, "buyer": buyer, "staff": make_user(staff=True)}


def start(gql, document, variables, user, capture):
    with capture(execute=True):  # the task is queued after commit; tasks run inline in tests
        result = gql(document, variables, user=user)
    root = result["data"][next(iter(result["data"]))]
    assert root["errors"] == [], root
    return root["exportJob"]


def job_of(gql, job_id, user):
    return gql(EXPORT_JOB, {"id": job_id}, user=user)["data"]["exportJob"]


def download(url: str):
    return Client().get(url.replace("http://testserver", ""))


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    body = b"".join(response.streaming_content)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_a_designer_exports_its_orders_and_downloads_them(gql, shops, storage, django_capture_on_commit_callbacks):
    ha = shops["ha"]
    job = start(gql, ORDERS_EXPORT, {}, ha.user, django_capture_on_commit_callbacks)
    assert job["kind"] == "ORDERS"
    done = job_of(gql, job["id"], ha.user)
    assert (done["status"], done["progress"], done["rowCount"]) == ("DONE", 100, 2)
    assert datetime.fromisoformat(done["expiresAt"]) > timezone.now() + timedelta(hours=23)
    response = download(done["url"])
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body, rows = read_csv(response)
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body and body.count(b"\n") == body.count(b"\r\n")
    assert rows[0][:4] == ["number", "created", "paid", "status"] and "buyer_email" not in rows[0]
    by_total = {r[8]: r for r in rows[1:]}
    assert set(by_total) == {"330000", "90000"}  # plain integers for VND; Minh's order is not there
    first = by_total["330000"]
    assert first[2] == "2026-03-09 23:30" and first[4] == "Nguyễn Thị Hà" and first[11] == "Khăn lụa Vạn Phúc x2"
    assert first[10] == "2"


def test_staff_export_every_order_with_the_buyers_email(gql, shops, storage, django_capture_on_commit_callbacks):
    job = start(
        gql, ORDERS_EXPORT, {"filter": {"status": ["PAID"]}}, shops["staff"], django_capture_on_commit_callbacks
    )
    done = job_of(gql, job["id"], shops["staff"])
    _body, rows = read_csv(download(done["url"]))
    assert len(rows) == 4 and rows[0][-1] == "buyer_email"
    assert {r[-1] for r in rows[1:]} == {"buyer@example.com", "khach@example.com"}


def test_a_designer_exports_its_sales_series(gql, shops, storage, django_capture_on_commit_callbacks):
    period = {"from": "2026-03-09", "to": "2026-03-11"}
    job = start(gql, SALES_EXPORT, {"period": period}, shops["ha"].user, django_capture_on_commit_callbacks)
    _body, rows = read_csv(download(job_of(gql, job["id"], shops["ha"].user)["url"]))
    assert rows[0][:6] == ["start", "currency", "gross_sales", "refunds", "commission", "net_earnings"]
    assert [r[:3] + [r[5], r[6]] for r in rows[1:]] == [
        ["2026-03-09", "VND", "330000", "297000", "1"],
        ["2026-03-10", "VND", "90000", "81000", "1"],
        ["2026-03-11", "VND", "0", "0", "0"],
    ]
    bad = gql(SALES_EXPORT, {"period": {"from": "2026-03-11", "to": "2026-03-09"}}, user=shops["ha"].user)
    assert bad["data"]["salesExport"]["errors"][0]["code"] == "INVALID_PERIOD"


def test_nobody_else_reads_or_downloads_an_export(gql, shops, storage, django_capture_on_commit_callbacks, settings):
    ha, minh = shops["ha"], shops["minh"]
    job = start(gql, ORDERS_EXPORT, {}, ha.user, django_capture_on_commit_callbacks)
    for user in (minh.user, shops["buyer"], shops["staff"], None):
        assert job_of(gql, job["id"], user) is None
        node = gql("query($id: ID!) { node(id: $id) { id } }", {"id": job["id"]}, user=user)
        assert node["data"]["node"] is None
    url = job_of(gql, job["id"], ha.user)["url"]
    tampered = url[:-3] + ("aaa" if not url.endswith("aaa/") else "bbb") + "/"
    assert download(tampered).status_code == 404
    assert download(url.replace("/exports/", "/exports/x")).status_code == 404
    settings.EXPORT_LINK_TTL_SECONDS = 1
    time.sleep(2.1)
    assert download(url).status_code == 410
    # neither buyers nor the anonymous start exports
    for user in (shops["buyer"], None):
        result = gql(ORDERS_EXPORT, {}, user=user)
        assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert ExportJob.objects.count() == 1


def test_rows_are_read_in_batches_with_bounded_memory(shops, storage, settings):
    """A big export streams: orders are read EXPORT_BATCH_SIZE at a time and written to a file,
    so memory stays flat as the export grows."""
    ha = shops["ha"]
    template = Order.objects.filter(designer=ha).first()

    def grow(n):
        start_at = Order.objects.count()
        orders = Order.objects.bulk_create(
            [
                Order(
                    purchase_id=template.purchase_id,
                    designer=ha,
                    number=f"RMX{start_at + i}",
                    status="PAID",
                    subtotal_amount=100000,
                    total_amount=100000,
                    paid_at=template.paid_at,
                )
                for i in range(n)
            ]
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=o,
                    product_name="Gốm Bát Tràng",
                    sku="G",
                    product_type="PHYSICAL",
                    unit_price_amount=100000,
                    quantity=1,
                    total_amount=100000,
                )
                for o in orders
            ]
        )

    settings.EXPORT_BATCH_SIZE = 500

    def export():
        job = ExportJob.objects.create(user=ha.user, designer=ha, kind="ORDERS")
        tracemalloc.start()
        with CaptureQueriesContext(connection) as ctx:
            assert exports.run(job.pk)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        job.refresh_from_db()
        reads = [q for q in ctx.captured_queries if 'FROM "orders_order"' in q["sql"] and "LIMIT 500" in q["sql"]]
        return job.row_count, len(reads), peak

    grow(1500)
    small_rows, small_reads, small_peak = export()
    grow(4500)
    big_rows, big_reads, big_peak = export()
    assert (small_rows, big_rows) == (1502, 6002)
    assert (small_reads, big_reads) == (5, 14)  # ceil(rows / 500) batches, plus the empty last read
    assert big_peak < small_peak * 2  # four times the rows, not four times the memory


def test_old_exports_are_deleted_with_their_files(gql, shops, storage, django_capture_on_commit_callbacks):
    job = start(gql, ORDERS_EXPORT, {}, shops["ha"].user, django_capture_on_commit_callbacks)
    row = ExportJob.objects.get()
    assert (storage["private"] / row.file_name).exists()
    assert exports.purge(now=timezone.now() + timedelta(days=6)) == 0
    assert exports.purge(now=timezone.now() + timedelta(days=8)) == 1
    assert not ExportJob.objects.exists() and not (storage["private"] / row.file_name).exists()
    assert job_of(gql, job["id"], shops["ha"].user) is None


def test_a_duplicated_task_leaves_one_file(shops, storage):
    job = ExportJob.objects.create(user=shops["ha"].user, designer=shops["ha"], kind="ORDERS")
    assert exports.run(job.pk) is True
    assert exports.run(job.pk) is False  # already done
    files = list(storage["private"].rglob("*.csv"))
    assert len(files) == 1
    assert Purchase.objects.exists()
