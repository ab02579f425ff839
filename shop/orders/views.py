"""Digital goods are streamed only through their signed, expiring, count-limited links."""

from __future__ import annotations

import logging
import os

from django.db.models import F
from django.http import FileResponse, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from shop.core.storage import private_storage
from shop.orders import exports, selectors
from shop.orders.models import DigitalDownload

logger = logging.getLogger(__name__)


def _refuse(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def digital_download(request, token: str):
    """GET /downloads/<signed token>/: counts one download atomically and streams the file.
    Unknown or forged links are 404; expired, used-up or refunded ones 410 (JSON, never a 500)."""
    download = selectors.download_by_signed_token(token)
    if download is None:
        return _refuse(404, "NOT_FOUND", _("This download link is not valid."))
    now = timezone.now()
    if not selectors.download_is_available(download):
        return _refuse(410, "NOT_AVAILABLE", _("This order no longer gives access to its files."))
    if download.expires_at <= now:
        return _refuse(410, "EXPIRED", _("This download link has expired."))
    variant = download.line.variant
    storage_file = variant.digital_file if variant is not None else None
    if not storage_file or not storage_file.storage.exists(storage_file.name):
        logger.error("digital file missing for download %s (line %s)", download.pk, download.line_id)
        return _refuse(410, "FILE_UNAVAILABLE", _("The file is no longer available; please contact us."))
    if request.method == "HEAD":  # a link checker or a browser probing: answer without counting
        response = HttpResponse(content_type=variant.digital_content_type or "application/octet-stream")
    else:
        # One atomic statement: two parallel requests can never both take the last download.
        counted = DigitalDownload.objects.filter(
            pk=download.pk, download_count__lt=F("max_downloads"), expires_at__gt=now
        ).update(download_count=F("download_count") + 1)
        if not counted:
            return _refuse(410, "LIMIT_REACHED", _("This link has been used the maximum number of times."))
        filename = variant.digital_file_name or os.path.basename(storage_file.name)
        response = FileResponse(
            storage_file.storage.open(storage_file.name, "rb"),
            as_attachment=True,
            filename=filename,
            content_type=variant.digital_content_type or "application/octet-stream",
        )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def export_download(request, token: str):
    """GET /exports/<signed link>/: a finished export's CSV. A forged or unknown link is 404, an
    expired one (EXPORT_LINK_TTL_SECONDS) 410, a purged job 404."""
    job, problem = exports.job_by_link(token)
    if problem == "EXPIRED":
        return _refuse(410, "EXPIRED", _("This export link has expired; ask for the export again."))
    storage = private_storage()
    if job is None or not storage.exists(job.file_name):
        return _refuse(404, "NOT_FOUND", _("This export link is not valid."))
    name = f"{job.kind.lower()}-{job.finished_at:%Y%m%d-%H%M}.csv"
    response = FileResponse(
        storage.open(job.file_name, "rb"), as_attachment=True, filename=name, content_type="text/csv; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
