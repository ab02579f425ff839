"""What buyers see: visibility, suspension, moderation, search, filters, sorting, categories and
the cost of the storefront list in SQL queries."""

from decimal import Decimal

import pytest
from django.db import connection
from graphql_relay import to_global_id

from designers.models import Designer
from shop.catalog.models import Category, Product, ProductMedia, ProductSearch, ProductVariant
from shop.catalog.selectors.listing import search_query, search_ranking
from shop.catalog.services.categories import create_category
from shop.catalog.services.products import archive_product, moderate_product, unpublish_product
from tests.catalog.helpers import gid
from tests.factories import make_designer, make_user, product
from tests.support import load_operation

PRODUCTS = load_operation("storefront/Products.graphql")
SEARCH = load_operation("storefront/ProductSearch.graphql")
BY_SLUG = load_operation("storefront/ProductBySlug.graphql")
BY_ID = load_operation("storefront/ProductById.graphql")
CATEGORIES = load_operation("storefront/Categories.graphql")
DESIGNER_PAGE = load_operation("storefront/DesignerPage.graphql")
SUSPEND = load_operation("staff/DesignerSuspend.graphql")
REINSTATE = load_operation("staff/DesignerReinstate.graphql")
MODERATE = load_operation("staff/ProductModerate.graphql")
HIDDEN = load_operation("staff/HiddenProducts.graphql")
CATEGORY_CREATE = load_operation("staff/CategoryCreate.graphql")
CATEGORY_UPDATE = load_operation("staff/CategoryUpdate.graphql")
CATEGORY_DELETE = load_operation("staff/CategoryDelete.graphql")
NODE = "query($id: ID!){ node(id: $id) { id } }"


def slugs(gql, variables=None, **kwargs):
    data = gql(PRODUCTS, {"first": 100, **(variables or {})}, **kwargs)
    assert "errors" not in data, data
    return [e["node"]["slug"] for e in data["data"]["products"]["edges"]]


def search(gql, text, **kwargs):
    data = gql(SEARCH, {"search": text}, **kwargs)
    assert "errors" not in data, data
    return [e["node"]["name"] for e in data["data"]["products"]["edges"]]


# --- visibility ----------------------------------------------------------------------------------


def test_only_published_visible_products_of_approved_designers_are_public(gql, staff):
    designer = make_designer()
    live = product(designer, name="Khăn lụa")
    draft = product(designer, name="Bản nháp", publish=False)
    archived = product(designer, name="Đã lưu trữ")
    archive_product(actor=designer.user, product_id=archived.pk)
    hidden = product(designer, name="Bị ẩn")
    moderate_product(actor=staff, product_id=hidden.pk, hidden=True, reason="Hàng giả")
    pending = make_designer(display_name="Chờ duyệt", status="PENDING")
    pending_product = product(pending, name="Của người chờ duyệt", publish=False)
    Product.objects.filter(pk=pending_product.pk).update(status="PUBLISHED")  # even if it were published

    assert slugs(gql) == [live.slug]
    assert search(gql, "") == ["Khăn lụa"]
    for invisible in (draft, archived, hidden, pending_product):
        assert gql(BY_SLUG, {"slug": invisible.slug})["data"]["product"] is None
        assert gql(BY_ID, {"id": gid(invisible)})["data"]["product"] is None
        assert gql(NODE, {"id": gid(invisible)})["data"]["node"] is None
        variant = invisible.variants.first()
        assert gql(NODE, {"id": gid(variant)})["data"]["node"] is None
        # another signed-in user sees nothing more
        assert gql(BY_SLUG, {"slug": invisible.slug}, user=make_user())["data"]["product"] is None
        # staff see everything by slug
        assert gql(BY_SLUG, {"slug": invisible.slug}, user=staff)["data"]["product"]["slug"] == invisible.slug
    # owners see their own
    assert gql(BY_SLUG, {"slug": draft.slug}, user=designer.user)["data"]["product"]["slug"] == draft.slug
    assert gql(BY_ID, {"id": gid(live)})["data"]["product"]["slug"] == live.slug
    assert gql(BY_ID, {"id": "not-a-global-id"})["data"]["product"] is None
    # the storefront list is the storefront for staff and owners too
    assert slugs(gql, user=staff) == [live.slug]
    assert slugs(gql, user=designer.user) == [live.slug]


def test_suspending_a_designer_hides_all_its_products_and_reinstating_brings_them_back(gql, staff):
    designer = make_designer(display_name="Lê Quang Minh")
    other = make_designer(display_name="Nguyễn Thị Hà")
    mine = [product(designer, name="Gốm Bát Tràng men rạn"), product(designer, name="Bình hoa men lam")]
    theirs = product(other, name="Poster chữ Hà Nội")
    assert set(slugs(gql)) == {p.slug for p in mine} | {theirs.slug}

    result = gql(SUSPEND, {"id": gid(designer), "reason": "Bán hàng giả"}, user=staff)["data"]["designerSuspend"]
    assert result["errors"] == []
    assert slugs(gql) == [theirs.slug]
    assert search(gql, "gom bat trang") == []
    assert gql(BY_SLUG, {"slug": mine[0].slug})["data"]["product"] is None
    assert gql(NODE, {"id": gid(mine[0])})["data"]["node"] is None
    # the products themselves were not touched: still PUBLISHED, and the designer still sees them
    assert set(Product.objects.filter(designer=designer).values_list("status", flat=True)) == {"PUBLISHED"}
    assert gql(BY_SLUG, {"slug": mine[0].slug}, user=designer.user)["data"]["product"]["slug"] == mine[0].slug

    gql(REINSTATE, {"id": gid(designer)}, user=staff)
    assert set(slugs(gql)) == {p.slug for p in mine} | {theirs.slug}
    assert search(gql, "gom bat trang") == ["Gốm Bát Tràng men rạn"]


def test_staff_hide_a_listing_with_a_reason_and_show_it_again(gql, staff, db_unchanged):
    designer = make_designer()
    item = product(designer, name="Túi thêu")
    buyer = make_user()
    with db_unchanged():
        no_reason = gql(MODERATE, {"id": gid(item), "input": {"hidden": True, "reason": "  "}}, user=staff)
        for user in (designer.user, buyer, None):
            denied = gql(MODERATE, {"id": gid(item), "input": {"hidden": True, "reason": "x"}}, user=user)
            assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        missing = gql(
            MODERATE, {"id": to_global_id("Product", 999999), "input": {"hidden": True, "reason": "x"}}, user=staff
        )
    assert no_reason["data"]["productModerate"]["errors"][0]["code"] == "REQUIRED"
    assert missing["data"]["productModerate"]["errors"][0]["code"] == "NOT_FOUND"

    hidden = gql(MODERATE, {"id": gid(item), "input": {"hidden": True, "reason": "Ảnh vi phạm bản quyền"}}, user=staff)
    hidden = hidden["data"]["productModerate"]["product"]
    assert hidden["isHidden"] is True and hidden["hiddenReason"] == "Ảnh vi phạm bản quyền" and hidden["hiddenAt"]
    assert slugs(gql) == []
    queue = gql(HIDDEN, {}, user=staff)["data"]["products"]
    assert queue["totalCount"] == 1 and queue["edges"][0]["node"]["hiddenReason"] == "Ảnh vi phạm bản quyền"
    assert gql(HIDDEN, {}, user=designer.user)["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    owner_view = gql(BY_SLUG, {"slug": item.slug}, user=designer.user)["data"]["product"]
    assert owner_view is not None

    shown = gql(MODERATE, {"id": gid(item), "input": {"hidden": False}}, user=staff)["data"]["productModerate"][
        "product"
    ]
    assert shown["isHidden"] is False and shown["hiddenReason"] is None
    assert slugs(gql) == [item.slug]


# --- search --------------------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    linh = make_designer(display_name="Trần Thùy Linh")
    minh = make_designer(display_name="Lê Quang Minh")
    ha = make_designer(display_name="Nguyễn Thị Hà")
    return {
        "ao_dai": product(
            linh,
            name="Áo dài lụa Hà Đông",
            price=2_400_000,
            tags=["lụa", "áo dài"],
            description="<p>May đo thủ công tại Hà Nội.</p>",
        ),
        "khan": product(
            linh,
            name="Khăn lụa thêu tay",
            price=650_000,
            stock=0,
            tags=["lụa", "khăn"],
            description="<p>Thêu chỉ tơ.</p>",
        ),
        "gom": product(
            minh,
            name="Gốm Bát Tràng men rạn",
            price=900_000,
            tags=["gốm"],
            description="<p>Bình gốm nung củi, men rạn cổ.</p>",
        ),
        "tui": product(
            minh,
            name="Túi vải bố",
            price=350_000,
            tags=["túi"],
            description="<p>Lót bằng <em>lụa</em> Hà Đông, quai da.</p>",
        ),
        "font": product(
            ha,
            name="Font chữ Hà Nội Sans",
            price=350_000,
            product_type="DIGITAL",
            tags=["font", "typography"],
            description="<p>Bộ chữ lấy cảm hứng từ biển hiệu phố cổ.</p>",
        ),
    }


def test_search_folds_accents_both_ways(gql, catalog):
    assert search(gql, "ao dai lua") == ["Áo dài lụa Hà Đông"]
    assert search(gql, "Áo dài lụa") == ["Áo dài lụa Hà Đông"]
    assert search(gql, "gom bat trang") == ["Gốm Bát Tràng men rạn"]
    assert search(gql, "GỐM BÁT TRÀNG") == ["Gốm Bát Tràng men rạn"]
    assert search(gql, "font ha noi") == ["Font chữ Hà Nội Sans"]
    assert search(gql, "thuy linh") == []  # designers are searched with `designers(filter: {search})`
    assert search(gql, "xe đạp") == []


def test_search_matches_prefixes_of_the_last_word(gql, catalog):
    assert search(gql, "gom bat tr") == ["Gốm Bát Tràng men rạn"]
    assert search(gql, "ao d") == ["Áo dài lụa Hà Đông"]


def test_name_matches_rank_above_tag_and_description_matches(gql, catalog):
    # "lụa" is in two names (and tags), and only in the description of the bag
    found = search(gql, "lua")
    assert set(found[:2]) == {"Áo dài lụa Hà Đông", "Khăn lụa thêu tay"} and found[2:] == ["Túi vải bố"]
    # "ha dong": name of the áo dài, description of the bag
    assert search(gql, "ha dong") == ["Áo dài lụa Hà Đông", "Túi vải bố"]


@pytest.mark.parametrize(
    "text",
    ["a & b | !c", "'; DROP TABLE catalog_product; --", ":*", "<->", "lụa:*A", "(((", "\\", "x" * 10_000, "🙂 🧵"],
)
def test_hostile_search_strings_are_harmless(gql, catalog, text):
    data = gql(SEARCH, {"search": text})
    assert "errors" not in data and data["_status"] == 200
    assert Product.objects.count() == 5


def test_nul_in_a_search_is_refused_before_it_reaches_postgresql(gql, catalog):
    data = gql(SEARCH, {"search": "l\x00ua"})
    assert data["_status"] == 400 and data["errors"][0]["extensions"]["code"] == "INVALID_CHARACTERS"


def test_description_only_matches_rank_zero_and_come_newest_first(gql, catalog):
    # "ha": in the names of the áo dài and the font (rank > 0), in the descriptions only of the bag
    # (made before the font) and of a newer scarf: those two tie at rank 0, the newer first.
    scarf = product(catalog["ao_dai"].designer, name="Khăn vuông", description="<p>Dệt ở Hà Đông.</p>")
    found = search(gql, "ha")
    assert set(found[:2]) == {"Áo dài lụa Hà Đông", "Font chữ Hà Nội Sans"}
    assert found[2:] == [scarf.name, "Túi vải bố"]
    rows = search_ranking(None, search="ha")
    assert [r.rank for r in rows][2:] == [0.0, 0.0]
    # the same order page by page (ids from the search rows, with or without a count)
    query = """query($first: Int, $after: String, $last: Int, $before: String) {
      products(first: $first, after: $after, last: $last, before: $before, filter: {search: "ha"}) {
        edges { node { name } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }"""
    names = lambda page: [e["node"]["name"] for e in page["edges"]]  # noqa: E731
    head = gql(query, {"first": 3})["data"]["products"]
    assert names(head) == found[:3] and head["pageInfo"]["hasNextPage"]
    tail = gql(query, {"first": 3, "after": head["pageInfo"]["endCursor"]})["data"]["products"]
    assert names(tail) == found[3:] and not tail["pageInfo"]["hasNextPage"]
    back = gql(query, {"last": 2, "before": tail["pageInfo"]["startCursor"]})["data"]["products"]
    assert names(back) == found[1:3] and back["pageInfo"]["hasPreviousPage"]


def test_a_stale_search_row_never_shows_a_product_the_storefront_hides(gql, catalog, staff):
    moderate_product(actor=staff, product_id=catalog["khan"].pk, hidden=True, reason="Ảnh sai")
    unpublish_product(actor=catalog["ao_dai"].designer.user, product_id=catalog["ao_dai"].pk)
    assert search(gql, "lua") == ["Túi vải bố"]
    # rows that say otherwise (written around the services): the products are still left out
    ProductSearch.objects.update(listed=True)
    assert search(gql, "lua") == ["Túi vải bố"]
    assert gql(SEARCH, {"search": "lua"})["data"]["products"]["totalCount"] == 3  # counted from the rows


def test_search_uses_the_gin_indexes(db):
    rows = ProductSearch.objects.filter(document=search_query("ao dai lua"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        assert "product_search_document_gin" in rows.explain()
        assert "product_search_listed_gin" in rows.filter(listed=True).explain()

    # With a catalog of some size (at 3,000 rows the planner sometimes preferred other plans) and
    # fresh statistics, the planner picks the GIN indexes by itself, no setting needed: the
    # storefront's (listed rows only) for its ranking query, which reads no product row, and the
    # full one for a staff search.
    designers = [make_designer(display_name=f"Người {i}") for i in range(5)]
    Product.objects.bulk_create(
        [
            Product(
                designer=designers[i % 5],
                name=f"San pham {i} {'gom' if i % 500 == 0 else 'vai'}",
                slug=f"sp-{i}",
                status="PUBLISHED",
                min_price=100,
            )
            for i in range(20000)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_productsearch (product_id, designer_id, created_at, listed, title, document) "
            "SELECT id, designer_id, created_at, id % 7 > 0, to_tsvector('simple', name), to_tsvector('simple', name) "
            "FROM catalog_product"
        )
        for table in ("catalog_product", "catalog_productsearch", "designers_designer"):
            cursor.execute(f"ANALYZE {table}")
    ranking = search_ranking(None, search="gom")
    plan = ranking.explain()
    assert "product_search_listed_gin" in plan and " on catalog_product " not in plan, plan
    assert len(list(ranking)) == ProductSearch.objects.filter(listed=True, document="gom").count() > 0
    staff = search_ranking(make_user(staff=True), staff_view=True, search="gom")
    assert "product_search_document_gin" in staff.explain()
    assert len(list(staff)) == 40
    # a filter on what only products have: the rows of the products it matches
    filtered = search_ranking(None, search="gom", price_gte=50)
    assert list(filtered) == list(ranking) and not search_ranking(None, search="gom", price_gte=150).exists()


def test_search_rows_keep_weights_for_ranking_and_every_word_for_matching(catalog):
    title, document = ProductSearch.objects.filter(pk=catalog["ao_dai"].pk).values_list("title", "document").get()
    assert "'ao':1A" in title and "'lua':3A" in title and "'dong':5A" in title
    assert "'lua':3A,6B" in title and "'noi'" not in title  # tags weigh B; the description is not ranked
    assert "'noi'" in document and "'ao'" in document and ":" not in document  # no positions, no weights


# --- filters and sorting -------------------------------------------------------------------------


def test_filters(gql, catalog, staff):
    ha = catalog["font"].designer
    assert slugs(gql, {"filter": {"designer": gid(ha)}}) == [catalog["font"].slug]
    assert slugs(gql, {"filter": {"designer": "garbage"}}) == []
    assert slugs(gql, {"filter": {"productType": "DIGITAL"}}) == [catalog["font"].slug]
    prices = {"filter": {"priceRange": {"gte": "600000", "lte": "1000000"}}, "sortBy": {"field": "PRICE"}}
    assert slugs(gql, prices) == [catalog["khan"].slug, catalog["gom"].slug]
    assert catalog["khan"].slug not in slugs(gql, {"filter": {"inStock": True}})
    assert catalog["font"].slug in slugs(gql, {"filter": {"inStock": True}})  # digital: has its file
    assert slugs(gql, {"filter": {"inStock": False}}) == [catalog["khan"].slug]
    assert set(slugs(gql, {"filter": {"tags": ["Lụa", "gốm"]}})) == {catalog[k].slug for k in ("ao_dai", "khan", "gom")}
    combined = {"filter": {"search": "lua", "inStock": True, "priceRange": {"lte": "1000000"}}}
    assert slugs(gql, combined) == [catalog["tui"].slug]
    # statuses are for staff
    denied = gql(PRODUCTS, {"first": 10, "filter": {"status": ["DRAFT"]}}, user=make_user())
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    product(ha, name="Nháp", publish=False)
    assert slugs(gql, {"filter": {"status": ["DRAFT"]}}, user=staff) == ["nhap"]


def test_category_filter_includes_subcategories(gql, staff):
    fashion = create_category(actor=staff, name="Thời trang")
    ao_dai = create_category(actor=staff, name="Áo dài", parent_id=fashion.pk)
    ceramics = create_category(actor=staff, name="Gốm sứ")
    designer = make_designer()
    dress = product(designer, name="Áo dài gấm", category=ao_dai)
    scarf = product(designer, name="Khăn", category=fashion)
    vase = product(designer, name="Bình", category=ceramics)
    assert set(slugs(gql, {"filter": {"category": gid(fashion)}})) == {dress.slug, scarf.slug}
    assert slugs(gql, {"filter": {"category": gid(ao_dai)}}) == [dress.slug]
    assert slugs(gql, {"filter": {"category": gid(ceramics)}}) == [vase.slug]
    assert slugs(gql, {"filter": {"category": to_global_id("Category", 999999)}}) == []


def test_sorting(gql, catalog):
    by_name = slugs(gql, {"sortBy": {"field": "NAME", "direction": "ASC"}})
    names = [Product.objects.get(slug=s).name for s in by_name]
    assert names == [
        "Áo dài lụa Hà Đông",
        "Font chữ Hà Nội Sans",
        "Gốm Bát Tràng men rạn",
        "Khăn lụa thêu tay",
        "Túi vải bố",
    ]
    by_price = slugs(gql, {"sortBy": {"field": "PRICE", "direction": "DESC"}})
    assert by_price[0] == catalog["ao_dai"].slug and by_price[-1] in (catalog["tui"].slug, catalog["font"].slug)
    newest = slugs(gql, {"sortBy": {"field": "CREATED_AT", "direction": "DESC"}})
    assert newest == slugs(gql) and newest[0] == catalog["font"].slug
    oldest = slugs(gql, {"sortBy": {"field": "CREATED_AT", "direction": "ASC"}})
    assert oldest == list(reversed(newest))
    # RANK without a search falls back to newest first
    assert slugs(gql, {"sortBy": {"field": "RANK"}}) == newest


def test_pagination_is_a_capped_cursor_connection(gql, catalog):
    page1 = gql(PRODUCTS, {"first": 2, "withTotalCount": True})["data"]["products"]
    assert page1["totalCount"] == 5 and len(page1["edges"]) == 2 and page1["pageInfo"]["hasNextPage"] is True
    page2 = gql(PRODUCTS, {"first": 2, "after": page1["pageInfo"]["endCursor"]})["data"]["products"]
    page3 = gql(PRODUCTS, {"first": 2, "after": page2["pageInfo"]["endCursor"]})["data"]["products"]
    assert page3["pageInfo"]["hasNextPage"] is False
    seen = [e["node"]["slug"] for p in (page1, page2, page3) for e in p["edges"]]
    assert sorted(seen) == sorted(p.slug for p in catalog.values())
    for bad in (0, 101):
        assert gql(PRODUCTS, {"first": bad})["errors"][0]["extensions"]["code"] == "INVALID_PAGINATION"
    assert gql(PRODUCTS, {"first": None})["errors"][0]["extensions"]["code"] == "INVALID_PAGINATION"


# --- categories ----------------------------------------------------------------------------------


def test_staff_manage_the_category_tree(gql, staff, db_unchanged, django_assert_max_num_queries):
    def create(name, parent=None, **extra):
        data = {"name": name, **({"parent": parent} if parent else {}), **extra}
        return gql(CATEGORY_CREATE, {"input": data}, user=staff)["data"]["categoryCreate"]

    outsiders = (None, make_user(), make_designer().user)
    fashion = create("Thời trang")["category"]
    assert fashion["slug"] == "thoi-trang" and fashion["parent"] is None
    ao_dai = create("Áo dài", fashion["id"])["category"]
    scarves = create("Khăn", fashion["id"])["category"]
    silk = create("Lụa tơ tằm", ao_dai["id"])["category"]
    create("Gốm sứ")
    with django_assert_max_num_queries(5):  # roots, count, and one query per level below
        tree = gql(CATEGORIES, {})["data"]["categories"]
    assert [e["node"]["name"] for e in tree["edges"]] == ["Thời trang", "Gốm sứ"]
    children = tree["edges"][0]["node"]["children"]["edges"]
    assert [c["node"]["name"] for c in children] == ["Áo dài", "Khăn"]
    # deeper levels: the same query for one category's children
    below = gql(
        "query($p: ID!) { categories(first: 10, filter: {parent: $p}) { edges { node { slug } } } }",
        {"p": ao_dai["id"]},
    )
    assert [e["node"]["slug"] for e in below["data"]["categories"]["edges"]] == ["lua-to-tam"]

    moved = gql(
        CATEGORY_UPDATE, {"id": scarves["id"], "input": {"parent": None, "name": "Khăn & phụ kiện"}}, user=staff
    )
    assert moved["data"]["categoryUpdate"]["category"]["parent"] is None
    with db_unchanged():
        cycle = gql(CATEGORY_UPDATE, {"id": fashion["id"], "input": {"parent": silk["id"]}}, user=staff)
        itself = gql(CATEGORY_UPDATE, {"id": fashion["id"], "input": {"parent": fashion["id"]}}, user=staff)
        has_children = gql(CATEGORY_DELETE, {"id": fashion["id"]}, user=staff)
        duplicate = create("Khác", slug="thoi-trang")
        for user in outsiders:
            denied = gql(CATEGORY_CREATE, {"input": {"name": "X"}}, user=user)
            assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
            denied = gql(CATEGORY_DELETE, {"id": "garbage"}, user=user)
            assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert cycle["data"]["categoryUpdate"]["errors"][0]["code"] == "INVALID"
    assert itself["data"]["categoryUpdate"]["errors"][0]["code"] == "INVALID"
    assert has_children["data"]["categoryDelete"]["errors"][0]["code"] == "HAS_CHILDREN"
    assert duplicate["errors"][0]["code"] == "UNIQUE"

    # depth is capped at four levels
    level4 = create("Cấp 4", silk["id"])["category"]
    with db_unchanged():
        assert create("Cấp 5", level4["id"])["errors"][0]["code"] == "INVALID"

    # deleting a leaf keeps its products, uncategorised
    item = product(make_designer(), name="Áo lụa", category=Category.objects.get(slug="lua-to-tam"))
    gql(CATEGORY_DELETE, {"id": level4["id"]}, user=staff)
    deleted = gql(CATEGORY_DELETE, {"id": silk["id"]}, user=staff)["data"]["categoryDelete"]
    assert deleted["errors"] == [] and deleted["category"]["slug"] == "lua-to-tam"
    item.refresh_from_db()
    assert item.category_id is None


# --- query counts --------------------------------------------------------------------------------


def _bulk_catalog(n: int, designers: int = 5, variants: int = 3) -> None:
    """``n`` published products with variants, an image with thumbnails, designer and category."""
    people = [make_designer(display_name=f"Nhà thiết kế {i}") for i in range(designers)]
    category = Category.objects.create(name="Gốm", slug=f"gom-{n}")
    start = Product.objects.count()
    products = Product.objects.bulk_create(
        [
            Product(
                designer=people[i % designers],
                name=f"Sản phẩm {start + i}",
                slug=f"san-pham-{start + i}",
                status="PUBLISHED",
                category=category,
                min_price=Decimal(100_000),
                tags=["gốm"],
            )
            for i in range(n)
        ]
    )
    ProductVariant.objects.bulk_create(
        [
            ProductVariant(
                product=p,
                designer_id=p.designer_id,
                sku=f"S{p.pk}-{v}",
                price_amount=Decimal(100_000 + v),
                stock_quantity=v,
                attributes=[{"name": "Cỡ", "value": str(v)}],
            )
            for p in products
            for v in range(variants)
        ]
    )
    ProductMedia.objects.bulk_create(
        [
            ProductMedia(
                product=p,
                image=f"products/aa/{p.pk}.jpg",
                width=800,
                height=600,
                thumbnails={"256": f"products/thumbs/aa/{p.pk}-256.webp", "512": f"products/thumbs/aa/{p.pk}-512.webp"},
            )
            for p in products
        ]
    )


def _count_products_queries(gql, django_assert_num_queries, expected, **kwargs):
    with django_assert_num_queries(expected) as captured:
        data = gql(PRODUCTS, {"first": 100, "withTotalCount": True}, **kwargs)
    assert "errors" not in data
    return data["data"]["products"], captured


def test_storefront_list_costs_the_same_few_queries_for_10_and_100_products(gql, django_assert_num_queries):
    _bulk_catalog(10)
    small, _ = _count_products_queries(gql, django_assert_num_queries, 4)
    assert small["totalCount"] == 10
    node = small["edges"][0]["node"]
    assert len(node["variants"]["edges"]) == 3 and node["thumbnail"].endswith("-512.webp")
    assert node["designer"]["displayName"].startswith("Nhà thiết kế") and node["category"]["name"] == "Gốm"

    _bulk_catalog(90)
    # products + totalCount + variants + media: 4 queries, whatever the page size
    large, _ = _count_products_queries(gql, django_assert_num_queries, 4)
    assert large["totalCount"] == 100 and len(large["edges"]) == 100
    assert all(len(e["node"]["variants"]["edges"]) == 3 for e in large["edges"])
    # signed in: one more query, to load the caller
    _count_products_queries(gql, django_assert_num_queries, 5, user=make_user())
    # without totalCount (the storefront's next pages): no COUNT, and no OFFSET past the first page
    with django_assert_num_queries(3) as first_page:
        page = gql(PRODUCTS, {"first": 50})["data"]["products"]
    with django_assert_num_queries(3) as next_page:
        following = gql(PRODUCTS, {"first": 50, "after": page["pageInfo"]["endCursor"]})["data"]["products"]
    assert "totalCount" not in page and len(following["edges"]) == 50
    sql = [q["sql"].upper() for q in first_page.captured_queries + next_page.captured_queries]
    assert not any("COUNT(" in q or "OFFSET" in q for q in sql)


def test_designer_page_costs_the_same_queries_for_few_and_many_products(gql, django_assert_num_queries):
    from designers.models import PortfolioImage, PortfolioItem

    def grow(designer, n):
        start = Product.objects.filter(designer=designer).count()
        products = Product.objects.bulk_create(
            [
                Product(
                    designer=designer,
                    name=f"Món {start + i}",
                    slug=f"{designer.slug}-mon-{start + i}",
                    status="PUBLISHED",
                    min_price=Decimal(1000),
                )
                for i in range(n)
            ]
        )
        ProductVariant.objects.bulk_create(
            [
                ProductVariant(
                    product=p, designer_id=designer.pk, sku=f"M{p.pk}-{v}", price_amount=Decimal(1000), stock_quantity=1
                )
                for p in products
                for v in range(2)
            ]
        )
        ProductMedia.objects.bulk_create(
            [ProductMedia(product=p, image=f"products/aa/{p.pk}.jpg", width=640, height=480) for p in products]
        )
        items = PortfolioItem.objects.bulk_create(
            [PortfolioItem(designer=designer, title=f"Dự án {start + i}", position=start + i) for i in range(n)]
        )
        PortfolioImage.objects.bulk_create(
            [
                PortfolioImage(item=it, image=f"portfolio/aa/{it.pk}.jpg", width=640, height=480)
                for it in items
                for _ in range(2)
            ]
        )
        for item, p in zip(items, products):
            item.products.add(p)

    designer = make_designer(display_name="Trần Thùy Linh")
    grow(designer, 3)
    with django_assert_num_queries(11) as few:
        page = gql(DESIGNER_PAGE, {"slug": designer.slug, "products": 24, "portfolio": 12})["data"]["designer"]
    assert page["products"]["totalCount"] == 3 and page["portfolio"]["totalCount"] == 3
    assert len(page["portfolio"]["edges"][0]["node"]["images"]["edges"]) == 2
    assert len(page["portfolio"]["edges"][0]["node"]["products"]["edges"]) == 1
    grow(designer, 30)
    with django_assert_num_queries(11) as many:
        page = gql(DESIGNER_PAGE, {"slug": designer.slug, "products": 24, "portfolio": 12})["data"]["designer"]
    assert page["products"]["totalCount"] == 33 and len(page["products"]["edges"]) == 24
    assert len(page["portfolio"]["edges"]) == 12
    assert len(few.captured_queries) == len(many.captured_queries)
    assert Designer.objects.count() == 1
