"""seed_bench: counts, the marketplace's invariants, determinism, and refusing to mix with data.

Most tests read one marketplace seeded once for the module (``seeded``, rolled back at the end):
each seed inserts and rolls back a few thousand rows, and the dead index entries they leave
behind would otherwise pile up across the suite and sway the planner in later tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Min, Sum
from django.test.utils import override_settings

from bench.models import Dataset
from bench.seed.generate import PASSWORD, Counts, Seeder
from designers.models import Designer, DesignerStatusChange, PortfolioImage, PortfolioItem
from payments.models import Payment
from shop.accounts.models import User
from shop.catalog.models import Product, ProductMedia, ProductSearch, ProductVariant
from shop.checkout.models import ShippingMethod
from shop.orders.models import Order, OrderLine, Purchase
from tests.factories import make_user

UNTIL = datetime(2026, 6, 1, tzinfo=UTC)
SMALL = Counts(designers=10, products=150, orders=200, order_lines=520, buyers=40)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return tmp_path


def seed(counts=SMALL, *, seed: int = 7, reset: bool = False):
    return Seeder(counts, seed=seed, until=UNTIL, verbose=False, image_count=6).run(reset=reset)


def _storages(root):
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root / "private"), "base_url": None},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """SMALL seeded once for the module, in a transaction rolled back afterwards; each test runs
    in its own savepoint inside it (the ``db`` fixture), so what a test writes is undone too."""
    root = tmp_path_factory.mktemp("seeded")
    with override_settings(MEDIA_ROOT=str(root / "media"), STORAGES=_storages(root)), django_db_blocker.unblock():
        with transaction.atomic():
            report = seed()
            yield report
            transaction.set_rollback(True)


def digest() -> dict[str, str]:
    tables = [Designer, Product, ProductVariant, ProductMedia, Purchase, Order, OrderLine, Payment, PortfolioItem]
    out = {}
    with connection.cursor() as cur:
        for model in tables:
            table = model._meta.db_table
            cur.execute(f"SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM \"{table}\" t")
            out[table] = cur.fetchone()[0]
    return out


def test_the_same_seed_gives_the_same_database(db, media):
    seed()
    first = digest()
    seed(reset=True)
    assert digest() == first
    seed(reset=True, seed=8)
    assert digest() != first


def test_refuses_a_database_with_data_unless_reset(db, media, db_unchanged, settings):
    settings.DEBUG = True  # --reset is for development databases only
    make_user(email="someone@example.com")
    with db_unchanged():
        with pytest.raises(CommandError, match="--reset"):
            call_command("seed_bench", designers=3, products=10, orders=5, no_progress=True)
    call_command("seed_bench", designers=3, products=10, orders=5, reset=True, no_progress=True, until="2026-06-01")
    assert not User.objects.filter(email="someone@example.com").exists()
    assert Product.objects.count() == 10 and Order.objects.count() == 5 and OrderLine.objects.count() == 12


@pytest.mark.parametrize(
    "options, message",
    [
        ({"designers": 3, "products": 10}, "--orders"),
        ({"designers": 3, "products": 10, "orders": 5, "order_lines": 4}, "at least --orders"),
        ({"designers": 3, "products": 10, "orders": 5, "until": "yesterday"}, "YYYY-MM-DD"),
    ],
)
def test_clumsy_arguments_are_refused(db, media, db_unchanged, options, message):
    with db_unchanged():
        with pytest.raises(CommandError, match=message):
            call_command("seed_bench", no_progress=True, **options)


def test_reset_is_refused_without_debug(db, media, settings, db_unchanged):
    settings.DEBUG = False
    make_user(email="customer@example.com")
    with db_unchanged():
        with pytest.raises(CommandError, match="DEBUG=false"):
            call_command("seed_bench", designers=3, products=10, orders=5, reset=True, no_progress=True)


# --- on the marketplace seeded once for the module --------------------------------------------


def test_writes_the_counts_asked_for(seeded, db):
    report = seeded
    assert Designer.objects.count() == 10
    assert User.objects.count() == 1 + 10 + 40
    assert Product.objects.count() == 150
    assert ProductVariant.objects.count() == 450
    assert Order.objects.count() == 200
    assert OrderLine.objects.count() == 520
    assert report.rows["orders_orderline"] == 520
    assert 1 <= ProductMedia.objects.count() / 150 <= 4
    assert PortfolioItem.objects.exists() and PortfolioImage.objects.exists()
    dataset = Dataset.objects.get()
    assert dataset.seed == 7 and dataset.parameters["products"] == 150 and dataset.rows["catalog_product"] == 150


def test_the_marketplace_is_consistent(seeded, db):
    # Designers: a status history that ends in their status; only sellers have products.
    for designer in Designer.objects.all():
        last = DesignerStatusChange.objects.filter(designer=designer).order_by("created_at", "id").last()
        assert last.to_status == designer.status
    assert not Product.objects.filter(designer__status__in=["PENDING", "REJECTED"]).exists()
    assert Designer.objects.filter(status="APPROVED").count() >= 3
    # Products: mostly published, both kinds, a min_price that is the cheapest variant's.
    assert Product.objects.filter(status="PUBLISHED").count() > 0.8 * 150
    assert {"PHYSICAL", "DIGITAL"} <= set(Product.objects.values_list("product_type", flat=True))
    mismatched = Product.objects.annotate(cheapest=Min("variants__price_amount")).exclude(min_price=F("cheapest"))
    assert not mismatched.exists()
    assert not ProductVariant.objects.exclude(designer_id=F("product__designer_id")).exists()
    assert not ProductVariant.objects.filter(price_amount__lte=0).exists()
    assert not ProductVariant.objects.filter(product__product_type="DIGITAL", digital_file="").exists()
    assert ProductVariant.objects.filter(product__product_type="PHYSICAL", stock_quantity__gt=0).exists()
    assert all(v.price_amount % 1000 == 0 for v in ProductVariant.objects.all())
    for product in Product.objects.annotate(n=Count("variants")):
        assert product.n == 3
    # Media rows share a few real files, with thumbnails that exist.
    names = set(ProductMedia.objects.values_list("image", flat=True))
    assert len(names) <= 6
    for media_row in ProductMedia.objects.all()[:20]:
        assert default_storage.exists(media_row.image.name)
        assert media_row.width == 800 and media_row.thumbnails
        assert all(default_storage.exists(name) for name in media_row.thumbnails.values())
    # Orders: lines from the order's designer, totals that add up, refunds within totals.
    assert not OrderLine.objects.exclude(variant__designer_id=F("order__designer_id")).exists()
    for order in Order.objects.annotate(lines_total=Sum("lines__total_amount")):
        assert order.subtotal_amount == order.lines_total
        assert order.total_amount == order.subtotal_amount + order.shipping_amount
        assert 0 <= order.refunded_amount <= order.total_amount
        if order.status == "REFUNDED":
            assert order.refunded_amount == order.total_amount
        assert UNTIL - timedelta(days=18 * 31) <= order.created_at <= UNTIL
        assert (order.paid_at is None) == (order.status == "CANCELLED")
    for line in OrderLine.objects.all()[:100]:
        assert line.total_amount == line.unit_price_amount * line.quantity
    for purchase in Purchase.objects.annotate(orders_total=Sum("orders__total_amount")):
        assert purchase.total_amount == purchase.orders_total
        succeeded = Payment.objects.filter(purchase=purchase, status="SUCCEEDED")
        if purchase.status == "PAID":
            assert succeeded.count() == 1 and succeeded.get().amount == purchase.total_amount
        else:
            assert purchase.status == "CANCELLED" and not succeeded.exists()
    assert Order.objects.filter(status="DELIVERED").exists()
    # Designers ship with methods; every user can sign in with the documented password.
    assert ShippingMethod.objects.exists()
    assert User.objects.get(email="staff@bench.rethink.market").check_password(PASSWORD)


def test_every_product_has_a_search_row_from_accent_folded_text(seeded, db):
    assert ProductSearch.objects.count() == Product.objects.count() == SMALL.products
    product = Product.objects.filter(name__contains="ụ").first() or Product.objects.first()
    from shop.core.text import fold

    word = fold(product.name).split()[0]
    found = ProductSearch.objects.filter(document=SearchQuery(word, config="simple")).values_list(
        "product_id", flat=True
    )
    assert product.pk in found


def test_ids_continue_after_the_seeded_rows(seeded, db):
    user = make_user()
    assert user.pk == User.objects.order_by("-pk").values_list("pk", flat=True)[1] + 1


def test_prices_are_vnd_without_minor_units(seeded, db):
    assert set(ProductVariant.objects.values_list("currency", flat=True)) == {"VND"}
    assert all(p == p.to_integral_value() for p in Order.objects.values_list("total_amount", flat=True))
    assert Order.objects.aggregate(s=Sum("total_amount"))["s"] > Decimal(0)


def test_search_documents_and_sort_names_are_the_catalogs(seeded, db):
    """What seed_bench stores is exactly what the catalog services store on a product write."""
    from shop.catalog.services.search import sort_name, sync_search

    fields = ("designer_id", "created_at", "listed", "title", "document")
    products = list(Product.objects.order_by("pk")[:40]) + list(Product.objects.exclude(status="PUBLISHED")[:10])
    products += list(Product.objects.filter(hidden_at__isnull=False)[:5])
    assert {p.status for p in products} == {"PUBLISHED", "DRAFT", "ARCHIVED"}
    for product in products:
        assert product.sort_name == sort_name(product.name)
        seeded = ProductSearch.objects.filter(pk=product.pk).values_list(*fields).get()
        sync_search(product)
        assert ProductSearch.objects.filter(pk=product.pk).values_list(*fields).get() == seeded


def test_a_seeded_product_is_found_by_the_storefront_search(seeded, db):
    import json

    from django.test import Client

    from shop.core.text import fold
    from tests.support import load_operation

    product = (
        Product.objects.filter(status="PUBLISHED", hidden_at=None, designer__status="APPROVED").order_by("pk").first()
    )
    words = fold(product.name).split()
    response = Client().post(
        "/graphql/",
        data=json.dumps(
            {
                "query": load_operation("storefront/ProductSearch.graphql"),
                "variables": {"search": " ".join(words), "first": 50},
            }
        ),
        content_type="application/json",
    )
    slugs = [e["node"]["slug"] for e in response.json()["data"]["products"]["edges"]]
    assert product.slug in slugs


def test_order_numbers_continue_the_orders_sequence(seeded, db):
    from shop.orders.placement import order_numbers

    numbers = list(Order.objects.order_by("pk").values_list("number", flat=True))
    assert numbers[0] == "RM10001" and numbers[-1] == f"RM{10000 + len(numbers)}"
    assert order_numbers(2) == [f"RM{10001 + len(numbers)}", f"RM{10002 + len(numbers)}"]


def test_orders_carry_their_history_and_sent_emails(seeded, db):
    from shop.orders.models import OrderEvent

    for order in Order.objects.prefetch_related("events")[:80]:
        types = [e.type for e in sorted(order.events.all(), key=lambda e: (e.created_at, e.pk))]
        assert types[0] == "PLACED"
        if order.status == "CANCELLED":
            assert types == ["PLACED", "EXPIRED"] and order.designer_email_sent_at is None
            continue
        assert types[1] == "PAID" and order.designer_email_sent_at is not None
        assert ("FULFILLED" in types) == (order.fulfilled_at is not None)
        assert ("REFUNDED" in types) == (order.refunded_amount > 0)
        if order.shipping_address and order.fulfilled_at:
            assert order.shipped_email_sent_at is not None
    assert OrderEvent.objects.filter(type="PAID").count() == Order.objects.exclude(status="CANCELLED").count()
    paid = Purchase.objects.filter(status="PAID")
    assert not paid.filter(confirmation_email_sent_at=None).exists()
    assert not Purchase.objects.filter(status="CANCELLED", cancelled_at=None).exists()
    for payment in Payment.objects.filter(status="SUCCEEDED")[:20]:
        assert OrderEvent.objects.filter(
            order__purchase_id=payment.purchase_id, type="PAID", data__payment_id=payment.pk
        ).exists()


def test_sales_rollups_and_page_views_are_seeded_from_the_orders(seeded, db):
    """The rollups the payment services would have kept: every paid order on its Hanoi day, every
    refund, each buyer, and page views where products sold."""
    from designers.models import BuyerDay, ProductSalesDay, ProductViewDay, SalesDay
    from designers.sales import local_day

    paid = Order.objects.filter(paid_at__isnull=False)
    assert SalesDay.objects.aggregate(s=Sum("gross"))["s"] == int(paid.aggregate(s=Sum("total_amount"))["s"])
    assert SalesDay.objects.aggregate(s=Sum("orders"))["s"] == paid.count()
    assert SalesDay.objects.aggregate(s=Sum("refunds"))["s"] == int(paid.aggregate(s=Sum("refunded_amount"))["s"])
    assert (
        SalesDay.objects.aggregate(s=Sum("units"))["s"]
        == OrderLine.objects.filter(order__in=paid).aggregate(s=Sum("quantity"))["s"]
    )
    lines = OrderLine.objects.filter(order__in=paid).aggregate(s=Sum("total_amount"))["s"]
    assert ProductSalesDay.objects.aggregate(s=Sum("revenue"))["s"] == int(lines)
    order = paid.order_by("pk").first()
    row = SalesDay.objects.get(designer_id=order.designer_id, day=local_day(order.paid_at), currency="VND")
    assert row.gross >= int(order.total_amount) and row.orders >= 1
    buyers = {(p.user_id or p.email) for p in Purchase.objects.filter(paid_at__isnull=False)}
    assert BuyerDay.objects.values("buyer").distinct().count() == len(buyers)
    assert ProductViewDay.objects.count() == ProductSalesDay.objects.filter(orders__gt=0).count() > 0
    assert not ProductViewDay.objects.filter(views__lt=10).exists()
