"""A handful of small generated pictures (Pillow), written once and shared by many media rows.

Each picture is a soft two-colour gradient with a few shapes, deterministic from its index, saved
as a JPEG original plus WebP thumbnails in the sizes the storefront asks for, under
``<prefix>/bench/`` in default storage. Digital goods get a few small ZIP files in private storage.
"""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

PALETTES = [
    ((33, 64, 154), (233, 236, 245)),  # indigo
    ((184, 71, 42), (247, 232, 214)),  # terracotta
    ((46, 110, 92), (226, 240, 232)),  # celadon
    ((140, 32, 52), (246, 226, 226)),  # lacquer red
    ((201, 153, 38), (250, 244, 224)),  # turmeric
    ((60, 60, 60), (238, 238, 238)),  # ink
    ((92, 62, 130), (238, 232, 246)),  # lotus purple
    ((20, 120, 150), (224, 242, 246)),  # river
]


@dataclass
class StoredImage:
    name: str
    width: int
    height: int
    thumbnails: dict[str, str] = field(default_factory=dict)


def thumbnail_sizes() -> list[int]:
    from django.conf import settings

    return sorted(int(s) for s in getattr(settings, "THUMBNAIL_SIZES", (256, 512)))


def _picture(index: int, width: int, height: int) -> Image.Image:
    rnd = random.Random(f"bench-image-{index}")
    dark, light = PALETTES[index % len(PALETTES)]
    image = Image.new("RGB", (width, height), light)
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 4):  # vertical gradient, drawn in bands
        t = y / height
        colour = tuple(int(light[c] * (1 - t * 0.35) + dark[c] * t * 0.35) for c in range(3))
        draw.rectangle([0, y, width, y + 4], fill=colour)
    for _ in range(3 + index % 4):
        x, y = rnd.randrange(width), rnd.randrange(height)
        r = rnd.randrange(min(width, height) // 10, min(width, height) // 3)
        tone = tuple(min(255, int(dark[c] * rnd.uniform(0.7, 1.3))) for c in range(3))
        if rnd.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=tone)
        else:
            draw.rectangle([x - r, y - r // 2, x + r, y + r // 2], fill=tone)
    return image


def _save(storage, name: str, data: bytes) -> str:
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    assert saved == name, (saved, name)
    return saved


def make_images(
    storage, *, prefix: str, count: int, seed: int, width: int = 800, height: int = 800
) -> list[StoredImage]:
    """``count`` pictures with their thumbnails; returns their stored names and sizes."""
    images = []
    sizes = thumbnail_sizes()
    for index in range(count):
        picture = _picture(seed * 1000 + index, width, height)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=80, optimize=True)
        base = f"{prefix}/bench/{seed}-{index:02d}"
        stored = StoredImage(name=_save(storage, f"{base}.jpg", buffer.getvalue()), width=width, height=height)
        for size in sizes:
            thumb = picture.copy()
            thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            thumb.save(out, format="WEBP", quality=80)
            stored.thumbnails[str(size)] = _save(storage, f"{base}-{size}.webp", out.getvalue())
        images.append(stored)
    return images


@dataclass
class StoredFile:
    name: str
    filename: str
    size: int
    content_type: str = "application/zip"


def make_digital_files(storage, *, count: int, seed: int) -> list[StoredFile]:
    files = []
    for index in range(count):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", f"Rethink Market benchmark file {index}. Cảm ơn bạn đã mua hàng!\n")
            archive.writestr("LICENSE.txt", "Personal use only.\n")
        data = buffer.getvalue()
        name = _save(storage, f"digital/bench/{seed}-{index:02d}.zip", data)
        files.append(StoredFile(name=name, filename=f"rethink-bench-{index + 1}.zip", size=len(data)))
    return files
