"""Sales tracking reads: a designer's sales and the marketplace's stats, from the daily rollups
only (``SalesDay``, ``ProductSalesDay``, ``ProductViewDay``, ``BuyerDay``), never from orders.

What counts (the rollups are written by the rules of designers/sales.py): only paid money; an
order on the day it was paid; a refund, a lost dispute (like a refund) and a won dispute (given
back) on the day they happen; calendar days in ``settings.MARKETPLACE_TIME_ZONE``; weeks start on
Monday; every bucket of the period is present, zero when nothing happened. Net earnings = gross
sales - refunds - commission (commission net of what was given back with refunds and disputes).

Periods are whole days ``start``..``end`` (both included); a bucket that begins before ``start``
(a week or month cut by the period) holds only the period's days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from designers.errors import SalesErrorCode
from designers.models import Designer, DesignerStatusChange, ProductSalesDay, ProductViewDay, SalesDay
from designers.sales import marketplace_zone
from designers.selectors import can_see_private
from shop.catalog.models import Product
from shop.catalog.selectors.products import with_list_relations
from shop.core.errors import PermissionDenied, ServiceError

DAY, WEEK, MONTH = "DAY", "WEEK", "MONTH"
GRANULARITIES = (DAY, WEEK, MONTH)
MAX_DAYS_AT_DAY = 3 * 365 + 1  # three years of daily buckets
MAX_DAYS = 10 * 365 + 3  # ten years at any granularity


def check_period(start: date, end: date, granularity: str) -> None:
    """A period is refused with a code: INVALID_PERIOD (from after to, unknown granularity),
    PERIOD_TOO_LONG (more than 3 years at DAY, more than 10 years at any granularity)."""
    if granularity not in GRANULARITIES:
        raise ServiceError(SalesErrorCode.INVALID_PERIOD, _("Unknown granularity."), "granularity")
    if start > end:
        raise ServiceError(SalesErrorCode.INVALID_PERIOD, _("The period must not end before it starts."), "period")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise ServiceError(SalesErrorCode.PERIOD_TOO_LONG, _("A period can be at most 10 years long."), "period")
    if granularity == DAY and days > MAX_DAYS_AT_DAY:
        raise ServiceError(
            SalesErrorCode.PERIOD_TOO_LONG,
            _("Daily figures cover at most 3 years: choose WEEK or MONTH."),
            "granularity",
        )


def bucket_start(day: date, granularity: str) -> date:
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == MONTH:
        return day.replace(day=1)
    return day


def bucket_starts(start: date, end: date, granularity: str) -> list[date]:
    starts, current = [], bucket_start(start, granularity)
    while current <= end:
        starts.append(current)
        if granularity == DAY:
            current += timedelta(days=1)
        elif granularity == WEEK:
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return starts


def _bucket_expression(granularity: str):
    if granularity == WEEK:
        return TruncWeek("day")
    if granularity == MONTH:
        return TruncMonth("day")
    return F("day")


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass
class Bucket:
    start: date
    gross: int = 0
    refunds: int = 0
    commission: int = 0
    orders: int = 0
    units: int = 0
    views: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunds - self.commission

    def add(self, other: Bucket) -> None:
        for name in ("gross", "refunds", "commission", "orders", "units", "views"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ProductSales:
    product_id: int
    revenue: int
    refunds: int
    orders: int
    units: int
    views: int = 0
    product: object = None

    @property
    def net_revenue(self) -> int:
        return self.revenue - self.refunds


@dataclass
class SalesReport:
    currency: str
    start: date
    end: date
    granularity: str
    series: list[Bucket]
    totals: Bucket
    designer_id: int | None = None
    extra: dict = field(default_factory=dict)


def _series(qs, start: date, end: date, granularity: str, *, views=None) -> tuple[list[Bucket], Bucket]:
    by_start = {s: Bucket(start=s) for s in bucket_starts(start, end, granularity)}
    rows = (
        qs.filter(day__gte=start, day__lte=end)
        .annotate(bucket=_bucket_expression(granularity))
        .values("bucket")
        .order_by()
        .annotate(g=Sum("gross"), r=Sum("refunds"), c=Sum("commission"), o=Sum("orders"), u=Sum("units"))
    )
    for row in rows:
        bucket = by_start[_as_date(row["bucket"])]
        bucket.gross, bucket.refunds, bucket.commission = int(row["g"]), int(row["r"]), int(row["c"])
        bucket.orders, bucket.units = int(row["o"]), int(row["u"])
    if views is not None:
        for row in (
            views.filter(day__gte=start, day__lte=end)
            .annotate(bucket=_bucket_expression(granularity))
            .values("bucket")
            .order_by()
            .annotate(v=Sum("views"))
        ):
            by_start[_as_date(row["bucket"])].views = int(row["v"])
    series = list(by_start.values())
    totals = Bucket(start=start)
    for bucket in series:
        totals.add(bucket)
    return series, totals


# --- a designer ------------------------------------------------------------------------------------


def designer_sales(user, designer: Designer, *, start: date, end: date, granularity: str, currency: str) -> SalesReport:
    """A designer's sales over a period (two queries): the designer itself and staff only."""
    if not can_see_private(user, designer):
        raise PermissionDenied()
    check_period(start, end, granularity)
    return sales_report(designer.pk, start=start, end=end, granularity=granularity, currency=currency)


def sales_report(designer_id: int, *, start: date, end: date, granularity: str, currency: str) -> SalesReport:
    """:func:`designer_sales` without the caller's checks (the weekly digest, exports)."""
    series, totals = _series(
        SalesDay.objects.filter(designer_id=designer_id, currency=currency),
        start,
        end,
        granularity,
        views=ProductViewDay.objects.filter(designer_id=designer_id),
    )
    return SalesReport(
        currency=currency,
        start=start,
        end=end,
        granularity=granularity,
        series=series,
        totals=totals,
        designer_id=designer_id,
    )


def top_products(report: SalesReport, *, first: int, by: str) -> list[ProductSales]:
    """The designer's best products of the report's period, by net revenue (REVENUE) or units
    sold (UNITS), with their views and the products themselves (four queries)."""
    first = max(1, min(int(first), 100))
    qs = (
        ProductSalesDay.objects.filter(
            designer_id=report.designer_id, currency=report.currency, day__gte=report.start, day__lte=report.end
        )
        .values("product_id")
        .order_by()
        .annotate(rev=Sum("revenue"), ref=Sum("refunds"), o=Sum("orders"), u=Sum("units"))
        .annotate(net=F("rev") - F("ref"))
    )
    ordering = ("-u", "-net", "product_id") if by == "UNITS" else ("-net", "-u", "product_id")
    rows = [
        ProductSales(r["product_id"], int(r["rev"]), int(r["ref"]), int(r["o"]), int(r["u"]))
        for r in qs.order_by(*ordering)[:first]
    ]
    if not rows:
        return rows
    ids = [r.product_id for r in rows]
    views = dict(
        ProductViewDay.objects.filter(product_id__in=ids, day__gte=report.start, day__lte=report.end)
        .values("product_id")
        .order_by()
        .annotate(v=Sum("views"))
        .values_list("product_id", "v")
    )
    # with designer and first image (a card with its thumbnail), in a constant number of queries
    products = {
        p.pk: p for p in with_list_relations(Product.objects.filter(pk__in=ids), relations=frozenset({"thumbnail"}))
    }
    for row in rows:
        row.views = int(views.get(row.product_id, 0))
        row.product = products.get(row.product_id)
    return rows


# --- the marketplace (staff) -----------------------------------------------------------------------


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = marketplace_zone()
    return datetime.combine(start, time.min, zone), datetime.combine(end + timedelta(days=1), time.min, zone)


def marketplace_stats(user, *, start: date, end: date, granularity: str, currency: str) -> SalesReport:
    """The whole marketplace over a period: staff only. ``extra``: buyers, active designers, new
    applications and the median hours from application to decision."""
    if user is None or not user.is_authenticated or not user.is_staff:
        raise PermissionDenied()
    check_period(start, end, granularity)
    days = SalesDay.objects.filter(currency=currency)
    series, totals = _series(days, start, end, granularity)
    active = days.filter(day__gte=start, day__lte=end, orders__gt=0).aggregate(n=Count("designer_id", distinct=True))[
        "n"
    ]
    from_, to = _utc_bounds(start, end)
    applications = DesignerStatusChange.objects.filter(
        to_status="PENDING", created_at__gte=from_, created_at__lt=to
    ).count()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT COUNT(DISTINCT buyer) FROM designers_buyerday
                     WHERE currency = %s AND day >= %s AND day <= %s),
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM d.created_at - a.created_at))
                      FROM designers_designerstatuschange d
                      JOIN LATERAL (SELECT created_at FROM designers_designerstatuschange a
                                     WHERE a.designer_id = d.designer_id AND a.to_status = 'PENDING'
                                       AND a.created_at <= d.created_at
                                     ORDER BY a.created_at DESC, a.id DESC LIMIT 1) a ON TRUE
                     WHERE d.from_status = 'PENDING' AND d.to_status IN ('APPROVED', 'REJECTED')
                       AND d.created_at >= %s AND d.created_at < %s)
            """,
            [currency, start, end, from_, to],
        )
        buyers, median_seconds = cursor.fetchone()
    return SalesReport(
        currency=currency,
        start=start,
        end=end,
        granularity=granularity,
        series=series,
        totals=totals,
        extra={
            "buyers": int(buyers or 0),
            "active_designers": int(active or 0),
            "new_applications": applications,
            "median_hours_to_decision": None if median_seconds is None else round(float(median_seconds) / 3600, 2),
        },
    )


@dataclass
class DesignerRank:
    designer_id: int
    gross: int
    refunds: int
    commission: int
    orders: int
    designer: object = None

    @property
    def net(self) -> int:
        return self.gross - self.refunds - self.commission


def top_designers(report: SalesReport, *, first: int) -> list[DesignerRank]:
    """The designers who sold most (gross) in the report's period, with the designers (two queries)."""
    first = max(1, min(int(first), 100))
    rows = (
        SalesDay.objects.filter(currency=report.currency, day__gte=report.start, day__lte=report.end)
        .values("designer_id")
        .order_by()
        .annotate(
            g=Sum("gross"),
            r=Sum("refunds"),
            c=Sum("commission"),
            o=Coalesce(Sum("orders"), 0, output_field=IntegerField()),
        )
        .filter(~Q(g=0) | ~Q(o=0))
        .order_by("-g", "designer_id")[:first]
    )
    ranks = [DesignerRank(r["designer_id"], int(r["g"]), int(r["r"]), int(r["c"]), int(r["o"])) for r in rows]
    designers = Designer.objects.in_bulk([r.designer_id for r in ranks])
    for rank in ranks:
        rank.designer = designers.get(rank.designer_id)
    return ranks
