"""The marketplace-size seeder behind ``manage.py seed_bench``.

Everything is generated from word lists and ``random.Random`` streams seeded from ``--seed`` (one
stream per stage, so changing one count does not reshuffle the rest) and written with PostgreSQL
``COPY`` through psycopg 3, table by table, in one transaction: either the whole marketplace is
there or nothing is. Ids are assigned here (the tables start empty), so rows reference each other
without a round trip; the sequences are moved past them at the end.

Timestamps are relative to ``until`` (default: today 00:00 UTC): the same seed, counts and
``until`` give the same database, row for row.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import random
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import orjson
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.storage import default_storage
from django.db import connection, transaction

from bench.seed import (
    EMAIL_DOMAIN,
    PASSWORD,
    words,
)
from bench.seed.images import make_digital_files, make_images
from shop.catalog.services.search import is_listed, search_texts, search_vectors, sort_name
from shop.core.progress import Progress
from shop.core.storage import private_storage
from shop.core.text import vietnamese_slug
from shop.orders.placement import ORDER_NUMBER_SEQUENCE, order_number

DAY = 86400.0
MONTH = 30.4375 * DAY

# The orders sequence's first value (migration orders 0002): seeded orders take RM10001, RM10002, ...
# and the sequence is moved past them, so orders placed later continue the numbering.
ORDER_NUMBER_START = 10001

# Apps whose tables --reset empties (with everything that references them).
OUR_APPS = ("accounts", "catalog", "checkout", "orders", "designers", "payments", "core", "bench")


@dataclass
class Counts:
    designers: int
    products: int
    orders: int
    order_lines: int
    buyers: int
    variants_per_product: int = 3


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _uuid(rnd: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rnd.getrandbits(128), version=4)


def _weighted(rnd: random.Random, pairs):
    values, weights = zip(*pairs)
    return rnd.choices(values, weights=weights, k=1)[0]


def _round_price(value: float) -> int:
    """VND prices people set: thousands, ending in 000 / 500 / 900 patterns."""
    if value < 100_000:
        return int(round(value / 1000.0)) * 1000
    if value < 1_000_000:
        return int(round(value / 10_000.0)) * 10_000 - (1000 if value % 3 < 1 else 0)
    return int(round(value / 50_000.0)) * 50_000


class Copier:
    """COPY rows into one model's table, columns named by model field names."""

    def __init__(self, cursor, model, fields: list[str], report: Report):
        self.cursor = cursor
        self.model = model
        self.table = model._meta.db_table
        # Rows without an id are numbered here (1, 2, ... per table across calls), never by the
        # sequence: sequences move on in rolled-back transactions, and the data must not.
        self.numbered = "id" not in fields
        if self.numbered:
            fields = ["id", *fields]
        self.columns = [model._meta.get_field(f).column for f in fields]
        self.report = report

    def write(self, rows) -> int:
        n = 0
        sql = 'COPY "{}" ({}) FROM STDIN'.format(self.table, ", ".join(f'"{c}"' for c in self.columns))
        first = self.report.rows.get(self.table, 0) + 1
        with self.cursor.copy(sql) as copy:
            write_row = copy.write_row
            if self.numbered:
                for n, row in enumerate(rows, first):
                    write_row((n, *row))
                n = n - first + 1 if n else 0
            else:
                for row in rows:
                    write_row(row)
                    n += 1
        self.report.rows[self.table] = self.report.rows.get(self.table, 0) + n
        return n


class Seeder:
    def __init__(
        self,
        counts: Counts,
        *,
        seed: int = 1,
        until: datetime | None = None,
        verbose: bool = True,
        image_count: int = 24,
        stream=None,
    ):
        self.c = counts
        self.seed = seed
        now = until or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.until = now.timestamp()
        self.verbose = verbose
        self.stream = stream
        self.image_count = image_count
        self.report = Report()

    # --- plumbing ---------------------------------------------------------------------------

    def rnd(self, stage: str) -> random.Random:
        return random.Random(f"{self.seed}:{stage}")

    def progress(self, label: str, total: int) -> Progress:
        return Progress(label, total, enabled=self.verbose, stream=self.stream)

    def log(self, message: str) -> None:
        if self.verbose:
            import sys

            (self.stream or sys.stderr).write(message + "\n")

    def _stage(self, name: str, started: float) -> None:
        self.report.seconds[name] = round(time.monotonic() - started, 2)

    @staticmethod
    def our_tables() -> list[str]:
        tables = []
        for model in apps.get_models(include_auto_created=True):
            if model._meta.app_label in OUR_APPS and not model._meta.proxy and model._meta.managed:
                tables.append(model._meta.db_table)
        return sorted(set(tables))

    @staticmethod
    def existing_rows() -> dict[str, int]:
        from designers.models import Designer
        from shop.accounts.models import User
        from shop.catalog.models import Product
        from shop.orders.models import Order

        return {m._meta.label: m.objects.count() for m in (User, Designer, Product, Order)}

    def reset(self, cursor) -> None:
        tables = ", ".join(f'"{t}"' for t in self.our_tables())
        # Django's foreign keys are deferred: check what is pending now, or TRUNCATE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    # --- the run ----------------------------------------------------------------------------

    def run(self, *, reset: bool = False) -> Report:
        started = time.monotonic()
        with transaction.atomic():
            connection.ensure_connection()
            cursor = connection.connection.cursor()
            if reset:
                self.reset(cursor)
            else:
                existing = {k: v for k, v in self.existing_rows().items() if v}
                if existing:
                    raise SeedError(
                        "The database already has data ({}); seed_bench fills an empty marketplace. "
                        "Use --reset to empty it first.".format(", ".join(f"{k}: {v}" for k, v in existing.items()))
                    )
            cursor.execute("SET LOCAL synchronous_commit = off")
            self.files()
            self.users_and_designers(cursor)
            self.categories(cursor)
            self.shipping_methods(cursor)
            self.products(cursor)
            self.portfolios(cursor)
            self.orders(cursor)
            self.sales_rollups(cursor)
            self.search_rows_table(cursor)
            self.sequences(cursor)
            from bench.models import Dataset

            Dataset.objects.create(
                seed=self.seed,
                until=_ts(self.until),
                parameters=asdict(self.c),
                rows=dict(self.report.rows),
                seconds=round(time.monotonic() - started, 2),
            )
            commit_started = time.monotonic()
        self._stage("commit (deferred foreign-key checks)", commit_started)
        if not connection.in_atomic_block:  # VACUUM cannot run inside a transaction (tests)
            t = time.monotonic()
            self.log("vacuum analyze ...")
            with connection.cursor() as cur:
                for table in self.our_tables():
                    cur.execute(f'VACUUM (ANALYZE) "{table}"')
            self._stage("vacuum analyze", t)
        self.report.total_seconds = round(time.monotonic() - started, 2)
        return self.report

    # --- files ------------------------------------------------------------------------------

    def files(self) -> None:
        t = time.monotonic()
        self.product_images = make_images(default_storage, prefix="products", count=self.image_count, seed=self.seed)
        self.portfolio_images = make_images(
            default_storage,
            prefix="portfolio",
            count=max(4, self.image_count // 2),
            seed=self.seed,
            width=1200,
            height=800,
        )
        self.digital_files = make_digital_files(private_storage(), count=4, seed=self.seed)
        self._stage("files", t)

    # --- people -----------------------------------------------------------------------------

    def users_and_designers(self, cursor) -> None:
        from designers.models import Designer, DesignerStatusChange
        from shop.accounts.models import User

        t = time.monotonic()
        rnd = self.rnd("people")
        c = self.c
        password = make_password(PASSWORD, salt=f"benchsalt{self.seed}"[:16].ljust(16, "x"))
        start = self.until - 26 * MONTH

        # Designers, ordered by when they applied (ids follow time).
        designer_times = sorted(start + rnd.random() * (24 * MONTH) for _ in range(c.designers))
        self.designer_status = []
        self.designer_created = designer_times
        self.designer_city = []
        self.designer_name = []
        self.designer_slug = []
        used_slugs: dict[str, int] = {}
        statuses = [("APPROVED", 88), ("PENDING", 5), ("SUSPENDED", 4), ("REJECTED", 3)]
        cities = words.CITIES

        designer_rows, user_rows, change_rows = [], [], []
        # User 1 is staff.
        staff_id = 1
        user_rows.append(
            (staff_id, f"staff@{EMAIL_DOMAIN}", "Quản trị viên", "vi", True, True, True, _ts(start - DAY), 0, password)
        )
        self.staff_id = staff_id
        for i in range(c.designers):
            designer_id = i + 1
            user_id = self.designer_user_id(i)
            vietnamese = rnd.random() < 0.85
            if rnd.random() < 0.6:
                if vietnamese:
                    person = f"{rnd.choice(words.FAMILY_NAMES)} {rnd.choice(words.MIDDLE_NAMES)} {rnd.choice(words.GIVEN_NAMES)}"
                else:
                    person = f"{rnd.choice(words.EN_FIRST_NAMES)} {rnd.choice(words.EN_LAST_NAMES)}"
                display = person
            else:
                person = f"{rnd.choice(words.FAMILY_NAMES)} {rnd.choice(words.GIVEN_NAMES)}"
                display = (
                    f"{rnd.choice(words.STUDIO_PREFIXES_VI)} {rnd.choice(words.STUDIO_NOUNS_VI)}"
                    if vietnamese
                    else rnd.choice(words.STUDIO_EN)
                )
            slug = self._unique(vietnamese_slug(display, 55), used_slugs)
            status = "APPROVED" if i < 3 else _weighted(rnd, statuses)  # the first few are always approved
            city = _weighted(rnd, cities)
            created = designer_times[i]
            year = datetime.fromtimestamp(created, UTC).year - rnd.randrange(0, 6)
            bio_lines = words.BIO_VI if vietnamese else words.BIO_EN
            bio = " ".join(line.format(name=display, city=city, year=year) for line in rnd.sample(bio_lines, 3))
            links = orjson.dumps([f"https://instagram.com/{slug.replace('-', '.')}"]).decode()
            decided = created + rnd.uniform(0.5, 4) * DAY
            updated = decided if status != "PENDING" else created
            email = f"{vietnamese_slug(person).replace('-', '.')}.{designer_id}@{EMAIL_DOMAIN}"
            user_rows.append(
                (
                    user_id,
                    email,
                    person,
                    "vi" if vietnamese else "en",
                    False,
                    True,
                    False,
                    _ts(created - 600),
                    0,
                    password,
                )
            )
            designer_rows.append(
                (designer_id, user_id, display, slug, bio, city, links, status, None, _ts(created), _ts(updated))
            )
            change_rows.append((designer_id, "", "PENDING", "", user_id, _ts(created), None))
            if status == "REJECTED":
                change_rows.append(
                    (
                        designer_id,
                        "PENDING",
                        "REJECTED",
                        "Hồ sơ chưa có đủ ảnh sản phẩm.",
                        staff_id,
                        _ts(decided),
                        _ts(decided + 60),
                    )
                )
            elif status in ("APPROVED", "SUSPENDED"):
                change_rows.append((designer_id, "PENDING", "APPROVED", "", staff_id, _ts(decided), _ts(decided + 60)))
            if status == "SUSPENDED":
                suspended = decided + rnd.uniform(0.3, 0.9) * (self.until - decided)
                change_rows.append(
                    (
                        designer_id,
                        "APPROVED",
                        "SUSPENDED",
                        "Vi phạm chính sách giao hàng.",
                        staff_id,
                        _ts(suspended),
                        _ts(suspended + 60),
                    )
                )
            self.designer_status.append(status)
            self.designer_city.append(city)
            self.designer_name.append(display)
            self.designer_slug.append(slug)

        # Buyers: Vietnamese mostly, some English names.
        self.buyer_first_id = c.designers + 2
        self.buyer_email = []
        self.buyer_name = []
        for b in range(c.buyers):
            user_id = self.buyer_first_id + b
            if rnd.random() < 0.85:
                family, given = rnd.choice(words.FAMILY_NAMES), rnd.choice(words.GIVEN_NAMES)
                name = f"{family} {rnd.choice(words.MIDDLE_NAMES)} {given}"
                local = f"{vietnamese_slug(given)}.{vietnamese_slug(family)}"
                lang = "vi"
            else:
                first, last = rnd.choice(words.EN_FIRST_NAMES), rnd.choice(words.EN_LAST_NAMES)
                name = f"{first} {last}"
                local = f"{first}.{last}".lower()
                lang = "en"
            email = f"{local}.{b + 1}@example.com"
            joined = start + rnd.random() * (self.until - start - DAY)
            user_rows.append((user_id, email, name, lang, False, True, False, _ts(joined), 0, password))
            self.buyer_email.append(email)
            self.buyer_name.append(name)

        progress = self.progress("users", len(user_rows) + len(designer_rows) + len(change_rows))
        user_fields = [
            "id",
            "email",
            "full_name",
            "language",
            "is_staff",
            "is_active",
            "is_superuser",
            "date_joined",
            "token_version",
            "password",
        ]
        Copier(cursor, User, user_fields, self.report).write(self._tick(user_rows, progress))
        Copier(
            cursor,
            Designer,
            [
                "id",
                "user",
                "display_name",
                "slug",
                "bio",
                "city",
                "links",
                "status",
                "commission_rate",
                "created_at",
                "updated_at",
            ],
            self.report,
        ).write(self._tick(designer_rows, progress))
        Copier(
            cursor,
            DesignerStatusChange,
            ["designer", "from_status", "to_status", "reason", "actor", "created_at", "email_sent_at"],
            self.report,
        ).write(self._tick(change_rows, progress))
        progress.close()
        self._stage("users and designers", t)

    @staticmethod
    def designer_user_id(designer_index: int) -> int:
        return designer_index + 2  # user 1 is staff; designer i (0-based) has user i + 2

    @staticmethod
    def _unique(base: str, used: dict[str, int], max_length: int = 60) -> str:
        base = base or "item"
        n = used.get(base, 0) + 1
        used[base] = n
        if n == 1:
            return base
        suffix = f"-{n}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
        if candidate in used:  # a generated name that already ends in -N: go on counting
            return Seeder._unique(candidate, used, max_length)
        used[candidate] = 1
        return candidate

    @staticmethod
    def _tick(rows, progress: Progress, every: int = 5000):
        for i, row in enumerate(rows, 1):
            yield row
            if i % every == 0:
                progress.update(every)
        progress.update(len(rows) % every if hasattr(rows, "__len__") else 0)

    # --- catalog ----------------------------------------------------------------------------

    def categories(self, cursor) -> None:
        from shop.catalog.models import Category

        rows = []
        self.leaf_categories = []  # (id, kind)
        next_id = itertools.count(1)
        when = _ts(self.until - 26 * MONTH)
        for position, (name, slug, children) in enumerate(words.CATEGORY_TREE):
            parent_id = next(next_id)
            rows.append((parent_id, name, slug, None, position, when))
            for child_position, (child_name, child_slug, kind) in enumerate(children):
                child_id = next(next_id)
                rows.append((child_id, child_name, child_slug, parent_id, child_position, when))
                self.leaf_categories.append((child_id, kind))
        Copier(cursor, Category, ["id", "name", "slug", "parent", "position", "updated_at"], self.report).write(rows)

    def shipping_methods(self, cursor) -> None:
        from shop.checkout.models import ShippingMethod

        rnd = self.rnd("shipping")
        rows = []
        self.designer_shipping: list[list[tuple[str, int, int | None]]] = []
        next_id = itertools.count(1)
        for i in range(self.c.designers):
            methods = []
            for index in sorted(rnd.sample(range(len(words.SHIPPING_METHODS)), rnd.choice((1, 1, 2, 3)))):
                name, price, free_above, lo, hi = words.SHIPPING_METHODS[index]
                methods.append((name, price, free_above))
                rows.append(
                    (next(next_id), i + 1, name, price, "VND", free_above, lo, hi, True, _ts(self.designer_created[i]))
                )
            self.designer_shipping.append(methods)
        Copier(
            cursor,
            ShippingMethod,
            [
                "id",
                "designer",
                "name",
                "price_amount",
                "currency",
                "free_above_amount",
                "min_days",
                "max_days",
                "is_active",
                "created_at",
            ],
            self.report,
        ).write(rows)

    def products(self, cursor) -> None:
        from shop.catalog.models import Product, ProductMedia, ProductVariant

        t = time.monotonic()
        rnd = self.rnd("products")
        c = self.c
        # Which designers sell, and how much: a long tail (a few designers with many products).
        sellers = [i for i, s in enumerate(self.designer_status) if s in ("APPROVED", "SUSPENDED")]
        order = sellers[:]
        rnd.shuffle(order)
        weights = [0.0] * c.designers
        for rank, i in enumerate(order):
            weights[i] = (rank + 10) ** -0.8
        seller_weights = [weights[i] for i in sellers]
        # Each designer's speciality: one or two leaf categories.
        self.designer_categories = [rnd.sample(self.leaf_categories, rnd.choice((1, 1, 2))) for _ in range(c.designers)]

        chosen = rnd.choices(sellers, weights=seller_weights, k=c.products)
        times = []
        for d in chosen:
            created = self.designer_created[d] + rnd.uniform(2, 6) * DAY
            times.append(created + rnd.random() * max(DAY, self.until - created - DAY))
        order_idx = sorted(range(c.products), key=times.__getitem__)

        vpp = c.variants_per_product
        self.product_designer = [0] * c.products
        self.product_created = [0.0] * c.products
        self.product_name = [""] * c.products
        self.product_type = [""] * c.products
        self.product_status = [""] * c.products
        self.variant_price = [0] * (c.products * vpp)
        self.variant_name = [""] * (c.products * vpp)
        self.variant_sku = [""] * (c.products * vpp)
        # Per designer: products that can be bought (published or archived later), in time order.
        self.designer_products: list[list[int]] = [[] for _ in range(c.designers)]
        self.designer_product_times: list[list[float]] = [[] for _ in range(c.designers)]

        used_slugs: dict[str, int] = {}
        search_rows = []
        statuses = [("PUBLISHED", 89), ("DRAFT", 7), ("ARCHIVED", 4)]
        product_fields = [
            "id",
            "designer",
            "name",
            "sort_name",
            "slug",
            "description",
            "category",
            "tags",
            "product_type",
            "status",
            "currency",
            "min_price",
            "hidden_at",
            "hidden_reason",
            "hidden_by",
            "published_at",
            "created_at",
            "updated_at",
        ]
        variant_fields = [
            "id",
            "product",
            "designer",
            "sku",
            "name",
            "attributes",
            "price_amount",
            "currency",
            "stock_quantity",
            "digital_file",
            "digital_file_name",
            "digital_file_size",
            "digital_content_type",
            "position",
            "created_at",
            "updated_at",
        ]
        media_fields = ["product", "image", "width", "height", "alt", "position", "thumbnails", "created_at"]
        progress = self.progress("products", c.products)
        chunk = 10_000
        images = self.product_images
        thumbs_json = [orjson.dumps(img.thumbnails).decode() for img in images]
        for chunk_start in range(0, c.products, chunk):
            product_rows, variant_rows, media_rows = [], [], []
            for idx in order_idx[chunk_start : chunk_start + chunk]:
                pid = len(search_rows) + 1
                p = pid - 1
                d = chosen[idx]
                created = times[idx]
                category_id, kind = rnd.choice(self.designer_categories[d])
                spec = words.KINDS[kind]
                vietnamese = rnd.random() < 0.75
                item = rnd.choice(spec["items"])
                material = rnd.choice(spec["materials"])
                modifier = rnd.choice(spec["modifiers"])
                if vietnamese:
                    name = f"{item[0]} {material[0]} {modifier[0]}"
                else:
                    name = f"{modifier[1].capitalize()} {material[1]} {item[1].lower() if item[1] != 'Áo dài' else item[1]}"
                name = name[0].upper() + name[1:]
                slug = self._unique(vietnamese_slug(name, 70), used_slugs, 80)
                city = self.designer_city[d]
                lines = words.DESCRIPTION_VI if vietnamese else words.DESCRIPTION_EN
                sentences = [
                    s.format(
                        city=city, material=material[0 if vietnamese else 1], modifier=modifier[0 if vietnamese else 1]
                    )
                    for s in rnd.sample(lines, rnd.randint(2, 4))
                ]
                digital = kind in words.DIGITAL_KINDS
                if digital:
                    sentences.append(words.DIGITAL_NOTE_VI if vietnamese else words.DIGITAL_NOTE_EN)
                description = "".join(f"<p>{html.escape(s)}</p>" for s in sentences)
                tags = rnd.sample(spec["tags"], rnd.randint(2, min(4, len(spec["tags"]))))
                tags.append(material[0].lower())
                product_type = "DIGITAL" if digital else "PHYSICAL"
                status = _weighted(rnd, statuses)
                published_at = _ts(created + rnd.uniform(0.01, 2) * DAY) if status != "DRAFT" else None
                hidden = status == "PUBLISHED" and rnd.random() < 0.01
                updated = created + rnd.random() * (self.until - created)

                lo, hi = spec["price"]
                base = math.exp(rnd.uniform(math.log(lo), math.log(hi)))
                axis_vi, axis_en, values = spec["axis"]
                picked = (
                    values[:vpp] if len(values) <= vpp or digital else sorted(rnd.sample(values, vpp), key=values.index)
                )
                prices = []
                for v in range(vpp):
                    vid = p * vpp + v + 1
                    price = (
                        _round_price(base * (1 + 0.15 * v))
                        if digital or kind in ("print", "home", "jewelry")
                        else _round_price(base)
                    )
                    prices.append(price)
                    value = picked[v % len(picked)]
                    vname = value if v < len(picked) else f"{value} {v + 1}"
                    sku = f"{kind[:3].upper()}-{pid}-{v + 1}"
                    stock = 0 if digital else (0 if rnd.random() < 0.08 else rnd.randint(1, 40))
                    attributes = orjson.dumps([{"name": axis_vi if vietnamese else axis_en, "value": vname}]).decode()
                    if digital:
                        f = self.digital_files[pid % len(self.digital_files)]
                        file_cols = (f.name, f.filename, f.size, f.content_type)
                    else:
                        file_cols = (None, "", None, "")
                    variant_rows.append(
                        (
                            vid,
                            pid,
                            d + 1,
                            sku,
                            vname,
                            attributes,
                            price,
                            "VND",
                            stock,
                            *file_cols,
                            v,
                            _ts(created),
                            _ts(updated),
                        )
                    )
                    self.variant_price[vid - 1] = price
                    self.variant_name[vid - 1] = vname
                    self.variant_sku[vid - 1] = sku
                product_rows.append(
                    (
                        pid,
                        d + 1,
                        name,
                        sort_name(name),
                        slug,
                        description,
                        category_id,
                        tags,
                        product_type,
                        status,
                        "VND",
                        min(prices),
                        _ts(updated) if hidden else None,
                        "Ảnh sản phẩm không đúng mô tả." if hidden else "",
                        self.staff_id if hidden else None,
                        published_at,
                        _ts(created),
                        _ts(updated),
                    )
                )
                media_count = _weighted(rnd, [(1, 25), (2, 30), (3, 25), (4, 20)])
                first_image = rnd.randrange(len(images))
                for m in range(media_count):
                    k = (first_image + m * 7) % len(images)
                    img = images[k]
                    media_rows.append(
                        (
                            pid,
                            img.name,
                            img.width,
                            img.height,
                            name if m == 0 else f"{name} ({m + 1})",
                            m,
                            thumbs_json[k],
                            _ts(created),
                        )
                    )
                self.product_designer[p] = d
                self.product_created[p] = created
                self.product_name[p] = name
                self.product_type[p] = product_type
                self.product_status[p] = status
                if status != "DRAFT":
                    self.designer_products[d].append(pid)
                    self.designer_product_times[d].append(created)
                listed = is_listed(
                    status=status, hidden_at=_ts(updated) if hidden else None, designer_status=self.designer_status[d]
                )
                search_rows.append(
                    (pid, d + 1, _ts(created), listed, *search_texts(name=name, tags=tags, description=description))
                )
            Copier(cursor, Product, product_fields, self.report).write(product_rows)
            Copier(cursor, ProductVariant, variant_fields, self.report).write(variant_rows)
            Copier(cursor, ProductMedia, media_fields, self.report).write(media_rows)
            progress.update(len(product_rows))
        progress.close()
        self.search_rows = search_rows
        self._stage("products, variants, media", t)

    # --- portfolios -------------------------------------------------------------------------

    def portfolios(self, cursor) -> None:
        from designers.models import PortfolioImage, PortfolioItem

        t = time.monotonic()
        rnd = self.rnd("portfolio")
        item_rows, image_rows, link_rows = [], [], []
        images = self.portfolio_images
        thumbs_json = [orjson.dumps(img.thumbnails).decode() for img in images]
        item_id = 0
        for d, status in enumerate(self.designer_status):
            if status not in ("APPROVED", "SUSPENDED"):
                continue
            vietnamese = rnd.random() < 0.75
            for position in range(rnd.choice((0, 1, 2, 3, 3, 4, 5, 6))):
                item_id += 1
                year = 2018 + rnd.randrange(0, 8)
                template = rnd.choice(words.PORTFOLIO_TITLES_VI if vietnamese else words.PORTFOLIO_TITLES_EN)
                title = template.format(
                    season=rnd.choice(words.SEASONS_VI if vietnamese else words.SEASONS_EN),
                    year=year,
                    place=rnd.choice(words.PLACES),
                    brand=rnd.choice(words.BRANDS),
                )
                description = (
                    "Một dự án về ký ức phố phường và chất liệu địa phương."
                    if vietnamese
                    else "A project about the memory of streets and local materials."
                )
                created = self.designer_created[d] + rnd.uniform(1, 10) * DAY
                tags = rnd.sample(["thủ công", "triển lãm", "nhận diện", "minh họa", "gốm", "lụa", "typography"], 2)
                item_rows.append(
                    (
                        item_id,
                        d + 1,
                        title,
                        description,
                        year,
                        rnd.choice(words.ROLES),
                        tags,
                        position,
                        _ts(created),
                        _ts(created),
                    )
                )
                for m in range(rnd.choice((1, 1, 2, 3))):
                    k = rnd.randrange(len(images))
                    img = images[k]
                    image_rows.append(
                        (item_id, img.name, img.width, img.height, title, m, thumbs_json[k], _ts(created))
                    )
                products = self.designer_products[d]
                if products and rnd.random() < 0.3:
                    for pid in rnd.sample(products, min(len(products), rnd.randint(1, 3))):
                        link_rows.append((item_id, pid))
        Copier(
            cursor,
            PortfolioItem,
            ["id", "designer", "title", "description", "year", "role", "tags", "position", "created_at", "updated_at"],
            self.report,
        ).write(item_rows)
        Copier(
            cursor,
            PortfolioImage,
            ["item", "image", "width", "height", "alt", "position", "thumbnails", "created_at"],
            self.report,
        ).write(image_rows)
        through = PortfolioItem.products.through
        Copier(cursor, through, ["portfolioitem", "product"], self.report).write(link_rows)
        self._stage("portfolios", t)

    # --- orders -----------------------------------------------------------------------------

    def orders(self, cursor) -> None:
        from payments.models import Payment
        from shop.orders.models import Order, OrderEvent, OrderLine, Purchase
        from shop.orders.models import OrderEventType as E

        t = time.monotonic()
        c = self.c
        if c.orders == 0:
            return
        rnd = self.rnd("orders")
        vpp = c.variants_per_product

        # Lines per order: one each, the rest spread at random (exactly c.order_lines in all).
        lines_per_order = [1] * c.orders
        for _ in range(max(0, c.order_lines - c.orders)):
            lines_per_order[rnd.randrange(c.orders)] += 1

        # Orders per purchase (a cart across designers): 1, 2 or 3.
        sizes = []
        remaining = c.orders
        while remaining > 0:
            size = min(remaining, _weighted(rnd, [(1, 75), (2, 20), (3, 5)]))
            sizes.append(size)
            remaining -= size
        n_purchases = len(sizes)

        # Purchase times over the last 18 months, growing (the last month ~4x the first).
        g = 3.0
        span = 18 * MONTH
        start = self.until - span
        times = []
        for _ in range(n_purchases):
            u = rnd.random()
            x = (-1 + math.sqrt(1 + 2 * g * u * (1 + g / 2))) / g
            times.append(start + x * span)
        times.sort()

        # Which designers sell: weight by how much they have on offer.
        sellers = [d for d in range(c.designers) if self.designer_products[d]]
        if not sellers:
            raise SeedError("No products to sell: raise --products or --designers.")
        seller_weights = [len(self.designer_products[d]) for d in sellers]
        cum = list(itertools.accumulate(seller_weights))
        repeat_buyers = max(1, c.buyers // 10)

        purchase_fields = [
            "id",
            "token",
            "user",
            "email",
            "language",
            "currency",
            "total_amount",
            "status",
            "gateway",
            "shipping_address",
            "created_at",
            "expires_at",
            "paid_at",
            "cancelled_at",
            "confirmation_email_sent_at",
        ]
        order_fields = [
            "id",
            "purchase",
            "designer",
            "number",
            "status",
            "currency",
            "subtotal_amount",
            "shipping_amount",
            "total_amount",
            "refunded_amount",
            "shipping_method_name",
            "shipping_address",
            "carrier",
            "tracking_number",
            "is_disputed",
            "created_at",
            "paid_at",
            "fulfilled_at",
            "delivered_at",
            "cancelled_at",
            "designer_email_sent_at",
            "shipped_email_sent_at",
        ]
        line_fields = [
            "order",
            "variant",
            "product_name",
            "variant_name",
            "sku",
            "product_type",
            "unit_price_amount",
            "quantity",
            "total_amount",
            "refunded_quantity",
        ]
        payment_fields = [
            "id",
            "purchase",
            "gateway",
            "amount",
            "currency",
            "status",
            "psp_reference",
            "charge_id",
            "client_secret",
            "idempotency_key",
            "error",
            "created_at",
            "updated_at",
        ]
        event_fields = ["order", "type", "actor", "data", "created_at"]
        payment_id = 0

        progress = self.progress("orders", c.orders)
        order_id = 0
        carry = 0  # lines an order could not take (too few products yet), handed to the next one
        carriers = ["GHN", "GHTK", "Viettel Post", "J&T Express", "Ahamove"]
        chunk = 20_000
        for chunk_start in range(0, n_purchases, chunk):
            purchase_rows, order_rows, line_rows, payment_rows, event_rows = [], [], [], [], []
            for pi in range(chunk_start, min(n_purchases, chunk_start + chunk)):
                purchase_id = pi + 1
                created = times[pi]
                age = self.until - created
                # Who buys: a registered buyer (repeat customers buy more) or a guest.
                if c.buyers and rnd.random() < 0.8:
                    b = rnd.randrange(repeat_buyers) if rnd.random() < 0.4 else rnd.randrange(c.buyers)
                    user_id = self.buyer_first_id + b
                    email, name = self.buyer_email[b], self.buyer_name[b]
                else:
                    user_id = None
                    given, family = rnd.choice(words.GIVEN_NAMES), rnd.choice(words.FAMILY_NAMES)
                    name = f"{family} {rnd.choice(words.MIDDLE_NAMES)} {given}"
                    email = f"{vietnamese_slug(given)}.{vietnamese_slug(family)}.g{purchase_id}@example.com"
                address = self._address(rnd, name)
                # The purchase's fate: paid, or cancelled (never paid, expired).
                cancelled = rnd.random() < 0.04
                paid_at = None if cancelled else created + rnd.uniform(20, 600)
                # A cancelled purchase was declined half the time, else abandoned before paying.
                payment_status = "SUCCEEDED" if not cancelled else "FAILED" if rnd.random() < 0.5 else None
                if payment_status:
                    payment_id += 1

                designers_here: list[int] = []
                for _ in range(sizes[pi]):
                    for _attempt in range(8):
                        d = sellers[bisect.bisect_left(cum, rnd.random() * cum[-1])]
                        if d not in designers_here:
                            break
                    else:
                        continue
                    designers_here.append(d)
                purchase_total = 0
                needs_address = False
                for d in designers_here:
                    order_id += 1
                    n_lines = lines_per_order[order_id - 1] + carry
                    products = self.designer_products[d]
                    available = bisect.bisect_right(self.designer_product_times[d], created) or len(products)
                    pool = products[:available]
                    if n_lines <= len(pool):
                        picks = [(pid - 1) * vpp + rnd.randrange(vpp) + 1 for pid in rnd.sample(pool, n_lines)]
                    else:  # a small shop: distinct variants, and the lines it cannot take go to the next order
                        every = [(pid - 1) * vpp + v + 1 for pid in pool for v in range(vpp)]
                        picks = rnd.sample(every, min(n_lines, len(every)))
                    carry = n_lines - len(picks)
                    subtotal = 0
                    physical = False
                    lines_here = []
                    for vid in picks:
                        p = (vid - 1) // vpp
                        ptype = self.product_type[p]
                        qty = 1 if ptype == "DIGITAL" else _weighted(rnd, [(1, 80), (2, 15), (3, 5)])
                        price = self.variant_price[vid - 1]
                        total = price * qty
                        subtotal += total
                        physical = physical or ptype == "PHYSICAL"
                        lines_here.append(
                            [
                                order_id,
                                vid,
                                self.product_name[p],
                                self.variant_name[vid - 1],
                                self.variant_sku[vid - 1],
                                ptype,
                                price,
                                qty,
                                total,
                                0,
                            ]
                        )
                    method_name, shipping = "", 0
                    if physical:
                        needs_address = True
                        method_name, price, free_above = rnd.choice(self.designer_shipping[d])
                        shipping = 0 if free_above is not None and subtotal >= free_above else price
                    total = subtotal + shipping
                    # The order's life after payment.
                    status, fulfilled_at, delivered_at, cancelled_at, refunded = "PAID", None, None, None, 0
                    carrier = tracking = ""
                    if cancelled:
                        status, cancelled_at = "CANCELLED", created + 1800
                    else:
                        fulfil = paid_at + rnd.uniform(0.3, 3) * DAY
                        deliver = fulfil + rnd.uniform(1, 5) * DAY
                        if not physical:  # digital: delivered as soon as it is paid
                            fulfil = deliver = paid_at + 5
                        if fulfil < self.until:
                            status, fulfilled_at = "FULFILLED", fulfil
                            if physical:
                                carrier = rnd.choice(carriers)
                                tracking = f"{carrier[:2].upper()}{rnd.randrange(10**9, 10**10)}"
                            if deliver < self.until and (not physical or rnd.random() < 0.95):
                                status, delivered_at = "DELIVERED", deliver
                        roll = rnd.random()
                        if status == "DELIVERED" and age > 7 * DAY and roll < 0.05:
                            if roll < 0.03:
                                status, refunded = "REFUNDED", total
                                for line in lines_here:
                                    line[9] = line[7]
                            else:
                                status, refunded = (
                                    "PARTIALLY_REFUNDED",
                                    min(total, _round_price(subtotal * 0.3) or 1000),
                                )
                    disputed = status in ("REFUNDED", "PARTIALLY_REFUNDED") and rnd.random() < 0.2
                    number = order_number(ORDER_NUMBER_START + order_id - 1)
                    shipped_email = fulfilled_at + 60 if fulfilled_at and physical else None
                    order_rows.append(
                        (
                            order_id,
                            purchase_id,
                            d + 1,
                            number,
                            status,
                            "VND",
                            subtotal,
                            shipping,
                            total,
                            refunded,
                            method_name,
                            address if physical else None,
                            carrier,
                            tracking,
                            disputed,
                            _ts(created),
                            _ts(paid_at) if paid_at else None,
                            _ts(fulfilled_at) if fulfilled_at else None,
                            _ts(delivered_at) if delivered_at else None,
                            _ts(cancelled_at) if cancelled_at else None,
                            _ts(paid_at + 30) if paid_at else None,
                            _ts(shipped_email) if shipped_email else None,
                        )
                    )
                    # Its history, as the services record it.
                    event_rows.append((order_id, E.PLACED, user_id, '{"gateway": "dummy"}', _ts(created)))
                    if cancelled:
                        event_rows.append(
                            (order_id, E.EXPIRED, None, '{"from": "UNPAID", "reason": ""}', _ts(cancelled_at))
                        )
                    else:
                        event_rows.append((order_id, E.PAID, None, f'{{"payment_id": {payment_id}}}', _ts(paid_at)))
                    if fulfilled_at:
                        data = (
                            orjson.dumps({"carrier": carrier, "tracking_number": tracking}).decode()
                            if physical
                            else '{"automatic": true, "digital": true}'
                        )
                        event_rows.append(
                            (
                                order_id,
                                E.FULFILLED,
                                self.designer_user_id(d) if physical else None,
                                data,
                                _ts(fulfilled_at),
                            )
                        )
                    if delivered_at and physical:
                        event_rows.append((order_id, E.DELIVERED, self.designer_user_id(d), "{}", _ts(delivered_at)))
                    if refunded:
                        when = _ts(min(self.until - 60, (delivered_at or created) + 3 * DAY))
                        event_rows.append(
                            (
                                order_id,
                                "REFUNDED",
                                self.staff_id,
                                orjson.dumps(
                                    {
                                        "amount": str(refunded),
                                        "currency": "VND",
                                        "reason": "Hàng bị lỗi khi giao.",
                                        "source": "STAFF",
                                    }
                                ).decode(),
                                when,
                            )
                        )
                    line_rows.extend(tuple(line) for line in lines_here)
                    purchase_total += total
                purchase_rows.append(
                    (
                        purchase_id,
                        _uuid(rnd),
                        user_id,
                        email,
                        "vi" if rnd.random() < 0.85 else "en",
                        "VND",
                        purchase_total,
                        "CANCELLED" if cancelled else "PAID",
                        "dummy",
                        address if needs_address else None,
                        _ts(created),
                        _ts(created + 1800),
                        _ts(paid_at) if paid_at else None,
                        _ts(created + 1800) if cancelled else None,
                        _ts(paid_at + 30) if paid_at else None,
                    )
                )
                if payment_status == "SUCCEEDED":
                    reference = _uuid(rnd).hex
                    payment_rows.append(
                        (
                            payment_id,
                            purchase_id,
                            "dummy",
                            purchase_total,
                            "VND",
                            "SUCCEEDED",
                            f"dummy_pay_{reference}",
                            f"dummy_ch_{reference}",
                            "",
                            f"purchase-{purchase_id}",
                            "",
                            _ts(created + 5),
                            _ts(paid_at),
                        )
                    )
                elif payment_status == "FAILED":
                    payment_rows.append(
                        (
                            payment_id,
                            purchase_id,
                            "dummy",
                            purchase_total,
                            "VND",
                            "FAILED",
                            f"dummy_pay_{_uuid(rnd).hex}",
                            "",
                            "",
                            f"purchase-{purchase_id}",
                            "Card declined.",
                            _ts(created + 5),
                            _ts(created + 10),
                        )
                    )
            Copier(cursor, Purchase, purchase_fields, self.report).write(purchase_rows)
            Copier(cursor, Order, order_fields, self.report).write(order_rows)
            Copier(cursor, OrderLine, line_fields, self.report).write(line_rows)
            Copier(cursor, Payment, payment_fields, self.report).write(payment_rows)
            Copier(cursor, OrderEvent, event_fields, self.report).write(event_rows)
            progress.update(len(order_rows))
        progress.close()
        self._stage("purchases, orders, lines, payments", t)

    # --- sales tracking: the daily rollups and page views ------------------------------------

    def sales_rollups(self, cursor) -> None:
        """The sales rollups the payment services would have kept (designers/sales.py), set-based
        from the seeded orders: a sale on the day it was paid (commission at the designer's rate,
        else the platform's), a refund on the day of its REFUNDED event (commission given back in
        proportion), days in MARKETPLACE_TIME_ZONE; distinct buyers per day; and page views for
        every product day with sales (10-40 per order, deterministic). The seeded orders have no
        ledger, so ``rebuild_sales`` is not the way here."""
        from designers.models import BuyerDay, ProductSalesDay, ProductViewDay, SalesDay

        t = time.monotonic()
        params = {"tz": settings.MARKETPLACE_TIME_ZONE, "rate": str(settings.PLATFORM_COMMISSION_RATE)}
        cursor.execute(
            """
            CREATE TEMP TABLE bench_refunded AS
            SELECT o.id AS order_id, (MIN(e.created_at) AT TIME ZONE %(tz)s)::date AS day
              FROM orders_order o JOIN orders_orderevent e ON e.order_id = o.id AND e.type = 'REFUNDED'
             WHERE o.refunded_amount > 0 AND o.paid_at IS NOT NULL GROUP BY o.id
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO "{SalesDay._meta.db_table}" (designer_id, day, currency, gross, refunds, commission, orders, units)
            SELECT designer_id, day, currency, SUM(gross), SUM(refunds), SUM(commission), SUM(orders), SUM(units)
              FROM (
                SELECT o.designer_id, (o.paid_at AT TIME ZONE %(tz)s)::date AS day, o.currency,
                       o.total_amount::bigint AS gross, 0::bigint AS refunds,
                       ROUND(o.total_amount * COALESCE(d.commission_rate, %(rate)s::numeric))::bigint AS commission,
                       1 AS orders, l.units
                  FROM orders_order o
                  JOIN designers_designer d ON d.id = o.designer_id
                  JOIN (SELECT order_id, SUM(quantity) AS units FROM orders_orderline GROUP BY order_id) l
                    ON l.order_id = o.id
                 WHERE o.paid_at IS NOT NULL
                UNION ALL
                SELECT o.designer_id, r.day, o.currency, 0, o.refunded_amount::bigint,
                       -ROUND(o.refunded_amount * COALESCE(d.commission_rate, %(rate)s::numeric))::bigint, 0, 0
                  FROM bench_refunded r JOIN orders_order o ON o.id = r.order_id
                  JOIN designers_designer d ON d.id = o.designer_id
              ) x
             GROUP BY designer_id, day, currency
            """,
            params,
        )
        self.report.rows[SalesDay._meta.db_table] = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO "{ProductSalesDay._meta.db_table}"
                   (designer_id, product_id, day, currency, revenue, refunds, orders, units)
            SELECT MIN(designer_id), product_id, day, currency, SUM(revenue), SUM(refunds), SUM(orders), SUM(units)
              FROM (
                SELECT o.designer_id, v.product_id, (o.paid_at AT TIME ZONE %(tz)s)::date AS day, o.currency,
                       SUM(l.total_amount)::bigint AS revenue, 0::bigint AS refunds, 1 AS orders,
                       SUM(l.quantity) AS units
                  FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id
                  JOIN catalog_productvariant v ON v.id = l.variant_id
                 WHERE o.paid_at IS NOT NULL
                 GROUP BY o.id, o.designer_id, v.product_id, day, o.currency
                UNION ALL
                SELECT o.designer_id, v.product_id, r.day, o.currency, 0,
                       SUM(l.unit_price_amount * l.refunded_quantity)::bigint, 0, 0
                  FROM bench_refunded r JOIN orders_order o ON o.id = r.order_id
                  JOIN orders_orderline l ON l.order_id = o.id AND l.refunded_quantity > 0
                  JOIN catalog_productvariant v ON v.id = l.variant_id
                 GROUP BY o.id, o.designer_id, v.product_id, r.day, o.currency
              ) x
             GROUP BY product_id, day, currency
            """,
            params,
        )
        self.report.rows[ProductSalesDay._meta.db_table] = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO "{BuyerDay._meta.db_table}" (day, currency, buyer)
            SELECT DISTINCT (o.paid_at AT TIME ZONE %(tz)s)::date, o.currency,
                   CASE WHEN p.user_id IS NOT NULL THEN 'u:' || p.user_id
                        ELSE 'e:' || encode(sha256(convert_to(lower(trim(p.email)), 'UTF8')), 'hex') END
              FROM orders_order o JOIN orders_purchase p ON p.id = o.purchase_id
             WHERE o.paid_at IS NOT NULL
            """,
            params,
        )
        self.report.rows[BuyerDay._meta.db_table] = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO "{ProductViewDay._meta.db_table}" (designer_id, product_id, day, views)
            SELECT designer_id, product_id, day, orders * (10 + abs(hashtext(product_id::text || day::text)) % 31)
              FROM "{ProductSalesDay._meta.db_table}" WHERE orders > 0
            """
        )
        self.report.rows[ProductViewDay._meta.db_table] = cursor.rowcount
        cursor.execute("DROP TABLE bench_refunded")
        self._stage("sales rollups and page views", t)

    @staticmethod
    def _address(rnd: random.Random, name: str) -> str:
        if rnd.random() < 0.6:
            street, ward, district = rnd.choice(words.HANOI_STREETS)
            province = "Hà Nội"
        else:
            street, ward, district, province = rnd.choice(words.OTHER_ADDRESSES)
        phone = "0" + rnd.choice("35789") + "".join(str(rnd.randrange(10)) for _ in range(8))
        return orjson.dumps(
            {
                "recipient_name": name,
                "phone": phone,
                "street_address": f"{rnd.randint(1, 199)} {street}",
                "ward": ward,
                "district": district,
                "province": province,
                "country": "VN",
            }
        ).decode()

    # --- the search table (the catalog's own definition: shop.catalog.services.search) ------

    def search_rows_table(self, cursor) -> None:
        """Fill the search table (``ProductSearch``, one row per product) in one set-based INSERT.

        The folded texts come from ``shop.catalog.services.search.search_texts`` and the listing flag from
        ``is_listed`` (computed in Python while the products are generated) and are staged in a
        temporary table; the vectors are the catalog's ``search_vectors`` expressions, compiled to
        SQL over the staging table's columns, so the seeded rows are exactly what
        ``shop.catalog.services.search.sync_search`` writes on every product write."""
        from django.db.models import TextField
        from django.db.models.expressions import RawSQL
        from django.db.models.sql import Query

        from shop.catalog.models import ProductSearch

        t = time.monotonic()
        cursor.execute("DROP TABLE IF EXISTS pg_temp.bench_search")
        cursor.execute(
            "CREATE TEMP TABLE bench_search (id bigint PRIMARY KEY, designer_id bigint, created_at timestamptz, "
            "listed boolean, name text, tags text, body text) ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY bench_search (id, designer_id, created_at, listed, name, tags, body) FROM STDIN"
        ) as copy:
            for row in self.search_rows:
                copy.write_row(row)
        query = Query(ProductSearch)
        columns = [RawSQL(f"s.{c}", (), output_field=TextField()) for c in ("name", "tags", "body")]
        compiler = query.get_compiler(connection=connection)
        vectors = {
            name: compiler.compile(expression.resolve_expression(query))
            for name, expression in search_vectors(*columns).items()
        }
        names = list(vectors)
        sql = ", ".join(vectors[name][0] for name in names)
        params = [p for name in names for p in vectors[name][1]]
        table = ProductSearch._meta.db_table
        cursor.execute(
            f'INSERT INTO "{table}" (product_id, designer_id, created_at, listed, {", ".join(names)}) '
            f"SELECT s.id, s.designer_id, s.created_at, s.listed, {sql} FROM bench_search AS s",
            params,
        )
        self.report.rows[table] = cursor.rowcount
        cursor.execute("DROP TABLE bench_search")
        self.search_rows = []
        self._stage("search table", t)

    def sequences(self, cursor) -> None:
        from shop.orders.models import Order

        cursor.execute(
            "SELECT setval(%s, %s, false)",
            [ORDER_NUMBER_SEQUENCE, ORDER_NUMBER_START + self.report.rows.get(Order._meta.db_table, 0)],
        )
        for model in apps.get_models(include_auto_created=True):
            if model._meta.app_label not in OUR_APPS or not model._meta.managed:
                continue
            pk = model._meta.pk
            if pk is None or pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            table = model._meta.db_table
            cursor.execute(
                f'SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE((SELECT MAX("{pk.column}") FROM "{table}"), 0) + 1, false)',
                [f'"{table}"', pk.column],
            )


class SeedError(Exception):
    pass
