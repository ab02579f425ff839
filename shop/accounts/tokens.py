"""Access tokens (short-lived JWT, HS256) and rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.utils import timezone

from shop.accounts.models import RefreshToken, User

ALGORITHM = "HS256"
ISSUER = "rethink-market"


class InvalidToken(Exception):
    pass


def password_stamp(user: User) -> str:
    """A keyed fingerprint of the account's current password hash (Django's session auth hash, which
    also signs admin sessions out). Every token carries it, so setting a password anywhere (the
    passwordChange mutation, a reset link, the Django admin, ``changepassword``, ``set_password`` in
    any code) voids every access and refresh token issued before, with no step to forget."""
    return user.get_session_auth_hash()[:32]


def create_access_token(user: User, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
    payload = {
        "iss": ISSUER,
        "sub": str(user.pk),
        "type": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + settings.JWT_ACCESS_TTL).timestamp()),
        "jti": uuid.uuid4().hex,
        "ver": user.token_version,
        "pwd": password_stamp(user),
        "email": user.email,
        "is_staff": user.is_staff,
    }
    return jwt.encode(payload, settings.JWT_SECRET, algorithm=ALGORITHM)


def decode_access_token(token: str) -> dict:
    try:
        payload = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "type"], "verify_exp": True},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if payload.get("type") != "access":
        raise InvalidToken("not an access token")
    return payload


def user_for_access_token(token: str) -> User:
    payload = decode_access_token(token)
    try:
        user = User.objects.get(pk=int(payload["sub"]), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError):
        raise InvalidToken("unknown user")
    if payload.get("ver") != user.token_version or payload.get("pwd") != password_stamp(user):
        raise InvalidToken("revoked")
    return user


def user_for_bearer_token(token: str) -> User | None:
    """The ``core.bearer_user`` hook (shop/core/hooks.py): the GraphQL view's ``Authorization:
    Bearer`` user, None when the token is invalid, expired or revoked."""
    try:
        return user_for_access_token(token)
    except InvalidToken:
        return None


def hash_refresh_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class IssuedRefreshToken:
    raw: str
    row: RefreshToken


def issue_refresh_token(user: User, *, family: uuid.UUID | None = None) -> IssuedRefreshToken:
    raw = secrets.token_urlsafe(48)
    now = timezone.now()
    row = RefreshToken.objects.create(
        user=user,
        family=family or uuid.uuid4(),
        token_hash=hash_refresh_token(raw),
        password_stamp=password_stamp(user),
        created_at=now,
        expires_at=now + settings.JWT_REFRESH_TTL,
    )
    return IssuedRefreshToken(raw=raw, row=row)
