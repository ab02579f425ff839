"""The anonymous-read cache (shop/core/readcache.py): storefront answers come from the cache, and
every kind of change a service makes is visible on the very next read; nothing personal is ever
cached; persisted queries, GET, ETag and Cache-Control; the reader/writer race; a real Redis."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from designers.services.portfolio import create_portfolio_item
from designers.services.profiles import reinstate_designer, suspend_designer, update_designer_profile
from shop.accounts.tokens import create_access_token
from shop.catalog.models import ProductVariant
from shop.catalog.services.categories import update_category
from shop.catalog.services.media import add_product_media, delete_product_media
from shop.catalog.services.products import moderate_product, publish_product, unpublish_product, update_product
from shop.catalog.services.variants import create_variant, update_variant
from shop.core import readcache
from shop.orders.models import Order
from tests.commerce import Buyer
from tests.factories import make_shipping_method, make_user, product
from tests.media import image_bytes
from tests.support import load_operation, reachable

PRODUCTS = load_operation("storefront/Products.graphql")
PRODUCT = load_operation("storefront/ProductBySlug.graphql")
SEARCH = load_operation("storefront/ProductSearch.graphql")
DESIGNER_PAGE = load_operation("storefront/DesignerPage.graphql")


# Every test here runs with the read cache on (tests/core/conftest.py).
pytestmark = pytest.mark.usefixtures("read_cache")


class Reader:
    """An anonymous storefront client (or a signed-in one with ``user``)."""

    def __init__(self, user=None, headers=None):
        self.client = Client()
        self.headers = dict(headers or {})
        if user is not None:
            self.headers["Authorization"] = f"Bearer {create_access_token(user)}"

    def post(self, query, variables=None):
        return self.client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            headers=self.headers,
        )

    def get(self, params, **headers):
        return self.client.get(
            "/graphql/?" + urlencode(params), headers={**self.headers, "Accept": "application/json", **headers}
        )

    def data(self, query, variables=None, *, expect=None):
        response = self.post(query, variables)
        assert response.status_code == 200, response.content[:300]
        if expect is not None:
            assert response.get("X-Cache") == expect, (response.get("X-Cache"), expect)
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def _names(data):
    return [e["node"]["name"] for e in data["products"]["edges"]]


def test_a_second_anonymous_read_is_a_hit_with_the_same_answer(shop):
    reader = Reader()
    first = reader.post(PRODUCTS, {"first": 10})
    second = reader.post(PRODUCTS, {"first": 10})
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert second["Cache-Control"] == "public, max-age=0, must-revalidate" and "Authorization" in second["Vary"]
    other = reader.post(PRODUCTS, {"first": 9})  # other variables: another entry
    assert other["X-Cache"] == "MISS"
    english = Reader(headers={"Accept-Language": "en"}).post(PRODUCTS, {"first": 10})
    assert english["X-Cache"] == "MISS"  # another language: another entry


def _write(django_capture_on_commit_callbacks, fn, *args, **kwargs):
    """A write as production makes it: the bumps run when its transaction commits."""
    with django_capture_on_commit_callbacks(execute=True):
        return fn(*args, **kwargs)


def test_a_product_change_is_visible_on_the_next_read(shop, django_capture_on_commit_callbacks):
    reader = Reader()
    reader.data(PRODUCT, {"slug": shop.bowl.slug})
    assert reader.data(PRODUCT, {"slug": shop.bowl.slug}, expect="HIT")["product"]["name"] == "Bát gốm men rạn"
    reader.data(PRODUCTS, {"first": 10})
    reader.data(SEARCH, {"search": "bat gom"})
    _write(
        django_capture_on_commit_callbacks,
        update_product,
        actor=shop.designer.user,
        product_id=shop.bowl.pk,
        name="Bát gốm men lam",
    )
    assert reader.data(PRODUCT, {"slug": shop.bowl.slug}, expect="MISS")["product"]["name"] == "Bát gốm men lam"
    assert "Bát gốm men lam" in _names(reader.data(PRODUCTS, {"first": 10}, expect="MISS"))
    assert [
        e["node"]["name"] for e in reader.data(SEARCH, {"search": "bat gom"}, expect="MISS")["products"]["edges"]
    ] == ["Bát gốm men lam"]
    # another product's page, even of the same designer, was not touched
    reader.data(PRODUCT, {"slug": shop.vase.slug})
    _write(
        django_capture_on_commit_callbacks,
        update_product,
        actor=shop.designer.user,
        product_id=shop.bowl.pk,
        description="<p>Men lam</p>",
    )
    assert reader.data(PRODUCT, {"slug": shop.vase.slug}, expect="HIT")["product"]["name"] == "Bình gốm Chu Đậu"


def test_unpublishing_and_hiding_take_a_product_off_at_once(shop, django_capture_on_commit_callbacks, staff):
    reader = Reader()
    for _ in range(2):
        assert reader.data(PRODUCT, {"slug": shop.bowl.slug})["product"] is not None
        reader.data(PRODUCTS, {"first": 10})
    _write(
        django_capture_on_commit_callbacks,
        unpublish_product,
        actor=shop.designer.user,
        product_id=shop.bowl.pk,
    )
    assert reader.data(PRODUCT, {"slug": shop.bowl.slug})["product"] is None
    assert _names(reader.data(PRODUCTS, {"first": 10})) == ["Bình gốm Chu Đậu"]
    # publishing again brings it back: a cached "not found" is forgotten too
    assert reader.data(PRODUCT, {"slug": shop.bowl.slug}, expect="HIT")["product"] is None
    _write(django_capture_on_commit_callbacks, publish_product, actor=shop.designer.user, product_id=shop.bowl.pk)
    assert reader.data(PRODUCT, {"slug": shop.bowl.slug}, expect="MISS")["product"]["slug"] == shop.bowl.slug
    _write(
        django_capture_on_commit_callbacks,
        moderate_product,
        actor=staff,
        product_id=shop.vase.pk,
        hidden=True,
        reason="Ảnh vi phạm bản quyền",
    )
    assert _names(reader.data(PRODUCTS, {"first": 10}, expect="MISS")) == ["Bát gốm men rạn"]


def test_a_variant_change_is_visible_on_the_next_read(shop, django_capture_on_commit_callbacks):
    reader = Reader()
    variant = ProductVariant.objects.get(product=shop.bowl)
    for _ in range(2):
        page = reader.data(PRODUCT, {"slug": shop.bowl.slug})["product"]
        listed = reader.data(PRODUCTS, {"first": 10})
    assert page["variants"]["edges"][0]["node"]["price"]["amount"] == "250000"
    _write(
        django_capture_on_commit_callbacks,
        update_variant,
        actor=shop.designer.user,
        variant_id=variant.pk,
        price="199000",
        stock_quantity=0,
    )
    node = reader.data(PRODUCT, {"slug": shop.bowl.slug}, expect="MISS")["product"]["variants"]["edges"][0]["node"]
    assert (node["price"]["amount"], node["inStock"], node["stockQuantity"]) == ("199000", False, 0)
    listed = reader.data(PRODUCTS, {"first": 10}, expect="MISS")
    bowl = next(e["node"] for e in listed["products"]["edges"] if e["node"]["slug"] == shop.bowl.slug)
    assert bowl["minPrice"]["amount"] == "199000"
    _write(
        django_capture_on_commit_callbacks,
        create_variant,
        actor=shop.designer.user,
        product_id=shop.bowl.pk,
        sku="BAT-XL",
        price="300000",
        name="Cỡ lớn",
        stock_quantity=2,
    )
    page = reader.data(PRODUCT, {"slug": shop.bowl.slug}, expect="MISS")["product"]
    assert [e["node"]["sku"] for e in page["variants"]["edges"]][-1] == "BAT-XL"


def test_media_changes_and_new_thumbnails_are_visible_on_the_next_read(shop, django_capture_on_commit_callbacks):
    from shop.catalog.models import ProductMedia
    from shop.core.tasks import make_thumbnails

    def bowl_thumbnail(expect):
        listed = reader.data(PRODUCTS, {"first": 10}, expect=expect)
        return next(e["node"] for e in listed["products"]["edges"] if e["node"]["slug"] == shop.bowl.slug)["thumbnail"]

    reader = Reader()
    bowl_thumbnail(None)
    assert bowl_thumbnail("HIT") is None
    upload = SimpleUploadedFile("bat.jpg", image_bytes("JPEG", size=(1200, 900)), content_type="image/jpeg")
    media = _write(
        django_capture_on_commit_callbacks,
        add_product_media,
        actor=shop.designer.user,
        product_id=shop.bowl.pk,
        image=upload,
        alt="Bát",
    )  # the thumbnail task runs at commit (eager in tests)
    assert bowl_thumbnail("MISS").endswith(".webp")
    # thumbnails that the task makes later are visible too: forget them behind the services' back
    # (no bump: the cached answer stays), then let the task make them again
    ProductMedia.objects.filter(pk=media.pk).update(thumbnails={})
    assert bowl_thumbnail("HIT").endswith(".webp")
    with django_capture_on_commit_callbacks(execute=True):
        make_thumbnails.apply(args=("catalog.ProductMedia", media.pk))
    assert bowl_thumbnail("MISS").endswith(".webp")
    assert set(ProductMedia.objects.get(pk=media.pk).thumbnails) == {"256", "512", "1024"}
    _write(django_capture_on_commit_callbacks, delete_product_media, actor=shop.designer.user, media_id=media.pk)
    assert bowl_thumbnail("MISS") is None


def test_a_designers_status_and_profile_are_visible_on_the_next_read(shop, django_capture_on_commit_callbacks, staff):
    reader = Reader()
    for _ in range(2):
        reader.data(PRODUCTS, {"first": 10})
        reader.data(PRODUCT, {"slug": shop.bowl.slug})
        reader.data(DESIGNER_PAGE, {"slug": shop.designer.slug})
    _write(
        django_capture_on_commit_callbacks,
        update_designer_profile,
        designer=shop.designer,
        actor=shop.designer.user,
        display_name="Linh Ceramics",
    )
    listed = reader.data(PRODUCTS, {"first": 10}, expect="MISS")
    assert {e["node"]["designer"]["displayName"] for e in listed["products"]["edges"]} == {"Linh Ceramics"}
    assert (
        reader.data(DESIGNER_PAGE, {"slug": shop.designer.slug}, expect="MISS")["designer"]["displayName"]
        == "Linh Ceramics"
    )
    _write(
        django_capture_on_commit_callbacks,
        suspend_designer,
        designer_id=shop.designer.pk,
        actor=staff,
        reason="Giao hàng chậm",
    )
    assert reader.data(PRODUCTS, {"first": 10})["products"]["edges"] == []
    assert reader.data(PRODUCT, {"slug": shop.bowl.slug})["product"] is None
    assert reader.data(DESIGNER_PAGE, {"slug": shop.designer.slug})["designer"] is None
    _write(
        django_capture_on_commit_callbacks,
        reinstate_designer,
        designer_id=shop.designer.pk,
        actor=staff,
    )
    assert len(reader.data(PRODUCTS, {"first": 10}, expect="MISS")["products"]["edges"]) == 2


def test_portfolio_and_shipping_changes_show_on_the_designer_page(shop, django_capture_on_commit_callbacks):
    reader = Reader()
    for _ in range(2):
        page = reader.data(DESIGNER_PAGE, {"slug": shop.designer.slug})["designer"]
    assert page["portfolio"]["totalCount"] == 0
    _write(
        django_capture_on_commit_callbacks,
        create_portfolio_item,
        actor=shop.designer.user,
        title="Triển lãm gốm 2025",
    )
    page = reader.data(DESIGNER_PAGE, {"slug": shop.designer.slug}, expect="MISS")["designer"]
    assert [e["node"]["title"] for e in page["portfolio"]["edges"]] == ["Triển lãm gốm 2025"]
    query = "query($slug: String!) { designer(slug: $slug) { shippingMethods { name } } }"
    for _ in range(2):
        assert reader.data(query, {"slug": shop.designer.slug})["designer"]["shippingMethods"] == []
    from shop.checkout import shipping_methods as checkout_shipping_methods

    _write(
        django_capture_on_commit_callbacks,
        checkout_shipping_methods.create_shipping_method,
        actor=shop.designer.user,
        data={"name": "Giao nhanh", "price_amount": "30000"},
    )
    assert reader.data(query, {"slug": shop.designer.slug}, expect="MISS")["designer"]["shippingMethods"] == [
        {"name": "Giao nhanh"}
    ]


def test_a_category_change_is_visible_on_the_next_read(shop, django_capture_on_commit_callbacks, staff):
    reader = Reader()
    for _ in range(2):
        listed = reader.data(PRODUCTS, {"first": 10})
        reader.data(PRODUCT, {"slug": shop.bowl.slug})
    assert {e["node"]["category"]["name"] for e in listed["products"]["edges"]} == {"Gốm sứ"}
    _write(
        django_capture_on_commit_callbacks,
        update_category,
        actor=staff,
        category_id=shop.category.pk,
        name="Gốm & sứ",
    )
    listed = reader.data(PRODUCTS, {"first": 10}, expect="MISS")
    assert {e["node"]["category"]["name"] for e in listed["products"]["edges"]} == {"Gốm & sứ"}
    assert reader.data(PRODUCT, {"slug": shop.bowl.slug}, expect="MISS")["product"]["category"]["name"] == "Gốm & sứ"


def test_stock_taken_by_a_purchase_is_visible_on_the_next_read(shop, gql, django_capture_on_commit_callbacks):
    reader = Reader()
    for _ in range(2):
        page = reader.data(PRODUCT, {"slug": shop.vase.slug})["product"]
        in_stock = reader.data(PRODUCTS, {"first": 10, "filter": {"inStock": True}})
    assert page["variants"]["edges"][0]["node"]["stockQuantity"] == 1 and len(in_stock["products"]["edges"]) == 2
    method = make_shipping_method(shop.designer)
    buyer = Buyer(gql)
    variant = ProductVariant.objects.get(product=shop.vase)
    with django_capture_on_commit_callbacks(execute=True):
        token = buyer.ready([(variant, 1)], methods=[method])
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer.complete(token)["purchase"]["status"] == "PAID"
    node = reader.data(PRODUCT, {"slug": shop.vase.slug}, expect="MISS")["product"]["variants"]["edges"][0]["node"]
    assert (node["stockQuantity"], node["inStock"]) == (0, False)
    assert _names(reader.data(PRODUCTS, {"first": 10, "filter": {"inStock": True}}, expect="MISS")) == [
        "Bát gốm men rạn"
    ]
    # a staff cancellation puts the stock back, and that shows too
    order = Order.objects.get()
    from shop.orders import lifecycle as order_lifecycle

    staff_user = make_user(staff=True)
    reader.data(PRODUCT, {"slug": shop.vase.slug}, expect="HIT")
    _write(
        django_capture_on_commit_callbacks,
        order_lifecycle.cancel_order,
        order_id=order.pk,
        actor=staff_user,
        reason="Hết hàng",
    )
    node = reader.data(PRODUCT, {"slug": shop.vase.slug}, expect="MISS")["product"]["variants"]["edges"][0]["node"]
    assert (node["stockQuantity"], node["inStock"]) == (1, True)


# --- nothing personal ---------------------------------------------------------------------------


def test_signed_in_requests_are_never_answered_from_nor_put_in_the_cache(shop, django_capture_on_commit_callbacks):
    draft = product(shop.designer, name="Bản nháp", publish=False)
    anonymous, owner = Reader(), Reader(user=shop.designer.user)
    query = "query($slug: String!) { product(slug: $slug) { name status isHidden } }"
    assert anonymous.data(query, {"slug": draft.slug})["product"] is None
    assert anonymous.data(query, {"slug": draft.slug}, expect="HIT")["product"] is None
    mine = owner.post(query, {"slug": draft.slug})
    assert mine.json()["data"]["product"] == {"name": "Bản nháp", "status": "DRAFT", "isHidden": False}
    assert "X-Cache" not in mine and mine["Cache-Control"] == "private, no-store" and "ETag" not in mine
    assert "X-Cache" not in owner.post(query, {"slug": draft.slug})
    # the owner's answer was not stored for anyone else
    assert anonymous.data(query, {"slug": draft.slug}, expect="HIT")["product"] is None
    # an invalid token is refused, never served from the cache
    assert Reader(headers={"Authorization": "Bearer nope"}).post(PRODUCTS, {"first": 10}).status_code == 401


def test_only_public_storefront_reads_are_cached(shop):
    reader = Reader()
    for query in (
        "{ paymentGateways { id } }",  # not a storefront read
        "{ products(first: 5) { edges { node { name } } } me { email } }",  # a personal field beside it
        "query($t: UUID!) { checkout(token: $t) { email } }",
    ):
        variables = {"t": str(uuid.uuid4())} if "$t" in query else {}
        for _ in range(2):
            response = reader.post(query, variables)
            assert "X-Cache" not in response and response["Cache-Control"] == "private, no-store", query
    # errors are not cached
    broken = '{ products(first: 5, after: "garbage") { edges { node { name } } } }'
    for _ in range(2):
        response = reader.post(broken)
        assert response.json()["errors"] and "X-Cache" not in response


def test_a_response_showing_an_unregistered_model_is_never_stored():
    dependencies = readcache.Dependencies()
    dependencies.record(Order(number="RM1"))
    assert dependencies.cacheable is False
    found = readcache.Lookup("rc:test", None, "token")
    assert readcache.store(found, b"{}", dependencies) is None
    assert readcache.lookup("rc:test").hit is None


# --- the reader/writer race ----------------------------------------------------------------------


def test_an_answer_computed_while_a_write_committed_is_never_stored(shop, django_capture_on_commit_callbacks):
    reader = Reader()
    reader.data(PRODUCTS, {"first": 10})  # gives g:all a token
    key = readcache.entry_key(document_hash="d", variables={}, operation_name=None, language="vi", base="http://x/")
    found = readcache.lookup(key)
    assert found.hit is None and found.all_token is not None
    dependencies = readcache.Dependencies({f"product:{shop.bowl.pk}"})
    with django_capture_on_commit_callbacks(execute=True):
        readcache.bump(f"product:{shop.vase.pk}")  # another product, committed while the answer was computed
    readcache.store(found, b'{"data": 1}', dependencies)
    assert readcache.lookup(key).hit is None  # g:all moved: not stored
    found = readcache.lookup(key)
    readcache.store(found, b'{"data": 2}', dependencies)
    assert readcache.lookup(key).hit.body == b'{"data": 2}'
    with django_capture_on_commit_callbacks(execute=True):
        readcache.bump(f"product:{shop.bowl.pk}")
    assert readcache.lookup(key).hit is None


# --- persisted queries, GET, ETag -----------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _persisted(document: str, variables: dict, name: str = "Products") -> dict:
    return {
        "operationName": name,
        "variables": json.dumps(variables),
        "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": _sha(document)}}),
    }


def test_shipped_operations_can_be_sent_by_hash_with_get_and_etag(shop):
    reader = Reader()
    params = _persisted(PRODUCTS, {"first": 10})
    first = reader.get(params)
    assert first.status_code == 200 and first["X-Cache"] == "MISS" and first.json()["data"]["products"]["edges"]
    again = reader.get(params)
    assert again["X-Cache"] == "HIT" and again.content == first.content
    not_modified = reader.get(params, **{"If-None-Match": first["ETag"]})
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified["ETag"] == first["ETag"]
    assert reader.get(params, **{"If-None-Match": '"stale"'}).status_code == 200
    # the same operation by POST with its text is the same entry
    assert reader.post(PRODUCTS, {"first": 10})["X-Cache"] == "HIT"


def test_apq_registers_unknown_documents_and_refuses_wrong_hashes(shop, settings):
    reader = Reader()
    document = "query Few { products(first: 2) { edges { node { slug } } } }"
    params = _persisted(document, {}, "Few")
    missing = reader.get(params).json()
    assert missing["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = reader.get({**params, "query": document})
    assert registered.status_code == 200 and len(registered.json()["data"]["products"]["edges"]) == 2
    assert reader.get(params).json()["data"] == registered.json()["data"]
    wrong = reader.get({**params, "query": document + " "})
    assert (
        wrong.status_code == 400 and wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    )
    for bad in ({"version": 2, "sha256Hash": _sha(document)}, {"version": 1, "sha256Hash": "xyz"}, "nope"):
        response = reader.get({**params, "extensions": json.dumps({"persistedQuery": bad})})
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_INVALID"
    settings.GRAPHQL_PERSISTED_QUERIES = "known"
    other = "query Fewer { products(first: 1) { edges { node { slug } } } }"
    assert reader.get({**_persisted(other, {}, "Fewer"), "query": other}).status_code == 200
    assert (
        reader.get(_persisted(other, {}, "Fewer")).json()["errors"][0]["extensions"]["code"]
        == "PERSISTED_QUERY_NOT_FOUND"
    )
    mutation = "mutation { tokensDeactivateAll { errors { code } } }"
    assert reader.get({"query": mutation}).status_code == 405


# --- on a real Redis ----------------------------------------------------------------------------

REDIS_URL = os.environ.get("TEST_CACHE_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_cache(settings):
    if not reachable(REDIS_URL):
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-rc-{uuid.uuid4().hex[:8]}",
        },
    }
    readcache.reset_stores()
    yield caches["default"]
    client = caches["default"]._cache.get_client(write=True)
    for key in client.scan_iter(match=caches["default"].make_key("*")):
        client.delete(key)
    readcache.reset_stores()


def test_the_cache_works_the_same_on_redis(shop, redis_cache, django_capture_on_commit_callbacks):
    reader = Reader()
    assert reader.post(PRODUCTS, {"first": 10})["X-Cache"] == "MISS"
    hit = reader.post(PRODUCTS, {"first": 10})
    assert hit["X-Cache"] == "HIT" and len(hit.json()["data"]["products"]["edges"]) == 2
    _write(
        django_capture_on_commit_callbacks,
        update_variant,
        actor=shop.designer.user,
        variant_id=ProductVariant.objects.get(product=shop.bowl).pk,
        price=Decimal("111000"),
    )
    listed = reader.data(PRODUCTS, {"first": 10}, expect="MISS")
    assert (
        next(e["node"] for e in listed["products"]["edges"] if e["node"]["slug"] == shop.bowl.slug)["minPrice"][
            "amount"
        ]
        == "111000"
    )
    # an evicted generation key only ever causes a miss
    client = redis_cache._cache.get_client(write=True)
    reader.data(PRODUCTS, {"first": 10}, expect="HIT")
    client.delete(redis_cache.make_key(f"g:product:{shop.bowl.pk}"))
    reader.data(PRODUCTS, {"first": 10}, expect="MISS")
    # Redis down: answers are computed as if nothing were cached
    settings_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
    from django.test.utils import override_settings

    with override_settings(
        CACHES={"default": settings_cache, "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ):
        readcache.reset_stores()
        response = reader.post(PRODUCTS, {"first": 10})
        assert (
            response.status_code == 200
            and "X-Cache" not in response
            and len(response.json()["data"]["products"]["edges"]) == 2
        )
    readcache.reset_stores()
