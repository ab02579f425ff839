"""Product images over the GraphQL multipart request spec, and the shared image pipeline."""

import io

import pytest
from django.core.files.storage import default_storage
from graphql_relay import from_global_id
from PIL import Image

from shop.catalog.models import ProductMedia
from shop.catalog.services.media import add_product_media
from shop.core.errors import ServiceError
from shop.core.images import process_image_bytes, thumbnail_name
from tests.catalog.helpers import gid
from tests.factories import make_designer, product
from tests.media import EPS, HTML, SVG, image_bytes, multipart, pdf_bytes, photo_with_gps, png_pixels, zip_bytes
from tests.support import load_operation

MEDIA_CREATE = load_operation("designer/ProductMediaCreate.graphql")
MEDIA_REORDER = load_operation("designer/ProductMediaReorder.graphql")
MEDIA_DELETE = load_operation("designer/ProductMediaDelete.graphql")


def upload(user, product_id, content, name="photo.jpg", content_type="image/jpeg", alt="Áo dài đỏ"):
    return multipart(
        MEDIA_CREATE,
        {"productId": product_id, "alt": alt},
        {"variables.image": (name, content, content_type)},
        user=user,
    )


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_upload_is_decoded_reencoded_and_stripped_of_exif_and_gps(gql, media_storage):
    designer = make_designer()
    item = product(designer)
    original = photo_with_gps("JPEG", size=(160, 120))
    assert b"PhoneCam" in original and b"xmpmeta" in original  # the test photo does carry metadata
    result = upload(designer.user, gid(item), original, name="IMG_2041 (Hồ Gươm).jpg")
    assert result["_status"] == 200, result
    payload = result["data"]["productMediaCreate"]
    assert payload["errors"] == []
    media = payload["media"]
    assert media["alt"] == "Áo dài đỏ" and media["position"] == 0
    assert (media["width"], media["height"]) == (120, 160)  # EXIF orientation applied before stripping
    assert media["url"].startswith("http://testserver/media/products/") and media["url"].endswith(".jpg")
    assert "Hồ Gươm" not in media["url"] and "IMG_2041" not in media["url"]  # random names
    # no thumbnail yet (the task runs after commit): the original is returned
    assert media["thumbnail"] == media["url"]
    assert payload["product"]["thumbnail"] == media["url"]

    row = ProductMedia.objects.get()
    with default_storage.open(row.image.name) as handle:
        stored = handle.read()
    assert stored != original
    for marker in (b"Exif", b"PhoneCam", b"xmpmeta", b"GPS"):
        assert marker not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and dict(image.getexif()) == {} and image.getexif().get_ifd(0x8825) == {}
    assert (media_storage["media"] / row.image.name).exists()


@pytest.mark.parametrize("fmt, content_type", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_are_accepted_and_stay_in_their_format(gql, fmt, content_type):
    designer = make_designer()
    item = product(designer)
    result = upload(designer.user, gid(item), photo_with_gps(fmt), name=f"x.{fmt.lower()}", content_type=content_type)
    media = result["data"]["productMediaCreate"]["media"]
    row = ProductMedia.objects.get()
    assert media["url"].endswith(".png" if fmt == "PNG" else ".webp")
    with default_storage.open(row.image.name) as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        assert stored.format == fmt and dict(stored.getexif()) == {} and "xmp" not in stored.info


def _bad_uploads():
    jpeg, png, webp = image_bytes("JPEG"), image_bytes("PNG"), image_bytes("WEBP")
    return [
        ("notes.jpg", b"Just some text, not an image at all.", "NOT_AN_IMAGE"),
        ("empty.jpg", b"", "NOT_AN_IMAGE"),
        ("page.jpg", HTML, "NOT_AN_IMAGE"),
        ("archive.jpg", zip_bytes(), "NOT_AN_IMAGE"),
        ("doc.jpg", pdf_bytes(), "NOT_AN_IMAGE"),
        ("logo.svg", SVG, "UNSUPPORTED_FORMAT"),
        ("logo.jpg", SVG, "UNSUPPORTED_FORMAT"),  # a lying name changes nothing
        ("print.eps", EPS, "UNSUPPORTED_FORMAT"),
        ("anim.gif", image_bytes("GIF", mode="P", color=3), "UNSUPPORTED_FORMAT"),
        ("scan.bmp", image_bytes("BMP"), "UNSUPPORTED_FORMAT"),
        ("scan.tiff", image_bytes("TIFF"), "UNSUPPORTED_FORMAT"),
        ("half.jpg", jpeg[: len(jpeg) // 2], "CORRUPT_IMAGE"),
        ("half.png", png[: len(png) - 40], "CORRUPT_IMAGE"),
        ("half.webp", webp[: len(webp) - 20], "CORRUPT_IMAGE"),
        ("fake.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "CORRUPT_IMAGE"),
        ("polyglot.jpg", jpeg + zip_bytes({"payload.html": HTML}), "TRAILING_DATA"),
        ("polyglot.png", png + HTML, "TRAILING_DATA"),
        ("polyglot.webp", webp + zip_bytes(), "TRAILING_DATA"),
        ("bomb.png", png_pixels(10_000, 10_000), "TOO_MANY_PIXELS"),  # 100 MP in ~12 KB
        ("big.png", png_pixels(7_000, 6_000), "TOO_MANY_PIXELS"),  # 42 MP: over our 40 MP limit
    ]


@pytest.mark.parametrize("name, content, code", _bad_uploads(), ids=[b[0] for b in _bad_uploads()])
def test_bad_uploads_are_refused_with_a_code_and_nothing_is_stored(
    gql, db_unchanged, media_storage, name, content, code
):
    designer = make_designer()
    item = product(designer)
    with db_unchanged():
        result = upload(designer.user, gid(item), content, name=name)
    payload = result["data"]["productMediaCreate"]
    assert payload["media"] is None
    assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == ("image", code)
    assert payload["errors"][0]["message"]
    assert stored_files(media_storage["media"]) == []


def test_files_over_10_mb_are_refused(gql, db_unchanged, media_storage):
    designer = make_designer()
    item = product(designer)
    jpeg = image_bytes("JPEG")
    too_big = jpeg + b"\x00" * (10 * 1024 * 1024 + 1 - len(jpeg))
    with db_unchanged():
        payload = upload(designer.user, gid(item), too_big)["data"]["productMediaCreate"]
    assert payload["errors"][0]["code"] == "FILE_TOO_LARGE"
    assert stored_files(media_storage["media"]) == []


def test_payloads_hidden_inside_an_image_are_not_stored():
    """A ZIP or page hidden *inside* a valid image (a comment, a text chunk) is accepted as an image
    but never reaches storage: only re-encoded pixels are stored."""
    hidden = zip_bytes({"x.html": HTML})
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="JPEG", comment=hidden)
    assert hidden in buffer.getvalue()
    clean = process_image_bytes(buffer.getvalue())
    assert hidden not in clean.content and b"PK\x03\x04" not in clean.content

    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", HTML.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, format="PNG", pnginfo=info)
    assert b"<script>" in buffer.getvalue()
    assert b"<script>" not in process_image_bytes(buffer.getvalue()).content


def test_pixel_limit_is_a_setting(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ServiceError) as refused:
        process_image_bytes(image_bytes("PNG", size=(101, 100)))
    assert refused.value.errors[0].code == "TOO_MANY_PIXELS"
    assert process_image_bytes(image_bytes("PNG", size=(100, 100))).width == 100


def test_reorder_and_delete_media(gql, db_unchanged, media_storage, django_capture_on_commit_callbacks):
    designer = make_designer()
    item = product(designer)
    ids = [
        upload(designer.user, gid(item), image_bytes("JPEG", color=c))["data"]["productMediaCreate"]["media"]["id"]
        for c in ((200, 0, 0), (0, 200, 0), (0, 0, 200))
    ]
    reordered = gql(MEDIA_REORDER, {"productId": gid(item), "mediaIds": [ids[2], ids[0], ids[1]]}, user=designer.user)
    edges = reordered["data"]["productMediaReorder"]["product"]["media"]["edges"]
    assert [e["node"]["id"] for e in edges] == [ids[2], ids[0], ids[1]]
    with db_unchanged():
        missing_one = gql(MEDIA_REORDER, {"productId": gid(item), "mediaIds": ids[:2]}, user=designer.user)
        duplicated = gql(
            MEDIA_REORDER, {"productId": gid(item), "mediaIds": [ids[0], ids[0], ids[1]]}, user=designer.user
        )
    for result in (missing_one, duplicated):
        assert result["data"]["productMediaReorder"]["errors"][0]["code"] == "INVALID"

    row = ProductMedia.objects.get(pk=from_global_id(ids[0])[1])
    path = media_storage["media"] / row.image.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        deleted = gql(MEDIA_DELETE, {"id": ids[0]}, user=designer.user)["data"]["productMediaDelete"]
    assert deleted["errors"] == [] and deleted["product"]["media"]["totalCount"] == 2
    assert not path.exists()


def test_thumbnail_picks_the_nearest_ready_size():
    ready = {"256": "t256.webp", "512": "t512.webp", "1024": "t1024.webp"}
    assert thumbnail_name(ready, 100) == "t256.webp"
    assert thumbnail_name(ready, 256) == "t256.webp"
    assert thumbnail_name(ready, 300) == "t512.webp"
    assert thumbnail_name(ready, 4000) == "t1024.webp"
    assert thumbnail_name({"512": "t512.webp"}, 100) == "t512.webp"
    assert thumbnail_name({}, 256) is None and thumbnail_name(None, 256) is None


def test_an_upload_must_be_a_file_part(gql, db_unchanged):
    designer = make_designer()
    item = product(designer)
    with db_unchanged():
        result = gql(
            MEDIA_CREATE, {"productId": gid(item), "image": "data:image/png;base64,iVBORw0KGgo="}, user=designer.user
        )
    assert result["_status"] == 400 and "multipart" in result["errors"][0]["message"]


def test_a_product_has_at_most_20_images(gql, db_unchanged, media_storage):
    from django.core.files.uploadedfile import SimpleUploadedFile

    designer = make_designer()
    item = product(designer)
    small = image_bytes("PNG", size=(8, 8))
    for _ in range(20):
        add_product_media(
            actor=designer.user, product_id=item.pk, image=SimpleUploadedFile("a.png", small, "image/png")
        )
    stored = stored_files(media_storage["media"])
    with db_unchanged():
        payload = upload(designer.user, gid(item), small, name="21.png", content_type="image/png")["data"][
            "productMediaCreate"
        ]
    assert payload["errors"][0]["code"] == "LIMIT_REACHED"
    assert stored_files(media_storage["media"]) == stored
