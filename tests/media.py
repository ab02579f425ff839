"""Real files for upload tests, made with Pillow and the standard library (no binary fixtures), and
GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec) over
Django's test client."""

from __future__ import annotations

import io
import json
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from shop.accounts.tokens import create_access_token

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (21.0, 1.0, 42.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (105.0, 51.0, 12.0),
}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="21,1.7N"/></rdf:RDF></x:xmpmeta>'
)


def image_bytes(fmt: str = "JPEG", size=(120, 80), color=(180, 40, 60), mode: str = "RGB", **save) -> bytes:
    image = Image.new(mode, size, color)
    # some structure, so that encoders do real work and thumbnails differ from a flat colour
    for x in range(0, size[0], 7):
        for y in range(0, size[1], 5):
            if (x + y) % 3 == 0 and mode in ("RGB", "RGBA"):
                image.putpixel((x, y), (20, 120, 200) + ((255,) if mode == "RGBA" else ()))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def photo_with_gps(fmt: str = "JPEG", size=(160, 120)) -> bytes:
    """A photo carrying EXIF (camera, GPS position, orientation 6 = rotated) and XMP."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.GPSInfo] = GPS
    extra = {"xmp": XMP} if fmt in ("JPEG", "WEBP") else {}
    return image_bytes(fmt, size=size, exif=exif, **extra)


def png_pixels(width: int, height: int) -> bytes:
    """A tiny file (bi-level PNG) that decodes to width × height pixels: a decompression bomb."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in (files or {"readme.txt": b"hello"}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (240, 240, 240)).save(buffer, format="PDF")
    return buffer.getvalue()


def ttf_bytes() -> bytes:
    """A real TrueType font: the one Pillow embeds as its default font."""
    from PIL import ImageFont

    return ImageFont.load_default(size=12).font_bytes


def otf_bytes() -> bytes:
    """The start of an OpenType (CFF) font: the sniffer looks at the signature only."""
    return b"OTTO" + b"\x00\x0a\x00\x80\x00\x03\x00\x20" + b"\x00" * 200


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


def multipart(
    query: str, variables: dict, files: dict[str, tuple[str, bytes, str]], *, user=None, headers=None
) -> dict:
    """POST a GraphQL multipart request. ``files`` maps a variables path (``variables.image``,
    ``variables.input.digitalFile``) to (file name, content, content type); the matching variable
    is sent as null and filled from the file part, as the spec says."""
    variables = json.loads(json.dumps(variables))
    file_map, body = {}, {}
    for index, (path, (name, content, content_type)) in enumerate(files.items()):
        key = str(index)
        file_map[key] = [path]
        target = variables
        parts = path.split(".")[1:]
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = None
        body[key] = SimpleUploadedFile(name, content, content_type=content_type)
    body = {"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(file_map), **body}
    extra = dict(headers or {})
    if user is not None:
        extra["Authorization"] = f"Bearer {create_access_token(user)}"
    response = Client(raise_request_exception=False).post("/graphql/", data=body, headers=extra)
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    data = response.json()
    data["_status"] = response.status_code
    return data
