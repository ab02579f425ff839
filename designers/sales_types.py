"""GraphQL of sales tracking: ``Designer.sales`` (the designer itself and staff) and
``marketplaceStats`` (staff). The rules are designers/sales_selectors.py's; this module only
validates arguments, calls the selectors and shapes Money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import graphene
from django.conf import settings
from django.utils.translation import gettext as _

from designers import sales_selectors as selectors
from designers.selectors import can_see_private
from graphql import GraphQLError
from shop.core import money
from shop.core.errors import ServiceError
from shop.core.graphql import api_field, current_user, enum_value, require_staff
from shop.core.money_type import Money

RULES = (
    "Only paid money counts: an order counts on the day it was paid (gross sales, commission, orders, units); "
    "an unpaid order, or one cancelled before it was paid, never does. A refund counts on the day it is made, "
    "not the day of the sale; a lost dispute counts like a refund, a won dispute gives it back. A paid order "
    "that staff cancel stays a sale until it is refunded. Days are calendar days in the marketplace time zone "
    "(MARKETPLACE_TIME_ZONE, Asia/Ho_Chi_Minh by default: an order paid at 23:30 in Hanoi belongs to that day); "
    "weeks start on Monday; every bucket of the period is present (zeros where nothing sold). netEarnings = "
    "grossSales - refunds - commission. A period is whole days `from`..`to`, both included: `from` after `to` "
    "is INVALID_PERIOD; more than 3 years at DAY or more than 10 years at any granularity is PERIOD_TOO_LONG "
    "(top-level errors with `extensions.code` and `extensions.field`)."
)


class SalesGranularity(graphene.Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class TopProductsBy(graphene.Enum):
    REVENUE = "REVENUE"
    UNITS = "UNITS"


class SalesPeriodInput(graphene.InputObjectType):
    from_ = graphene.Date(name="from", required=True, description="First day (marketplace time zone), included.")
    to = graphene.Date(required=True, description="Last day, included.")


def _money(value: int, currency: str) -> Money:
    return Money(amount=money.from_minor(value, currency), currency=currency)


def _ratio(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _report_args(period, granularity, currency):
    start, end = period["from_"], period["to"]
    granularity = enum_value(granularity) or "DAY"
    currency = (currency or settings.DEFAULT_CURRENCY).upper()
    return {"start": start, "end": end, "granularity": granularity, "currency": currency}


def query_error(exc: ServiceError) -> GraphQLError:
    """A refused argument of a query: a top-level error with the code and the field (as the API
    names it, ``api_field``) in extensions."""
    error = exc.errors[0]
    return GraphQLError(error.message, extensions={"code": error.code, "field": api_field(error.field)})


class SalesBucket(graphene.ObjectType):
    start = graphene.Date(required=True, description="First day of the bucket (a Monday for WEEK, the 1st for MONTH).")
    gross_sales = graphene.Field(Money, required=True)
    refunds = graphene.Field(Money, required=True)
    commission = graphene.Field(Money, required=True)
    net_earnings = graphene.Field(Money, required=True)
    orders = graphene.Int(required=True, description="Orders paid.")
    units = graphene.Int(required=True, description="Units in the orders paid.")
    views = graphene.Int(required=True, description="Product views (one per visitor, product and day).")

    @staticmethod
    def of(bucket: selectors.Bucket, currency: str) -> SalesBucket:
        return SalesBucket(
            start=bucket.start,
            gross_sales=_money(bucket.gross, currency),
            refunds=_money(bucket.refunds, currency),
            commission=_money(bucket.commission, currency),
            net_earnings=_money(bucket.net, currency),
            orders=bucket.orders,
            units=bucket.units,
            views=bucket.views,
        )


class ProductSales(graphene.ObjectType):
    product = graphene.Field("shop.catalog.types.ProductNode", description="Null if the product was deleted.")
    units = graphene.Int(required=True, description="Units sold in the period.")
    orders = graphene.Int(required=True, description="Paid orders containing the product.")
    revenue = graphene.Field(Money, required=True, description="Value of its lines sold, minus its lines refunded.")
    refunds = graphene.Field(Money, required=True, description="Value of its lines refunded (by line).")
    views = graphene.Int(required=True)
    conversion = graphene.Float(description="orders ÷ views (null without views).")


class DesignerSales(graphene.ObjectType):
    class Meta:
        description = "A designer's sales over a period. " + RULES

    currency = graphene.String(required=True)
    gross_sales = graphene.Field(Money, required=True, description="Totals of the orders paid (shipping included).")
    refunds = graphene.Field(Money, required=True, description="Refunds made and disputes lost, minus disputes won.")
    commission = graphene.Field(
        Money, required=True, description="The platform's commission, net of what it gave back."
    )
    net_earnings = graphene.Field(Money, required=True)
    orders = graphene.Int(required=True, description="Orders paid.")
    units = graphene.Int(required=True)
    average_order_value = graphene.Field(Money, required=True, description="grossSales ÷ orders (0 without orders).")
    views = graphene.Int(required=True)
    conversion = graphene.Float(description="Paid orders ÷ product views (null without views).")
    series = graphene.List(graphene.NonNull(SalesBucket), required=True)
    top_products = graphene.List(
        graphene.NonNull(ProductSales),
        required=True,
        first=graphene.Int(default_value=5, description="1-100."),
        by=graphene.Argument(TopProductsBy, default_value="REVENUE"),
        description="Best sellers of the period by revenue (net of line refunds) or units; ties by the other, then age.",
    )

    @staticmethod
    def of(report: selectors.SalesReport) -> DesignerSales:
        t, c = report.totals, report.currency
        aov = money.quantize(money.from_minor(t.gross, c) / t.orders, c) if t.orders else money.from_minor(0, c)
        value = DesignerSales(
            currency=c,
            gross_sales=_money(t.gross, c),
            refunds=_money(t.refunds, c),
            commission=_money(t.commission, c),
            net_earnings=_money(t.net, c),
            orders=t.orders,
            units=t.units,
            average_order_value=Money(amount=aov, currency=c),
            views=t.views,
            conversion=_ratio(t.orders, t.views),
            series=[SalesBucket.of(b, c) for b in report.series],
        )
        value.report = report
        return value

    def resolve_top_products(root, info, first=5, by="REVENUE"):
        if not 1 <= first <= 100:
            raise GraphQLError(
                _("`first` must be between 1 and 100."), extensions={"code": "INVALID", "field": "first"}
            )
        by = enum_value(by)
        c = root.report.currency
        return [
            ProductSales(
                product=row.product,
                units=row.units,
                orders=row.orders,
                revenue=_money(row.net_revenue, c),
                refunds=_money(row.refunds, c),
                views=row.views,
                conversion=_ratio(row.orders, row.views),
            )
            for row in selectors.top_products(root.report, first=first, by=by)
        ]


class DesignerSalesFields:
    """``Designer.sales`` (mixed into designers.types.DesignerType): null for anyone but the
    designer itself and staff."""

    sales = graphene.Field(
        DesignerSales,
        period=graphene.Argument(SalesPeriodInput, required=True),
        granularity=graphene.Argument(SalesGranularity, default_value="DAY"),
        currency=graphene.String(description="ISO 4217; the default currency (the shop's) when omitted."),
        description="How the shop sells: the designer itself and staff only (null for anyone else). " + RULES,
    )

    weekly_digest = graphene.Boolean(
        description="Monday's email with last week's sales is on (designerUpdate switches it); the designer itself "
        "and staff only."
    )

    def resolve_weekly_digest(root, info):
        return root.weekly_digest if can_see_private(current_user(info), root) else None

    def resolve_sales(root, info, period, granularity="DAY", currency=None):
        user = current_user(info)
        if not can_see_private(user, root):
            return None
        try:
            report = selectors.designer_sales(user, root, **_report_args(period, granularity, currency))
        except ServiceError as exc:
            raise query_error(exc)
        return DesignerSales.of(report)


# --- staff -------------------------------------------------------------------------------------------


class DesignerSalesRank(graphene.ObjectType):
    designer = graphene.Field("designers.types.DesignerType")
    gross_sales = graphene.Field(Money, required=True)
    net_earnings = graphene.Field(Money, required=True)
    commission = graphene.Field(Money, required=True)
    orders = graphene.Int(required=True)


class MarketplaceStats(graphene.ObjectType):
    class Meta:
        description = "The marketplace over a period (staff). " + RULES

    currency = graphene.String(required=True)
    gross_merchandise_value = graphene.Field(Money, required=True, description="Totals of the orders paid.")
    commission = graphene.Field(Money, required=True, description="Commission earned, net of what was given back.")
    refunds = graphene.Field(Money, required=True)
    paid_orders = graphene.Int(required=True)
    units = graphene.Int(required=True)
    buyers = graphene.Int(required=True, description="Distinct buyers (accounts, or guest emails) who paid an order.")
    active_designers = graphene.Int(required=True, description="Designers with at least one paid order.")
    new_applications = graphene.Int(required=True, description="Applications to sell (first or renewed).")
    median_hours_to_decision = graphene.Float(
        description="Median hours from application to approval or rejection, over the decisions of the period."
    )
    series = graphene.List(graphene.NonNull(SalesBucket), required=True)
    top_designers = graphene.List(
        graphene.NonNull(DesignerSalesRank),
        required=True,
        first=graphene.Int(default_value=10, description="1-100."),
        description="Designers by gross sales in the period.",
    )

    def resolve_top_designers(root, info, first=10):
        if not 1 <= first <= 100:
            raise GraphQLError(
                _("`first` must be between 1 and 100."), extensions={"code": "INVALID", "field": "first"}
            )
        c = root.report.currency
        return [
            DesignerSalesRank(
                designer=rank.designer,
                gross_sales=_money(rank.gross, c),
                net_earnings=_money(rank.net, c),
                commission=_money(rank.commission, c),
                orders=rank.orders,
            )
            for rank in selectors.top_designers(root.report, first=first)
        ]


class SalesQueries(graphene.ObjectType):
    marketplace_stats = graphene.Field(
        graphene.NonNull(MarketplaceStats),
        period=graphene.Argument(SalesPeriodInput, required=True),
        granularity=graphene.Argument(SalesGranularity, default_value="DAY"),
        currency=graphene.String(description="ISO 4217; the default currency when omitted."),
        description="Staff only.",
    )

    def resolve_marketplace_stats(root, info, period, granularity="DAY", currency=None):
        user = require_staff(info)
        try:
            report = selectors.marketplace_stats(user, **_report_args(period, granularity, currency))
        except ServiceError as exc:
            raise query_error(exc)
        t, c, extra = report.totals, report.currency, report.extra
        value = MarketplaceStats(
            currency=c,
            gross_merchandise_value=_money(t.gross, c),
            commission=_money(t.commission, c),
            refunds=_money(t.refunds, c),
            paid_orders=t.orders,
            units=t.units,
            buyers=extra["buyers"],
            active_designers=extra["active_designers"],
            new_applications=extra["new_applications"],
            median_hours_to_decision=extra["median_hours_to_decision"],
            series=[SalesBucket.of(b, c) for b in report.series],
        )
        value.report = report
        return value
