"""The demo catalog: believable, searchable without diacritics, and loading it twice changes nothing."""

from io import StringIO

from django.core.management import call_command

from designers.models import PortfolioImage, PortfolioItem
from shop.catalog.models import Category, Product, ProductMedia, ProductVariant
from tests.support import load_operation

SEARCH = load_operation("storefront/ProductSearch.graphql")
CATEGORIES = load_operation("storefront/Categories.graphql")


def counts():
    return [m.objects.count() for m in (Category, Product, ProductVariant, ProductMedia, PortfolioItem, PortfolioImage)]


def test_seed_demo_builds_a_catalog_once(gql, media_storage):
    call_command("seed_demo", stdout=StringIO())
    first = counts()
    assert first[1] >= 10 and first[2] > first[1] and first[3] >= first[1] and first[4] >= 4 and first[5] >= 4
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first

    found = gql(SEARCH, {"search": "ao dai lua"})["data"]["products"]["edges"]
    assert [e["node"]["name"] for e in found] == ["Áo dài lụa Hà Đông"]
    found = gql(SEARCH, {"search": "gom bat trang"})["data"]["products"]["edges"]
    assert found[0]["node"]["name"] == "Gốm Bát Tràng men rạn" and found[0]["node"]["thumbnail"]
    # drafts and the pending designer's product stay off the storefront
    public = {e["node"]["name"] for e in gql(SEARCH, {"search": "", "first": 100})["data"]["products"]["edges"]}
    assert "Ví da bò thủ công" not in public and "Áo dài gấm Tết" not in public
    # digital goods carry private files
    digital = ProductVariant.objects.filter(product__product_type="DIGITAL")
    assert digital.count() >= 2
    for variant in digital:
        assert (media_storage["private"] / variant.digital_file.name).exists()
    tree = gql(CATEGORIES, {})["data"]["categories"]
    assert "Gốm sứ" in [e["node"]["name"] for e in tree["edges"]]


def test_seed_demo_gives_each_demo_designer_months_of_sales(gql, media_storage):
    """`make run` shows a real dashboard at once: sales, refunds, views and conversion."""
    from datetime import timedelta

    from django.utils import timezone

    from designers.models import Designer, SalesDay
    from designers.sales import local_day
    from payments import rollups
    from tests.designers.test_sales_rollups import stored

    call_command("seed_demo", stdout=StringIO())
    today = local_day(timezone.now())
    period = {"from": (today - timedelta(days=120)).isoformat(), "to": today.isoformat()}
    sellers = Designer.objects.filter(user__email__endswith="@demo.rethink.market", status="APPROVED")
    assert sellers.count() >= 3
    for designer in sellers:
        result = gql(
            load_operation("designer/MySales.graphql"), {"period": period, "granularity": "WEEK"}, user=designer.user
        )
        sales = result["data"]["myDesigner"]["sales"]
        assert sales["orders"] >= 15, (designer.display_name, sales["orders"])
        assert int(sales["netEarnings"]["amount"]) > 0 and sales["views"] > sales["orders"]
        assert 0 < sales["conversion"] < 1
        assert sales["topProducts"] and sales["topProducts"][0]["conversion"] is not None
        assert len(sales["series"]) >= 17
    assert SalesDay.objects.filter(refunds__gt=0).exists()
    assert stored() == rollups.recompute()
    before = stored()
    call_command("seed_demo", stdout=StringIO())
    assert stored() == before
