"""GraphQL of CSV exports: ``ordersExport``, ``salesExport`` and ``exportJob`` (shop/orders/exports.py)."""

from __future__ import annotations

from datetime import timedelta

import graphene
from django.conf import settings
from django.utils import timezone
from graphene import relay
from graphene_django import DjangoObjectType

from designers.sales_types import SalesGranularity, SalesPeriodInput
from shop.core.graphql import BaseMutation, current_user, error_codes, error_type, require_user
from shop.core.ids import parse_global_id
from shop.orders import errors, exports
from shop.orders.models import ExportJob
from shop.orders.types import OrderFilterInput, filter_kwargs


class ExportStatusEnum(graphene.Enum):
    class Meta:
        name = "ExportStatus"

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class ExportKindEnum(graphene.Enum):
    class Meta:
        name = "ExportKind"

    ORDERS = "ORDERS"
    SALES = "SALES"


ExportErrorCode = error_codes(errors.ExportErrorCode)


ExportError = error_type("ExportError", ExportErrorCode)


class ExportJobType(DjangoObjectType):
    """A CSV export (UTF-8 with BOM, CRLF; amounts as plain numbers, VND without decimals), for the
    one who asked for it only. Poll it until `status` is DONE: `url` is then a signed link valid 24
    hours. Jobs and files are deleted after 7 days."""

    status = graphene.Field(ExportStatusEnum, required=True)
    kind = graphene.Field(ExportKindEnum, required=True)
    progress = graphene.Int(required=True, description="Percent done.")
    row_count = graphene.Int(required=True)
    url = graphene.String(description="The signed download link once DONE (valid 24 hours from this answer).")
    expires_at = graphene.DateTime(description="When a link given now stops working.")

    class Meta:
        model = ExportJob
        name = "ExportJob"
        interfaces = (relay.Node,)
        fields = ("id", "created_at", "finished_at")

    def resolve_status(root, info):
        return str(root.status)

    def resolve_kind(root, info):
        return str(root.kind)

    def resolve_url(root, info):
        path = exports.download_path(root)
        return info.context.build_absolute_uri(path) if path else None

    def resolve_expires_at(root, info):
        if root.status != ExportJob.Status.DONE:
            return None
        return timezone.now() + timedelta(seconds=settings.EXPORT_LINK_TTL_SECONDS)

    @classmethod
    def get_node(cls, info, id):
        return exports.job_for(current_user(info), id)


class ExportMutation(BaseMutation):
    class Meta:
        abstract = True

    error_codes = ExportErrorCode
    errors = graphene.List(graphene.NonNull(ExportError), required=True)
    export_job = graphene.Field(ExportJobType)


class OrdersExport(ExportMutation):
    """Export orders as CSV: a designer its own, staff every designer's (with the buyer's email)."""

    class Arguments:
        filter = OrderFilterInput()

    @classmethod
    def perform(cls, root, info, filter=None):
        kwargs = filter_kwargs(filter)
        kwargs.pop("search", None)
        return cls(export_job=exports.start_orders_export(user=require_user(info), filters=kwargs))


class SalesExport(ExportMutation):
    """Export the sales series as CSV: a designer its own, staff the marketplace's."""

    class Arguments:
        period = SalesPeriodInput(required=True)
        granularity = SalesGranularity(default_value="DAY")
        currency = graphene.String()

    @classmethod
    def perform(cls, root, info, period, granularity="DAY", currency=None):
        granularity = granularity.value if hasattr(granularity, "value") else granularity
        job = exports.start_sales_export(
            user=require_user(info),
            start=period["from_"],
            end=period["to"],
            granularity=granularity,
            currency=(currency or settings.DEFAULT_CURRENCY).upper(),
        )
        return cls(export_job=job)


class ExportQueries(graphene.ObjectType):
    export_job = graphene.Field(ExportJobType, id=graphene.ID(required=True), description="Your own exports only.")

    def resolve_export_job(root, info, id):
        parsed = parse_global_id(id, "ExportJob")
        return exports.job_for(current_user(info), parsed[1]) if parsed else None


class ExportMutations(graphene.ObjectType):
    orders_export = OrdersExport.Field()
    sales_export = SalesExport.Field()
