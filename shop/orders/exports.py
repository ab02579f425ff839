"""CSV exports: ``ordersExport`` (a designer its own orders, staff all) and ``salesExport`` (a
designer its sales series, staff the marketplace's), written by a Celery task to the private
storage and fetched through a signed link valid ``EXPORT_LINK_TTL_SECONDS`` (24 h).

The file is UTF-8 with a BOM and CRLF line ends (Excel opens Vietnamese text correctly); amounts
are plain decimals in the currency's unit (VND: integers). Orders are read in keyset batches of
``EXPORT_BATCH_SIZE`` (``id > last ORDER BY id LIMIT n``) and written to a temporary file, so a
100,000-order export holds one batch in memory at a time. Each run claims the job with a token of
its own: a duplicated or retried task takes it over, and only the run that still owns the job
finishes it. Jobs and their files are deleted after ``EXPORT_RETENTION_DAYS`` (7) by a daily task.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from designers import sales_selectors
from designers.models import Designer
from designers.sales import marketplace_zone
from designers.selectors import designer_of
from shop.accounts.models import User
from shop.core import money
from shop.core.errors import PermissionDenied
from shop.core.queueing import enqueue
from shop.core.storage import private_storage, random_name
from shop.orders import selectors, tasks
from shop.orders.models import ExportJob, Order, OrderLine

LINK_SALT = "shop.orders.export-link"
S = ExportJob.Status


def _scope(user: User) -> Designer | None:
    """The designer whose data ``user`` exports (None: staff, everything)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied()
    if user.is_staff:
        return None
    designer = designer_of(user)
    if designer is None:
        raise PermissionDenied(_("Only designers and staff can export."))
    return designer


def _start(user: User, designer: Designer | None, kind: str, params: dict) -> ExportJob:
    job = ExportJob.objects.create(user=user, designer=designer, kind=kind, params=params)
    enqueue(tasks.run_export, job.pk)
    return job


@transaction.atomic
def start_orders_export(*, user: User, filters: dict) -> ExportJob:
    designer = _scope(user)
    params = {
        "status": list(filters.get("status") or []),
        "created_gte": filters["created_gte"].isoformat() if filters.get("created_gte") else None,
        "created_lte": filters["created_lte"].isoformat() if filters.get("created_lte") else None,
    }
    return _start(user, designer, ExportJob.Kind.ORDERS, params)


@transaction.atomic
def start_sales_export(*, user: User, start: date, end: date, granularity: str, currency: str) -> ExportJob:
    designer = _scope(user)
    sales_selectors.check_period(start, end, granularity)
    params = {"start": start.isoformat(), "end": end.isoformat(), "granularity": granularity, "currency": currency}
    return _start(user, designer, ExportJob.Kind.SALES, params)


# --- the task ----------------------------------------------------------------------------------------


def _claim(job_id: int) -> tuple[ExportJob | None, str]:
    token = uuid.uuid4().hex
    claimed = ExportJob.objects.filter(pk=job_id, status__in=[S.PENDING, S.RUNNING]).update(
        status=S.RUNNING, run_token=token, progress=0
    )
    return (ExportJob.objects.filter(pk=job_id).first() if claimed else None), token


def _progress(job: ExportJob, token: str, done: int, total: int) -> None:
    percent = min(99, done * 100 // total) if total else 99
    ExportJob.objects.filter(pk=job.pk, run_token=token).update(progress=percent)


def _local(value) -> str:
    return value.astimezone(marketplace_zone()).strftime("%Y-%m-%d %H:%M") if value else ""


def _amount(value, currency: str) -> str:
    return str(money.quantize(value, currency))


def _order_rows(job: ExportJob, token: str):
    params = job.params
    qs = selectors.filtered(
        Order.objects.all(),
        status=params.get("status"),
        created_gte=params.get("created_gte"),
        created_lte=params.get("created_lte"),
        designer_id=job.designer_id,
    )
    staff = job.designer_id is None
    header = ["number", "created", "paid", "status", "designer", "currency", "subtotal", "shipping", "total"]
    header += ["refunded", "units", "products", "province"] + (["buyer_email"] if staff else [])
    yield header
    total = qs.count()
    batch = settings.EXPORT_BATCH_SIZE
    last, done = 0, 0
    while True:
        orders = list(
            qs.filter(pk__gt=last)
            .order_by("pk")
            .select_related("designer", "purchase")
            .only(
                "pk",
                "number",
                "created_at",
                "paid_at",
                "status",
                "currency",
                "subtotal_amount",
                "shipping_amount",
                "total_amount",
                "refunded_amount",
                "shipping_address",
                "designer__display_name",
                "purchase__email",
            )[:batch]
        )
        if not orders:
            break
        lines: dict[int, list] = {}
        for order_id, name, quantity in (
            OrderLine.objects.filter(order_id__in=[o.pk for o in orders])
            .order_by("order_id", "pk")
            .values_list("order_id", "product_name", "quantity")
        ):
            lines.setdefault(order_id, []).append((name, quantity))
        for o in orders:
            items = lines.get(o.pk, [])
            row = [
                o.number,
                _local(o.created_at),
                _local(o.paid_at),
                o.status,
                o.designer.display_name,
                o.currency,
                _amount(o.subtotal_amount, o.currency),
                _amount(o.shipping_amount, o.currency),
                _amount(o.total_amount, o.currency),
                _amount(o.refunded_amount, o.currency),
                sum(q for _n, q in items),
                "; ".join(f"{n} x{q}" for n, q in items),
                (o.shipping_address or {}).get("province", ""),
            ]
            if staff:
                row.append(o.purchase.email)
            yield row
        last = orders[-1].pk
        done += len(orders)
        _progress(job, token, done, total)


def _sales_rows(job: ExportJob, token: str):
    p = job.params
    args = {
        "start": date.fromisoformat(p["start"]),
        "end": date.fromisoformat(p["end"]),
        "granularity": p["granularity"],
        "currency": p["currency"],
    }
    if job.designer_id is not None:
        report = sales_selectors.sales_report(job.designer_id, **args)
    else:
        report = sales_selectors.marketplace_stats(job.user, **args)
    c = report.currency
    yield ["start", "currency", "gross_sales", "refunds", "commission", "net_earnings", "orders", "units", "views"]
    for b in report.series:
        m = lambda v: _amount(money.from_minor(v, c), c)  # noqa: E731
        yield [b.start.isoformat(), c, m(b.gross), m(b.refunds), m(b.commission), m(b.net), b.orders, b.units, b.views]


def run(job_id: int) -> bool:
    """Write the job's CSV (the Celery task). True when this run finished it."""
    job, token = _claim(job_id)
    if job is None:
        return False
    rows = _order_rows(job, token) if job.kind == ExportJob.Kind.ORDERS else _sales_rows(job, token)
    count = -1  # the header is not a row
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        for row in rows:
            writer.writerow(row)
            count += 1
        text.flush()
        raw.seek(0)
        name = private_storage().save(random_name("exports", "csv"), File(raw))
        text.detach()
    finished = ExportJob.objects.filter(pk=job.pk, run_token=token).update(
        status=S.DONE, progress=100, row_count=count, file_name=name, finished_at=timezone.now()
    )
    if not finished:  # another run took the job over meanwhile: its file is the one kept
        private_storage().delete(name)
    return bool(finished)


def fail(job_id: int, error: str) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status=S.DONE).update(status=S.FAILED, error=error[:2000])


# --- reading and downloading ------------------------------------------------------------------------


def job_for(user, pk) -> ExportJob | None:
    """A job is its owner's alone (staff too see only their own)."""
    if user is None or not user.is_authenticated:
        return None
    return ExportJob.objects.filter(pk=pk, user_id=user.pk).first()


def download_path(job: ExportJob) -> str | None:
    """The signed link of a finished job (valid EXPORT_LINK_TTL_SECONDS from now)."""
    if job.status != S.DONE or not job.file_name:
        return None
    token = signing.TimestampSigner(salt=LINK_SALT).sign(f"{job.pk}:{job.run_token}")
    return reverse("export-download", args=[token])


def job_by_link(token: str) -> tuple[ExportJob | None, str]:
    """(job, "") for a valid link; (None, "NOT_FOUND" | "EXPIRED") otherwise."""
    signer = signing.TimestampSigner(salt=LINK_SALT)
    try:
        value = signer.unsign(token, max_age=settings.EXPORT_LINK_TTL_SECONDS)
    except signing.SignatureExpired:
        return None, "EXPIRED"
    except signing.BadSignature:
        return None, "NOT_FOUND"
    pk, _sep, run_token = value.partition(":")
    job = ExportJob.objects.filter(pk=int(pk), run_token=run_token, status=S.DONE).first() if pk.isdigit() else None
    return job, "" if job else "NOT_FOUND"


def purge(now=None) -> int:
    """Jobs (and their files) older than EXPORT_RETENTION_DAYS are deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    old = list(ExportJob.objects.filter(created_at__lt=cutoff))
    for job in old:
        if job.file_name:
            private_storage().delete(job.file_name)
    ExportJob.objects.filter(pk__in=[j.pk for j in old]).delete()
    return len(old)
