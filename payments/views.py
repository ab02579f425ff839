"""``POST /webhooks/stripe/``: Stripe's webhook endpoint (a plain Django view).

The signature is checked on the raw body before anything else; a missing, wrong or stale signature
answers 400 and records nothing. A verified event is stored once (a duplicate answers 200 and is not
processed again) and processed by a Celery task after commit, so Stripe gets its answer quickly.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import payos_webhooks, webhooks
from payments.gateways.base import NotificationError
from payments.gateways.payos import PayOSGateway
from payments.gateways.stripe import StripeGateway

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        notification = StripeGateway().verify_notification(body=request.body, headers=request.headers)
    except NotificationError as exc:
        logger.warning("refused a Stripe webhook: %s", exc)
        return JsonResponse({"error": str(exc)}, status=400)
    event, created = webhooks.store_event(notification)
    return JsonResponse({"received": True, "duplicate": not created})


@csrf_exempt
@require_POST
def payos_webhook(request):
    """``POST /webhooks/payos/`` (see payments/payos_webhooks.py): 400 for a wrong checksum,
    200 ``accepted: false`` for an authentic delivery that matches no purchase of ours."""
    try:
        notification = PayOSGateway().verify_notification(body=request.body, headers=request.headers)
    except NotificationError as exc:
        logger.warning("refused a payOS webhook: %s", exc)
        return JsonResponse({"error": "invalid webhook"}, status=400)
    try:
        event, created = payos_webhooks.accept(notification)
    except payos_webhooks.Refused as exc:
        logger.warning("refused a payOS webhook: %s", exc)
        return JsonResponse({"accepted": False, "error": str(exc)})
    return JsonResponse({"accepted": True, "duplicate": not created})
