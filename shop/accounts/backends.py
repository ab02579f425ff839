"""The Django admin's login goes through the same backoff and lockout as ``tokenCreate``."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from shop.accounts import services
from shop.core.ratelimit import client_ip


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email")
        if username is None or password is None:
            return None
        ip = client_ip(request) if request is not None else None
        if services.login_wait_seconds(email=username, ip=ip):
            raise PermissionDenied("too many failed attempts")  # stops every backend: no login
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.record_login_failure(email=username, ip=ip)
        else:
            services.clear_login_failures(email=username)
        return user
