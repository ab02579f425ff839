"""The image pipeline shared by product media and portfolio images.

An upload is accepted only when Pillow decodes all of it as JPEG, PNG or WebP, within the byte and
pixel limits, and nothing follows the end of the image (no appended archive or page: polyglots).
What is stored is a fresh encoding of the decoded pixels (EXIF orientation applied, colours moved
to sRGB), so EXIF/GPS/XMP/comments never reach storage. Names are random.

Thumbnails (WebP, ``settings.THUMBNAIL_SIZES``) are made by ``shop.core.tasks.make_thumbnails``
after commit; :func:`thumbnail_name` picks the nearest ready one.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.functional import empty
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from shop.core.errors import ImageErrorCode, ServiceError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Bytes after the end of the image that are tolerated (some encoders pad with zeros/newlines).
MAX_PADDING = 1024

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def max_pixels() -> int:
    return int(settings.IMAGE_MAX_PIXELS)


def configure_pillow() -> None:
    """Pillow only *warns* above ``MAX_IMAGE_PIXELS`` (and fails at twice that): set our limit and
    make the warning an error, process-wide. :func:`process_image` also checks the size itself
    before decoding, so the limit holds even where warning filters are reset (test runners)."""
    Image.MAX_IMAGE_PIXELS = max_pixels()
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


configure_pillow()


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def as_file(self) -> ContentFile:
        return ContentFile(self.content, name=f"image.{self.extension}")


# --- recognising what was sent -----------------------------------------------------------------


def sniff_format(head: bytes) -> str | None:
    """The accepted format the bytes start with, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(PNG_SIGNATURE):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _other_image_kind(head: bytes) -> str | None:
    """Name of a recognised image format we do not accept (for a clear message)."""
    text = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text) or b"<svg" in text[:512]:
        return "SVG"
    if head.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return "EPS"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"BM") and len(head) > 14:
        return "BMP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc", b"avif", b"avis"):
        return "HEIC/AVIF"
    if head.startswith(b"8BPS"):
        return "PSD"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ICO"
    if head.startswith((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51")):
        return "JPEG 2000"
    return None


# --- where the image ends (to find appended data) ----------------------------------------------


def _png_end(data: bytes) -> int | None:
    n = len(data)
    i = len(PNG_SIGNATURE)
    while i + 12 <= n:
        length = int.from_bytes(data[i : i + 4], "big")
        chunk_type = data[i + 4 : i + 8]
        i += 12 + length
        if chunk_type == b"IEND":
            return i if i <= n else None
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Offset just past the EOI marker, walking segments and entropy-coded scans."""
    n = len(data)
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # stand-alone markers
            continue
        if i + 2 > n:
            return None
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2:
            return None
        i += length
        if marker == 0xDA:  # start of scan: skip entropy-coded data up to the next real marker
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    return None
                following = data[j + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    i = j + 2
                elif following == 0xFF:
                    i = j + 1
                else:
                    i = j
                    break
    return None


def _webp_end(data: bytes) -> int | None:
    size = int.from_bytes(data[4:8], "little")
    end = 8 + size + (size & 1)
    return end if end <= len(data) else None


def image_end(data: bytes, fmt: str) -> int | None:
    return {"PNG": _png_end, "JPEG": _jpeg_end, "WEBP": _webp_end}[fmt](data)


# --- the pipeline ------------------------------------------------------------------------------


def _refuse(code: ImageErrorCode, message: str, field: str) -> ServiceError:
    return ServiceError(code, message, field)


def read_upload(upload, *, max_bytes: int, field: str) -> bytes:
    too_large = _("The file is larger than %(mb)s MB.") % {"mb": _megabytes(max_bytes)}
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _refuse(ImageErrorCode.FILE_TOO_LARGE, too_large, field)
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(ImageErrorCode.FILE_TOO_LARGE, too_large, field)
    return data


def _megabytes(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:g}"


def process_image(upload, *, field: str = "image") -> ProcessedImage:
    """Validate an uploaded image and return a clean re-encoding of it, or raise a coded
    :class:`ServiceError` (``shop.core.errors.ImageErrorCode``)."""
    data = read_upload(upload, max_bytes=int(settings.IMAGE_MAX_BYTES), field=field)
    return process_image_bytes(data, field=field)


def process_image_bytes(data: bytes, *, field: str = "image") -> ProcessedImage:
    if not data:
        raise _refuse(ImageErrorCode.NOT_AN_IMAGE, _("The file is empty."), field)
    fmt = sniff_format(data[:16])
    if fmt is None:
        other = _other_image_kind(data[:2048])
        if other is not None:
            raise _refuse(
                ImageErrorCode.UNSUPPORTED_FORMAT,
                _("%(kind)s images are not accepted; upload a JPEG, PNG or WebP image.") % {"kind": other},
                field,
            )
        raise _refuse(
            ImageErrorCode.NOT_AN_IMAGE, _("The file is not an image; upload a JPEG, PNG or WebP image."), field
        )

    corrupt = _("The image is truncated or damaged.")
    too_big = _("The image has more than %(mp)d megapixels.") % {"mp": max_pixels() // 1_000_000}
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(ImageErrorCode.TOO_MANY_PIXELS, too_big, field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(ImageErrorCode.CORRUPT_IMAGE, corrupt, field)
    width, height = image.size
    if width < 1 or height < 1:
        raise _refuse(ImageErrorCode.CORRUPT_IMAGE, corrupt, field)
    if width * height > max_pixels():
        raise _refuse(ImageErrorCode.TOO_MANY_PIXELS, too_big, field)

    end = image_end(data, fmt)
    if end is None:
        raise _refuse(ImageErrorCode.CORRUPT_IMAGE, corrupt, field)
    trailing = data[end:]
    if trailing and (len(trailing) > MAX_PADDING or trailing.strip(b"\x00\r\n\t ")):
        raise _refuse(
            ImageErrorCode.TRAILING_DATA,
            _(
                "The file has extra data after the end of the image (a hidden file or a motion-photo video); "
                "export it again as a plain JPEG, PNG or WebP image."
            ),
            field,
        )

    try:
        image.load()
        image = ImageOps.exif_transpose(image) or image
        output = _reencode(image, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(ImageErrorCode.TOO_MANY_PIXELS, too_big, field)
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, ZeroDivisionError):
        raise _refuse(ImageErrorCode.CORRUPT_IMAGE, corrupt, field)
    finally:
        image.close()
    return output


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _normalise_mode(image: Image.Image, fmt: str) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if fmt == "JPEG":
        if image.mode in ("L", "RGB"):
            return image
        if image.mode == "CMYK":
            return image.convert("RGB")
        if has_alpha:
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            return background
        return image.convert("RGB")
    if fmt == "PNG" and image.mode in ("1", "L", "LA", "RGB", "RGBA", "P"):
        return image
    return image.convert("RGBA" if has_alpha else "RGB")


def _reencode(image: Image.Image, fmt: str) -> ProcessedImage:
    image = _to_srgb(image)
    image = _normalise_mode(image, fmt)
    clean = image.copy()
    clean.info = (
        {"transparency": image.info["transparency"]} if image.mode == "P" and "transparency" in image.info else {}
    )
    buffer = io.BytesIO()
    if fmt == "JPEG":
        clean.save(buffer, format="JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        clean.save(
            buffer,
            format="PNG",
            **({"transparency": clean.info["transparency"]} if "transparency" in clean.info else {}),
        )
    else:
        clean.save(buffer, format="WEBP", quality=88, method=4)
    return ProcessedImage(content=buffer.getvalue(), format=fmt, width=clean.width, height=clean.height)


# --- thumbnails --------------------------------------------------------------------------------


def thumbnail_sizes() -> tuple[int, ...]:
    return tuple(sorted(int(s) for s in settings.THUMBNAIL_SIZES))


def make_thumbnail(image: Image.Image, size: int) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    if thumb.mode not in ("RGB", "RGBA"):
        has_alpha = thumb.mode in ("LA", "PA") or (thumb.mode == "P" and "transparency" in thumb.info)
        thumb = thumb.convert("RGBA" if has_alpha else "RGB")
    thumb.info = {}
    buffer = io.BytesIO()
    thumb.save(buffer, format="WEBP", quality=82, method=4)
    return buffer.getvalue()


def thumbnail_name(thumbnails: dict | None, size: int | None) -> str | None:
    """The stored name of the ready thumbnail nearest to ``size``: the smallest one at least that
    large, else the largest. None when none is ready (callers then use the original)."""
    ready = sorted((int(k), v) for k, v in (thumbnails or {}).items() if str(k).isdigit() and v)
    if not ready:
        return None
    if size is None:
        return ready[0][1]
    for ready_size, name in ready:
        if ready_size >= size:
            return name
    return ready[-1][1]


def image_url(request, name: str | None) -> str | None:
    if not name:
        return None
    url = _public_url(default_storage._wrapped if default_storage._wrapped is not empty else _setup_default(), name)
    if request is not None and url.startswith("/") and hasattr(request, "build_absolute_uri"):
        return request.build_absolute_uri(url)
    return url


def _setup_default():
    default_storage._setup()
    return default_storage._wrapped


@lru_cache(maxsize=8192)
def _public_url(storage, name: str) -> str:
    """A public file's URL, made once per storage and name (a product list shows a hundred; the
    public storages' URLs are plain: no signature, no expiry — private files never come here)."""
    return storage.url(name)


def delete_files_on_commit(storage, names) -> None:
    """Remove stored files once the transaction that stopped referencing them has committed."""
    from django.db import transaction

    names = [n for n in names if n]
    if not names:
        return

    def _delete():
        for name in names:
            try:
                storage.delete(name)
            except OSError:  # already gone, or storage hiccup: an orphan, never an error for the user
                pass

    transaction.on_commit(_delete)
