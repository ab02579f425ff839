"""Portfolios: a designer's work, shown apart from what it sells, with images through the shared
image pipeline."""

import io

import pytest
from django.core.files.storage import default_storage
from graphql_relay import from_global_id, to_global_id
from PIL import Image

from designers.models import PortfolioImage, PortfolioItem
from tests.catalog.helpers import gid, isolated_storage
from tests.factories import make_designer, make_user, product
from tests.media import SVG, image_bytes, multipart, photo_with_gps
from tests.support import load_operation

CREATE = load_operation("designer/PortfolioItemCreate.graphql")
UPDATE = load_operation("designer/PortfolioItemUpdate.graphql")
DELETE = load_operation("designer/PortfolioItemDelete.graphql")
REORDER = load_operation("designer/PortfolioItemReorder.graphql")
IMAGE_CREATE = load_operation("designer/PortfolioImageCreate.graphql")
IMAGE_REORDER = load_operation("designer/PortfolioImageReorder.graphql")
IMAGE_DELETE = load_operation("designer/PortfolioImageDelete.graphql")
MY_PORTFOLIO = load_operation("designer/MyPortfolio.graphql")
DESIGNER_PAGE = load_operation("storefront/DesignerPage.graphql")


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path):
    return isolated_storage(settings, tmp_path)


def create(gql, user, **input):
    return gql(CREATE, {"input": {"title": "Bộ sưu tập Thu Hà Nội", **input}}, user=user)["data"]["portfolioItemCreate"]


def add_image(user, item_id, content=None, name="work.jpg", content_type="image/jpeg", alt="Ảnh"):
    return multipart(
        IMAGE_CREATE,
        {"itemId": item_id, "alt": alt},
        {"variables.image": (name, content or image_bytes(), content_type)},
        user=user,
    )["data"]["portfolioImageCreate"]


def test_designer_builds_a_portfolio_shown_on_its_public_page(gql):
    designer = make_designer(display_name="Trần Thùy Linh")
    live = product(designer, name="Áo dài lụa Hà Đông")
    draft = product(designer, name="Áo dài chưa bán", publish=False)
    result = create(
        gql,
        designer.user,
        description="Mười hai mẫu áo dài vẽ tay.",
        year=2025,
        role="Thiết kế & vẽ lụa",
        tags=["Áo dài", "lụa"],
        products=[gid(live), gid(draft)],
    )
    assert result["errors"] == []
    item = result["portfolioItem"]
    assert (item["year"], item["role"], item["tags"], item["position"]) == (
        2025,
        "Thiết kế & vẽ lụa",
        ["áo dài", "lụa"],
        0,
    )
    assert {e["node"]["slug"] for e in item["products"]["edges"]} == {live.slug, draft.slug}  # the owner sees both
    image = add_image(designer.user, item["id"], photo_with_gps(), alt="Áo dài đỏ")
    assert image["errors"] == [] and image["portfolioItem"]["images"]["totalCount"] == 1
    stored = PortfolioImage.objects.get()
    assert stored.image.name.startswith("portfolio/")
    with default_storage.open(stored.image.name) as handle:
        data = handle.read()
    assert b"Exif" not in data and b"PhoneCam" not in data and dict(Image.open(io.BytesIO(data)).getexif()) == {}

    second = create(gql, designer.user, title="Poster Tết", year=2024)["portfolioItem"]
    page = gql(DESIGNER_PAGE, {"slug": designer.slug})["data"]["designer"]
    portfolio = page["portfolio"]
    assert portfolio["totalCount"] == 2
    assert [e["node"]["title"] for e in portfolio["edges"]] == ["Bộ sưu tập Thu Hà Nội", "Poster Tết"]
    first = portfolio["edges"][0]["node"]
    assert [e["node"]["slug"] for e in first["products"]["edges"]] == [live.slug]  # the public: published only
    assert first["images"]["edges"][0]["node"]["alt"] == "Áo dài đỏ"
    assert first["images"]["edges"][0]["node"]["thumbnail"] == first["images"]["edges"][0]["node"]["url"]
    assert second["id"]


def test_portfolio_of_an_unapproved_designer_is_not_public(gql):
    pending = make_designer(status="PENDING")
    item = create(gql, pending.user)["portfolioItem"]
    node = "query($id: ID!){ node(id: $id) { id } }"
    assert gql(node, {"id": item["id"]})["data"]["node"] is None
    assert gql(node, {"id": item["id"]}, user=pending.user)["data"]["node"]["id"] == item["id"]
    mine = gql(MY_PORTFOLIO, {}, user=pending.user)["data"]["myDesigner"]["portfolio"]
    assert mine["totalCount"] == 1


@pytest.mark.parametrize(
    "input, field, code",
    [
        ({"title": ""}, "title", "REQUIRED"),
        ({"title": "x" * 201}, "title", "INVALID"),
        ({"year": 1800}, "year", "INVALID"),
        ({"year": 3000}, "year", "INVALID"),
        ({"role": "x" * 201}, "role", "INVALID"),
        ({"description": "x" * 5001}, "description", "INVALID"),
        ({"tags": ["x" * 41]}, "tags", "INVALID"),
        ({"products": [to_global_id("Product", 10**9)]}, "products", "NOT_FOUND"),
        ({"products": ["garbage"]}, "products", "NOT_FOUND"),
    ],
)
def test_bad_portfolio_input_writes_nothing(gql, db_unchanged, input, field, code):
    designer = make_designer()
    with db_unchanged():
        result = create(gql, designer.user, **input)
    assert result["portfolioItem"] is None
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)


def test_update_reorder_and_delete(gql, db_unchanged, media_storage, django_capture_on_commit_callbacks):
    designer = make_designer()
    shirt = product(designer, name="Áo")
    ids = [create(gql, designer.user, title=f"Dự án {n}", year=2020 + n)["portfolioItem"]["id"] for n in range(3)]
    updated = gql(
        UPDATE,
        {"id": ids[0], "input": {"year": None, "products": [gid(shirt)], "title": "Dự án đầu"}},
        user=designer.user,
    )
    updated = updated["data"]["portfolioItemUpdate"]["portfolioItem"]
    assert updated["year"] is None and updated["title"] == "Dự án đầu" and len(updated["products"]["edges"]) == 1

    reordered = gql(REORDER, {"itemIds": [ids[2], ids[0], ids[1]]}, user=designer.user)["data"]["portfolioItemReorder"]
    assert reordered["errors"] == []
    assert [(i["id"], i["position"]) for i in reordered["portfolioItems"]] == [(ids[2], 0), (ids[0], 1), (ids[1], 2)]
    with db_unchanged():
        partial = gql(REORDER, {"itemIds": ids[:2]}, user=designer.user)["data"]["portfolioItemReorder"]
        repeated = gql(REORDER, {"itemIds": [ids[0], ids[0], ids[1]]}, user=designer.user)["data"][
            "portfolioItemReorder"
        ]
        empty = gql(REORDER, {"itemIds": []}, user=designer.user)["data"]["portfolioItemReorder"]
    for result in (partial, repeated, empty):
        assert result["errors"][0]["code"] == "INVALID" and result["portfolioItems"] == []

    images = [
        add_image(
            designer.user, ids[0], image_bytes("PNG", color=(n * 60, 0, 0)), name="a.png", content_type="image/png"
        )["image"]["id"]
        for n in range(3)
    ]
    order = gql(IMAGE_REORDER, {"itemId": ids[0], "imageIds": images[::-1]}, user=designer.user)["data"][
        "portfolioImageReorder"
    ]
    assert [e["node"]["id"] for e in order["portfolioItem"]["images"]["edges"]] == images[::-1]
    one = PortfolioImage.objects.get(pk=from_global_id(images[0])[1])
    one_path = media_storage["media"] / one.image.name
    with django_capture_on_commit_callbacks(execute=True):
        gone = gql(IMAGE_DELETE, {"id": images[0]}, user=designer.user)["data"]["portfolioImageDelete"]
    assert gone["errors"] == [] and gone["portfolioItem"]["images"]["totalCount"] == 2 and not one_path.exists()

    paths = [media_storage["media"] / r.image.name for r in PortfolioImage.objects.all()]
    assert all(p.exists() for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = gql(DELETE, {"id": ids[0]}, user=designer.user)["data"]["portfolioItemDelete"]
    assert deleted["errors"] == [] and deleted["portfolioItem"]["title"] == "Dự án đầu"
    assert not any(p.exists() for p in paths) and PortfolioImage.objects.count() == 0
    assert PortfolioItem.objects.count() == 2 and shirt.pk  # the linked product stays


def test_bad_portfolio_images_are_refused(gql, db_unchanged, media_storage):
    designer = make_designer()
    item = create(gql, designer.user)["portfolioItem"]
    with db_unchanged():
        svg = add_image(designer.user, item["id"], SVG, name="logo.svg", content_type="image/svg+xml")
        text = add_image(designer.user, item["id"], b"hello", name="x.jpg")
    assert svg["errors"][0]["code"] == "UNSUPPORTED_FORMAT" and text["errors"][0]["code"] == "NOT_AN_IMAGE"
    assert not any(p.is_file() for p in media_storage["media"].rglob("*"))


def test_only_designers_have_a_portfolio(gql, db_unchanged):
    buyer = make_user()
    with db_unchanged():
        for user in (None, buyer):
            result = gql(CREATE, {"input": {"title": "X"}}, user=user)
            assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
            result = gql(REORDER, {"itemIds": ["garbage"]}, user=user)
            assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
