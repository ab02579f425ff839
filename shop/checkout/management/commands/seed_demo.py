"""``manage.py seed_demo``: the demo marketplace (designers, products, portfolios, shipping methods).
It lives in checkout, the top domain app, because it fills every app below (docs/architecture.md)."""

import io
import zipfile
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from designers.models import Designer, DesignerStatus, DesignerStatusChange, PortfolioItem
from designers.services.portfolio import add_portfolio_image, create_portfolio_item
from shop.accounts.models import User
from shop.catalog.models import Category, Product
from shop.catalog.services.categories import create_category
from shop.catalog.services.media import add_product_media
from shop.catalog.services.products import create_product, publish_product
from shop.catalog.services.variants import create_variant
from shop.checkout.models import ShippingMethod
from shop.core.text import vietnamese_slug

PASSWORD = "demo-Pass-2026"

DESIGNERS = [
    (
        "linh@demo.rethink.market",
        "Trần Thùy Linh",
        "APPROVED",
        "Hà Nội",
        "Áo dài lụa và khăn thêu tay, lấy cảm hứng từ phố cổ Hà Nội.",
    ),
    (
        "minh@demo.rethink.market",
        "Lê Quang Minh",
        "APPROVED",
        "Bát Tràng",
        "Gốm men rạn thủ công, làm tại lò gia đình ở Bát Tràng.",
    ),
    (
        "ha@demo.rethink.market",
        "Nguyễn Thị Hà",
        "APPROVED",
        "Hà Nội",
        "Typography and posters: Vietnamese letterforms, risograph prints and fonts.",
    ),
    (
        "nam@demo.rethink.market",
        "Vũ Hoàng Nam",
        "APPROVED",
        "Hà Nội",
        "Sơn mài đương đại: tranh, hộp và đồ dùng khảm trứng, vỏ trai.",
    ),
    ("pending@demo.rethink.market", "Phạm Gia Bảo", "PENDING", "Hải Phòng", "Đồ da thủ công: ví, túi và thắt lưng."),
]

# (slug, name, parent slug)
CATEGORIES = [
    ("thoi-trang", "Thời trang", None),
    ("ao-dai", "Áo dài", "thoi-trang"),
    ("khan-phu-kien", "Khăn & phụ kiện", "thoi-trang"),
    ("gom-su", "Gốm sứ", None),
    ("binh-lo", "Bình & lọ", "gom-su"),
    ("bat-dia-am-chen", "Bát đĩa & ấm chén", "gom-su"),
    ("do-hoa-chu", "Đồ họa & chữ", None),
    ("poster", "Poster", "do-hoa-chu"),
    ("font-chu", "Font chữ", "do-hoa-chu"),
    ("son-mai", "Sơn mài", None),
    ("do-da", "Đồ da", None),
]

# Palettes for generated pictures: (background, accent, detail)
RED = ((122, 20, 28), (214, 168, 84), (245, 230, 200))
BLUE = ((230, 236, 240), (36, 70, 140), (120, 150, 200))
CRACKLE = ((212, 200, 170), (92, 110, 96), (60, 50, 40))
POSTER = ((245, 240, 228), (200, 40, 30), (20, 20, 20))
LACQUER = ((30, 14, 10), (170, 30, 20), (220, 180, 90))
LEATHER = ((120, 70, 40), (60, 35, 20), (200, 160, 110))

# owner email, slug, name, category, type, tags, description, variants, images (palette, motif), publish
# variant: (sku, name, attributes, price VND, stock or None for digital, digital file kind)
PRODUCTS = [
    (
        "linh@demo.rethink.market",
        "ao-dai-lua-ha-dong",
        "Áo dài lụa Hà Đông",
        "ao-dai",
        "PHYSICAL",
        ["lụa", "áo dài", "may đo"],
        "<p>Áo dài lụa tơ tằm <strong>Vạn Phúc</strong>, nhuộm màu đỏ son, may đo thủ công tại Hà Nội.</p>"
        "<ul><li>Lụa tơ tằm 100%</li><li>Giặt tay, phơi trong bóng râm</li></ul>",
        [
            ("AD-HD-S", "Cỡ S", [("Kích cỡ", "S"), ("Màu", "Đỏ son")], 2_400_000, 3, None),
            ("AD-HD-M", "Cỡ M", [("Kích cỡ", "M"), ("Màu", "Đỏ son")], 2_400_000, 5, None),
            ("AD-HD-L", "Cỡ L", [("Kích cỡ", "L"), ("Màu", "Đỏ son")], 2_500_000, 2, None),
        ],
        [(RED, "dress"), (RED, "pattern")],
        True,
    ),
    (
        "linh@demo.rethink.market",
        "khan-lua-theu-tay-hoa-sen",
        "Khăn lụa thêu tay hoa sen",
        "khan-phu-kien",
        "PHYSICAL",
        ["lụa", "khăn", "thêu tay"],
        "<p>Khăn lụa 90×90 cm, thêu tay họa tiết hoa sen bằng chỉ tơ.</p>",
        [("KL-SEN", "90×90 cm", [("Kích thước", "90×90 cm")], 650_000, 12, None)],
        [(BLUE, "pattern")],
        True,
    ),
    (
        "linh@demo.rethink.market",
        "ao-dai-gam-tet",
        "Áo dài gấm Tết",
        "ao-dai",
        "PHYSICAL",
        ["gấm", "áo dài", "tết"],
        "<p>Bản nháp cho bộ sưu tập Tết: gấm dệt hoa cúc.</p>",
        [("AD-GAM-M", "Cỡ M", [("Kích cỡ", "M")], 3_200_000, 4, None)],
        [(RED, "dress")],
        False,
    ),
    (
        "minh@demo.rethink.market",
        "gom-bat-trang-men-ran",
        "Gốm Bát Tràng men rạn",
        "binh-lo",
        "PHYSICAL",
        ["gốm", "men rạn", "bát tràng"],
        "<p>Bình gốm nung củi, <em>men rạn cổ</em> làm thủ công tại lò gia đình ở Bát Tràng.</p>",
        [
            ("GBT-30", "Cao 30 cm", [("Chiều cao", "30 cm")], 900_000, 4, None),
            ("GBT-45", "Cao 45 cm", [("Chiều cao", "45 cm")], 1_450_000, 2, None),
        ],
        [(CRACKLE, "vase"), (CRACKLE, "crackle")],
        True,
    ),
    (
        "minh@demo.rethink.market",
        "bo-bat-men-lam",
        "Bộ bát men lam (6 chiếc)",
        "bat-dia-am-chen",
        "PHYSICAL",
        ["gốm", "men lam", "bát"],
        "<p>Sáu bát ăn cơm vẽ tay men lam, đường kính 11,5 cm.</p>",
        [("BML-6", "Bộ 6 chiếc", [("Số lượng", "6")], 480_000, 10, None)],
        [(BLUE, "bowls")],
        True,
    ),
    (
        "minh@demo.rethink.market",
        "am-chen-men-hoa-lam",
        "Ấm chén men hoa lam",
        "bat-dia-am-chen",
        "PHYSICAL",
        ["gốm", "ấm chén", "trà"],
        "<p>Bộ ấm và bốn chén, men hoa lam. <strong>Tạm hết hàng</strong> — mẻ mới ra lò tháng sau.</p>",
        [("ACL-4", "Ấm + 4 chén", [("Bộ", "Ấm + 4 chén")], 750_000, 0, None)],
        [(BLUE, "vase")],
        True,
    ),
    (
        "ha@demo.rethink.market",
        "poster-ha-noi-36-pho-phuong",
        "Poster chữ “Hà Nội 36 phố phường”",
        "poster",
        "PHYSICAL",
        ["poster", "typography", "risograph"],
        "<p>In risograph hai màu trên giấy mỹ thuật 250 gsm; tên 36 phố phường sắp chữ bằng font Hà Nội Sans.</p>",
        [("P36-A3", "A3", [("Khổ", "A3")], 350_000, 20, None), ("P36-A2", "A2", [("Khổ", "A2")], 550_000, 8, None)],
        [(POSTER, "poster")],
        True,
    ),
    (
        "ha@demo.rethink.market",
        "font-chu-ha-noi-sans",
        "Font chữ Hà Nội Sans",
        "font-chu",
        "DIGITAL",
        ["font", "typography", "tiếng việt"],
        "<p>Bộ chữ không chân lấy cảm hứng từ biển hiệu phố cổ, đủ dấu tiếng Việt. Gói tải về gồm file font, bản mẫu và giấy phép.</p>",
        [
            ("HNS-PERSONAL", "Giấy phép cá nhân", [("Giấy phép", "Cá nhân")], 350_000, None, "zip"),
            ("HNS-COMMERCIAL", "Giấy phép thương mại", [("Giấy phép", "Thương mại")], 1_200_000, None, "zip"),
        ],
        [(POSTER, "letters")],
        True,
    ),
    (
        "ha@demo.rethink.market",
        "poster-pho-ban-in-tai-nha",
        "Poster “Phở” — bản in tại nhà",
        "poster",
        "DIGITAL",
        ["poster", "pdf", "in tại nhà"],
        "<p>File PDF khổ A3 để tự in; màu đã chỉnh cho máy in phun.</p>",
        [("PHO-PDF", "PDF A3", [("Định dạng", "PDF")], 120_000, None, "pdf")],
        [(POSTER, "poster")],
        True,
    ),
    (
        "nam@demo.rethink.market",
        "tranh-son-mai-ho-guom",
        "Tranh sơn mài Hồ Gươm",
        "son-mai",
        "PHYSICAL",
        ["sơn mài", "tranh", "hồ gươm"],
        "<p>Tranh sơn mài 60×80 cm, vàng quỳ và son then, mài tay nhiều lớp.</p>",
        [("SM-HG", "60×80 cm", [("Kích thước", "60×80 cm")], 4_800_000, 1, None)],
        [(LACQUER, "lake")],
        True,
    ),
    (
        "nam@demo.rethink.market",
        "hop-son-mai-kham-trung",
        "Hộp sơn mài khảm trứng",
        "son-mai",
        "PHYSICAL",
        ["sơn mài", "hộp", "khảm trứng"],
        "<p>Hộp tròn đường kính 12 cm, khảm vỏ trứng, lòng hộp sơn son.</p>",
        [("SM-HOP", "Ø12 cm", [("Đường kính", "12 cm")], 680_000, 6, None)],
        [(LACQUER, "crackle")],
        True,
    ),
    (
        "pending@demo.rethink.market",
        "vi-da-bo-thu-cong",
        "Ví da bò thủ công",
        "do-da",
        "PHYSICAL",
        ["da", "ví"],
        "<p>Ví da bò thuộc thực vật, khâu tay.</p>",
        [("VD-01", "Nâu bò", [("Màu", "Nâu")], 550_000, 7, None)],
        [(LEATHER, "pattern")],
        False,
    ),
]

# owner email, title, year, role, tags, description, linked product slugs, images (palette, motif)
PORTFOLIO = [
    (
        "linh@demo.rethink.market",
        "Bộ sưu tập “Thu phố cổ”",
        2025,
        "Thiết kế, vẽ tay trên lụa",
        ["áo dài", "lụa"],
        "Mười hai mẫu áo dài vẽ tay, trình diễn tại phố Hàng Gai.",
        ["ao-dai-lua-ha-dong"],
        [(RED, "dress"), (BLUE, "pattern")],
    ),
    (
        "minh@demo.rethink.market",
        "Triển lãm “Men rạn”",
        2024,
        "Nghệ nhân, tạo hình",
        ["gốm", "triển lãm"],
        "Ba mươi bình men rạn nung củi, trưng bày tại Bảo tàng Gốm Bát Tràng.",
        ["gom-bat-trang-men-ran"],
        [(CRACKLE, "crackle")],
    ),
    (
        "ha@demo.rethink.market",
        "Nhận diện Tết Hà Nội 2025",
        2025,
        "Art direction & typography",
        ["typography", "branding"],
        "Hệ thống chữ, poster và bao lì xì cho lễ hội Tết phố cổ.",
        ["font-chu-ha-noi-sans", "poster-ha-noi-36-pho-phuong"],
        [(POSTER, "letters"), (POSTER, "poster")],
    ),
    (
        "nam@demo.rethink.market",
        "Sơn mài đương đại",
        2023,
        "Hoạ sĩ",
        ["sơn mài"],
        "Chuỗi tranh sơn mài về mặt nước Hồ Gươm qua bốn mùa.",
        ["tranh-son-mai-ho-guom"],
        [(LACQUER, "lake")],
    ),
]


class Command(BaseCommand):
    help = "Load the demo marketplace (idempotent) and print the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        staff = self._user("admin@demo.rethink.market", "Quản trị viên", staff=True)
        self._user("buyer@demo.rethink.market", "Đỗ Mai Anh")
        for email, name, status, city, bio in DESIGNERS:
            user = self._user(email, name)
            designer, created = Designer.objects.get_or_create(
                user=user,
                defaults={
                    "display_name": name,
                    "slug": vietnamese_slug(name),
                    "status": status,
                    "city": city,
                    "bio": bio,
                },
            )
            if created:
                DesignerStatusChange.objects.create(designer=designer, from_status="", to_status="PENDING", actor=user)
                if status != DesignerStatus.PENDING:
                    DesignerStatusChange.objects.create(
                        designer=designer, from_status="PENDING", to_status=status, actor=staff
                    )
        added = self._catalog(staff)
        _seed_shipping_methods()
        from payments.demo import seed_demo_sales

        sold = seed_demo_sales()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password for all: %s):" % PASSWORD))
        self.stdout.write("  staff (also /admin/):  admin@demo.rethink.market")
        self.stdout.write("  buyer:                 buyer@demo.rethink.market")
        for email, name, status, *_ in DESIGNERS:
            self.stdout.write(f"  designer ({status.lower()}): {email}  {name}")
        if sold:
            self.stdout.write(
                f"  sales: {sold} paid orders over the last 4 months (sign in as a designer, run "
                "graphql/operations/designer/MySales.graphql)"
            )
        if added:
            self.stdout.write(
                f'  catalog: {added} products added (try `products(first: 20, filter: {{search: "ao dai lua"}})`)'
            )

    def _user(self, email, name, staff=False):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=PASSWORD, full_name=name, is_staff=staff, is_superuser=staff
            )
        return user

    def _catalog(self, staff) -> int:
        for slug, name, parent in CATEGORIES:
            if not Category.objects.filter(slug=slug).exists():
                parent_id = Category.objects.get(slug=parent).pk if parent else None
                create_category(actor=staff, name=name, slug=slug, parent_id=parent_id)
        users = {u.email: u for u in User.objects.filter(email__in=[d[0] for d in DESIGNERS])}
        added = 0
        for email, slug, name, category, kind, tags, description, variants, images, publish in PRODUCTS:
            if Product.objects.filter(slug=slug).exists():
                continue
            owner = users[email]
            product = create_product(
                actor=owner,
                name=name,
                slug=slug,
                description=description,
                tags=tags,
                product_type=kind,
                category_id=Category.objects.get(slug=category).pk,
            )
            for sku, variant_name, attributes, price, stock, file_kind in variants:
                create_variant(
                    actor=owner,
                    product_id=product.pk,
                    sku=sku,
                    name=variant_name,
                    price=Decimal(price),
                    attributes=[{"name": n, "value": v} for n, v in attributes],
                    stock_quantity=stock,
                    digital_file=_digital_file(file_kind, name) if file_kind else None,
                )
            for index, (palette, motif) in enumerate(images):
                add_product_media(
                    actor=owner, product_id=product.pk, image=_picture(palette, motif, seed=index, text=slug), alt=name
                )
            if publish and Designer.objects.get(user=owner).status == DesignerStatus.APPROVED:
                publish_product(actor=owner, product_id=product.pk)
            added += 1
        for email, title, year, role, tags, description, product_slugs, images in PORTFOLIO:
            owner = users[email]
            if PortfolioItem.objects.filter(designer__user=owner, title=title).exists():
                continue
            item = create_portfolio_item(
                actor=owner,
                title=title,
                year=year,
                role=role,
                tags=tags,
                description=description,
                product_ids=list(Product.objects.filter(slug__in=product_slugs).values_list("pk", flat=True)),
            )
            for index, (palette, motif) in enumerate(images):
                add_portfolio_image(
                    actor=owner, item_id=item.pk, image=_picture(palette, motif, seed=index + 7, text=title), alt=title
                )
        return added


# --- generated pictures and files (no downloads) ---------------------------------------------------


def _picture(palette, motif: str, *, seed: int, text: str, size=(640, 800)) -> SimpleUploadedFile:
    background, accent, detail = palette
    width, height = 800, 1000  # drawn on this canvas, saved at ``size``
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 4):  # a soft vertical gradient
        shade = tuple(max(0, min(255, c + (y * 40 // height) - 20)) for c in background)
        draw.line([(0, y), (width, y)], fill=shade, width=4)
    cx = width // 2
    if motif == "dress":
        draw.polygon([(cx - 70, 180), (cx + 70, 180), (cx + 150, 880), (cx - 150, 880)], fill=accent)
        draw.polygon([(cx - 70, 200), (cx - 190, 520), (cx - 150, 540), (cx - 60, 300)], fill=accent)
        draw.polygon([(cx + 70, 200), (cx + 190, 520), (cx + 150, 540), (cx + 60, 300)], fill=accent)
        for i in range(8):
            draw.ellipse([cx - 40 + (i % 3) * 30, 300 + i * 60, cx - 20 + (i % 3) * 30, 320 + i * 60], fill=detail)
    elif motif == "vase":
        draw.ellipse([cx - 220, 380, cx + 220, 860], fill=accent)
        draw.rectangle([cx - 70, 200, cx + 70, 420], fill=accent)
        draw.ellipse([cx - 100, 170, cx + 100, 230], fill=detail)
    elif motif == "bowls":
        for i in range(3):
            x = 150 + i * 250
            draw.pieslice([x - 110, 420, x + 110, 640], 0, 180, fill=accent)
            draw.arc([x - 110, 420, x + 110, 640], 0, 180, fill=detail, width=6)
    elif motif == "crackle":
        draw.ellipse([100, 150, width - 100, height - 150], fill=accent)
        for i in range(60):
            x = (seed * 97 + i * 131) % width
            y = (seed * 53 + i * 71) % height
            draw.line([(x, y), (x + (i % 7) * 12 - 36, y + (i % 5) * 14 - 28)], fill=detail, width=2)
    elif motif == "lake":
        draw.rectangle([60, 520, width - 60, 900], fill=accent)
        draw.ellipse([cx - 60, 560, cx + 60, 620], fill=detail)
        draw.rectangle([cx - 20, 470, cx + 20, 580], fill=detail)
        for i in range(12):
            draw.line([(80, 650 + i * 20), (width - 80, 650 + i * 20)], fill=background, width=1)
    elif motif in ("poster", "letters"):
        draw.rectangle([60, 60, width - 60, height - 60], outline=detail, width=6)
        font = ImageFont.load_default(size=120 if motif == "letters" else 90)
        words = ("Aa Bb Gg", "HA NOI") if motif == "letters" else ("HA NOI", "36 PHO")
        draw.text((110, 180), words[0], fill=accent, font=font)
        draw.text((110, 420), words[1], fill=detail, font=font)
        draw.rectangle([110, 700, width - 110, 760], fill=accent)
    else:  # pattern
        for y in range(0, height, 80):
            for x in range((y // 80) % 2 * 40, width, 80):
                draw.ellipse([x + 10, y + 10, x + 50, y + 50], outline=accent, width=5)
                draw.point((x + 30, y + 30), fill=detail)
    buffer = io.BytesIO()
    image.resize(size, Image.Resampling.BILINEAR).save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"{text}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _digital_file(kind: str, title: str) -> SimpleUploadedFile:
    if kind == "pdf":
        buffer = io.BytesIO()
        sheet = _picture(POSTER, "poster", seed=1, text="poster")
        Image.open(sheet).convert("RGB").save(buffer, format="PDF", resolution=72)
        return SimpleUploadedFile("poster-pho-A3.pdf", buffer.getvalue(), content_type="application/pdf")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GIAY-PHEP.txt", f"{title}\nGiấy phép sử dụng (bản demo).\n")
        archive.writestr("specimen.jpg", _picture(POSTER, "letters", seed=2, text="specimen").read())
    return SimpleUploadedFile("ha-noi-sans.zip", buffer.getvalue(), content_type="application/zip")


# --- checkout: each approved demo designer ships its goods two ways (idempotent) ---
DEMO_SHIPPING_METHODS = [
    # name, price (VND), free above (VND), min days, max days
    ("Giao hàng tiêu chuẩn", 30000, 500000, 2, 4),
    ("Giao hàng nhanh", 55000, None, 1, 2),
]


def _seed_shipping_methods():
    for designer in Designer.objects.filter(
        user__email__endswith="@demo.rethink.market", status=DesignerStatus.APPROVED
    ):
        for name, price, free_above, min_days, max_days in DEMO_SHIPPING_METHODS:
            ShippingMethod.objects.get_or_create(
                designer=designer,
                name=name,
                defaults={
                    "price_amount": Decimal(price),
                    "currency": "VND",
                    "free_above_amount": Decimal(free_above) if free_above else None,
                    "min_days": min_days,
                    "max_days": max_days,
                },
            )
