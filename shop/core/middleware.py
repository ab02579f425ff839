import uuid

from shop.core.request_id import set_request_id


class RequestIdMiddleware:
    """Gives each request an id (or keeps a sane incoming ``X-Request-Id``) for logs and errors."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        request.request_id = request_id
        set_request_id(request_id)
        response = self.get_response(request)
        response["X-Request-Id"] = request_id
        return response


class RequestSizeLimitMiddleware:
    """Refuses a request body larger than ``REQUEST_MAX_BYTES`` before anything reads it (Django
    would otherwise spool multipart file parts to disk before the per-file checks run). A proxy in
    front should cap bodies too; this holds when there is none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.http import JsonResponse
        from django.utils import translation
        from django.utils.translation import gettext as _

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            # Before LocaleMiddleware: the message follows Accept-Language all the same.
            with translation.override(translation.get_language_from_request(request)):
                message = _("The request body is too large.")
            return JsonResponse(
                {
                    "errors": [
                        {
                            "message": message,
                            "extensions": {"code": "REQUEST_TOO_LARGE", "maxBytes": settings.REQUEST_MAX_BYTES},
                        }
                    ]
                },
                status=413,
            )
        return self.get_response(request)
