"""Password-reset tokens: signed with SECRET_KEY, expiring (PASSWORD_RESET_TIMEOUT) and single-use.

Built on Django's PasswordResetTokenGenerator: the HMAC covers the user's id, password hash,
token version, email and a timestamp, so a token stops working once the password changes (it was
used, or changed another way), after ``tokensDeactivateAll``, when the email changes, and when it
expires. The public token is ``<base64 user id>.<timestamp>-<hmac>``.
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from shop.accounts.models import User


class ResetTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "shop.accounts.reset_tokens.ResetTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}|{user.password}|{user.token_version}|{user.email}|{user.is_active}|{timestamp}"


generator = ResetTokenGenerator()


def make_token(user: User) -> str:
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{generator.make_token(user)}"


def user_id_of(token: str) -> int | None:
    """The user id a token claims (not yet verified), or None if it is malformed."""
    if not isinstance(token, str) or not 10 <= len(token) <= 200:
        return None
    uid, sep, _rest = token.partition(".")
    if not sep:
        return None
    try:
        return int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def check(user: User, token: str) -> bool:
    _uid, _sep, rest = token.partition(".")
    return generator.check_token(user, rest)
