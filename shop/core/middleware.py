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
