"""The weekly digest: on Monday morning (marketplace time zone; ``WEEKLY_DIGEST_WEEKDAY`` and
``WEEKLY_DIGEST_HOUR`` choose another day or hour) each approved designer who has not
switched it off (``Designer.weekly_digest``) is emailed last week's numbers against the week
before, its top three products and a bar chart of daily net earnings (a PNG drawn with Pillow,
inline as ``cid:chart``), with the same numbers in text for clients that block images.

Exactly once per designer and week: :func:`queue_due` (Celery beat, hourly by default:
``WEEKLY_DIGEST_CHECK_SECONDS``) writes one ``WeeklyDigest`` row per designer and week (unique: a
second beat, or a second hour of Monday, adds nothing) and queues a send for each unsent row; :func:`send` sends under the row's lock and
marks it sent in the same transaction, so a duplicated task finds it sent. A worker that dies
mid-send leaves the row unsent and the task (acks late) is delivered again; the message keeps a
fixed Message-ID per designer and week, so a mail server that did accept the first copy can
recognise the second.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from designers import sales_selectors as selectors
from designers.models import Designer, DesignerStatus, WeeklyDigest
from designers.sales import marketplace_zone
from designers.tasks import send_weekly_digest
from shop.core import money
from shop.core.emails import send_once, send_templated_email
from shop.core.queueing import enqueue

WEEKDAYS = {"vi": ["T2", "T3", "T4", "T5", "T6", "T7", "CN"], "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
CHART_SIZE = (600, 260)
BACKGROUND = (255, 255, 255)
POSITIVE, NEGATIVE, ZERO = (122, 62, 157), (200, 60, 60), (190, 190, 190)


def last_week(now: datetime | None = None) -> date:
    """The Monday starting the last complete week (marketplace time)."""
    today = (now or timezone.now()).astimezone(marketplace_zone()).date()
    return today - timedelta(days=today.weekday() + 7)


def is_due(now: datetime | None = None) -> bool:
    """From the send day's hour (settings: Monday 07:00 by default, marketplace time) to its end."""
    local = (now or timezone.now()).astimezone(marketplace_zone())
    return local.weekday() == settings.WEEKLY_DIGEST_WEEKDAY and local.hour >= settings.WEEKLY_DIGEST_HOUR


def recipients():
    return Designer.objects.filter(status=DesignerStatus.APPROVED, weekly_digest=True).select_related("user")


def queue_due(now: datetime | None = None, *, force: bool = False) -> list[int]:
    """On the send day from its hour (Monday 07:00 by default; or ``force``): last week's digest
    rows, once per designer, and a send queued after commit for each one not sent yet. Returns the
    rows queued."""
    if not force and not is_due(now):
        return []
    week = last_week(now)
    with transaction.atomic():
        WeeklyDigest.objects.bulk_create(
            [WeeklyDigest(designer_id=pk, week_start=week) for pk in recipients().values_list("pk", flat=True)],
            ignore_conflicts=True,
        )
        ids = list(
            WeeklyDigest.objects.filter(week_start=week, sent_at__isnull=True, designer__weekly_digest=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for pk in ids:
            enqueue(send_weekly_digest, pk)
    return ids


@dataclass
class Digest:
    designer: Designer
    week_start: date
    currency: str
    this_week: selectors.SalesReport
    week_before: selectors.SalesReport
    top: list[selectors.ProductSales]

    @property
    def daily_net(self) -> list[int]:
        return [b.net for b in self.this_week.series]


def build(designer: Designer, week_start: date) -> Digest:
    currency = settings.DEFAULT_CURRENCY
    week_end = week_start + timedelta(days=6)
    this_week = selectors.sales_report(
        designer.pk, start=week_start, end=week_end, granularity="DAY", currency=currency
    )
    before = selectors.sales_report(
        designer.pk,
        start=week_start - timedelta(days=7),
        end=week_start - timedelta(days=1),
        granularity="WEEK",
        currency=currency,
    )
    top = selectors.top_products(this_week, first=3, by="REVENUE")
    return Digest(designer, week_start, currency, this_week, before, top)


def chart_png(values: list[int], labels: list[str], currency: str, language: str = "vi") -> bytes:
    """One bar per day: purple above the zero line for earnings, red below it for a loss, a thin
    grey bar for a day at zero. Every bar touches the zero line's row."""
    width, height = CHART_SIZE
    image = Image.new("RGB", CHART_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    top, bottom, left, right = 30, height - 54, 20, width - 20
    highest, lowest = max([0, *values]), min([0, *values])
    span = (highest - lowest) or 1
    base = top + round((bottom - top) * highest / span)
    slot = (right - left) / len(values)
    for i, value in enumerate(values):
        x0 = round(left + i * slot + slot * 0.18)
        x1 = round(left + (i + 1) * slot - slot * 0.18)
        size = round((bottom - top) * abs(value) / span)
        if value > 0:
            draw.rectangle([x0, base - max(size, 2), x1, base], fill=POSITIVE)
        elif value < 0:
            draw.rectangle([x0, base, x1, base + max(size, 2)], fill=NEGATIVE)
        else:
            draw.rectangle([x0, base - 1, x1, base], fill=ZERO)
        label = labels[i]
        draw.text(((x0 + x1) / 2, height - 14), label, fill=(90, 90, 90), font=font, anchor="mm")
        if value:
            amount = f"{money.from_minor(value, currency):,.{money.exponent(currency)}f}"
            if language == "vi":
                amount = amount.replace(",", "\0").replace(".", ",").replace("\0", ".")
            y = base - max(size, 2) - 9 if value > 0 else base + max(size, 2) + 9
            draw.text(((x0 + x1) / 2, y), amount, fill=(60, 60, 60), font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _change(now: int, before: int) -> str | None:
    if not before:
        return None
    percent = round((now - before) * 100 / abs(before))
    return f"+{percent}%" if percent > 0 else f"{percent}%"


def context(digest: Digest, language: str) -> dict:
    c = digest.currency
    fmt = lambda v: money.format_money(money.from_minor(v, c), c, language)  # noqa: E731
    now, before = digest.this_week.totals, digest.week_before.totals
    labels = WEEKDAYS.get(language, WEEKDAYS["vi"])
    return {
        "designer": digest.designer,
        "week_start": digest.week_start,
        "week_end": digest.week_start + timedelta(days=6),
        "rows": [
            {
                "label": "gross",
                "now": fmt(now.gross),
                "before": fmt(before.gross),
                "change": _change(now.gross, before.gross),
            },
            {"label": "net", "now": fmt(now.net), "before": fmt(before.net), "change": _change(now.net, before.net)},
            {
                "label": "orders",
                "now": now.orders,
                "before": before.orders,
                "change": _change(now.orders, before.orders),
            },
            {"label": "units", "now": now.units, "before": before.units, "change": _change(now.units, before.units)},
            {"label": "views", "now": now.views, "before": before.views, "change": _change(now.views, before.views)},
        ],
        "refunds": fmt(now.refunds),
        "top": [
            {"name": p.product.name if p.product else "—", "units": p.units, "revenue": fmt(p.net_revenue)}
            for p in digest.top
        ],
        "days": [{"label": labels[i], "net": fmt(b.net)} for i, b in enumerate(digest.this_week.series)],
    }


def render(digest: Digest, language: str) -> tuple[dict, bytes]:
    labels = WEEKDAYS.get(language, WEEKDAYS["vi"])
    return context(digest, language), chart_png(digest.daily_net, labels, digest.currency, language)


def message(digest: Digest, *, connection=None) -> dict:
    """The digest's email, as :func:`send_templated_email`'s arguments."""
    user = digest.designer.user
    language = user.language if user.language in WEEKDAYS else "vi"
    ctx, png = render(digest, language)
    return {
        "name": "weekly_digest",
        "language": language,
        "to": [user.email],
        "context": ctx,
        "inline_images": {"chart": png},
        "headers": {"Message-ID": f"<digest-{digest.designer.pk}-{digest.week_start.isoformat()}@rethink.market>"},
        "connection": connection,
    }


def deliver(digest: Digest, *, connection=None) -> None:
    send_templated_email(**message(digest, connection=connection))


def send(digest_id: int) -> bool:
    """Send one digest row if it is not sent yet (under its lock, ``send_once``); True when sent now."""
    return send_once(
        WeeklyDigest.objects.select_related("designer__user"),
        digest_id,
        lambda row: message(build(row.designer, row.week_start)) if row.designer.weekly_digest else None,
        sent_field="sent_at",
    )
