"""Account writes: registration, login with throttling, token rotation, profile and password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.accounts import reset_tokens, tasks, tokens
from shop.accounts.errors import AccountErrorCode
from shop.accounts.models import LoginThrottle, PasswordResetRequest, RefreshToken, User
from shop.core.errors import FieldError, ServiceError
from shop.core.languages import is_supported
from shop.core.queueing import enqueue
from shop.core.validation import canonical_email, clean_email, clean_text


@dataclass
class TokenPair:
    user: User
    access: str
    refresh: str


def _check_password_strength(password: str, *, user: User | None, field: str) -> None:
    if not password:
        raise ServiceError(AccountErrorCode.REQUIRED, _("This field is required."), field)
    if len(password) > 128:
        raise ServiceError(AccountErrorCode.PASSWORD_TOO_LONG, _("Passwords are at most 128 characters."), field)
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ServiceError.many([FieldError(AccountErrorCode.PASSWORD_TOO_WEAK, str(m), field) for m in exc.messages])


@transaction.atomic
def register_account(*, email: str, password: str, full_name: str = "", language: str = "vi") -> User:
    email = clean_email(email)
    full_name = clean_text(full_name, field="full_name", max_length=150)
    if not is_supported(language):
        raise ServiceError(AccountErrorCode.INVALID, _("Unsupported language."), "language")
    candidate = User(email=email, full_name=full_name, language=language)
    _check_password_strength(password, user=candidate, field="password")
    # iexact on purpose: PostgreSQL's UPPER also folds spellings such as a dotless ı together
    # (the database enforces the same with a unique index on UPPER(email)).
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(AccountErrorCode.UNIQUE, _("An account with this email already exists."), "email")
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        raise ServiceError(AccountErrorCode.UNIQUE, _("An account with this email already exists."), "email")
    return candidate


# --- login throttling -------------------------------------------------------------------------


def _throttle_keys(email: str, ip: str | None) -> list[str]:
    keys = [f"email:{canonical_email(email)[:254]}"]
    if ip:
        keys.append(f"ip:{ip[:64]}")
    return keys


def _is_address(key: str) -> bool:
    return key.startswith("ip:")


def _throttle_wait_seconds(row: LoginThrottle, now) -> int:
    """Seconds before another attempt is allowed for this key (0 = allowed now).

    An account is slowed (doubling delays), then locked. An address only slows, with its delay
    capped at ``LOGIN_ADDRESS_MAX_DELAY_SECONDS``: many buyers share one address (carrier NAT, campus
    and café Wi-Fi), so one person's failures must not lock everyone else out (issue 13, finding 3);
    the per-address rate limit of ``tokenCreate`` bounds how fast anyone there can guess."""
    if row.locked_until and row.locked_until > now and not _is_address(row.key):
        return int((row.locked_until - now).total_seconds()) + 1
    if row.failures >= settings.LOGIN_FREE_FAILURES and row.last_failure_at:
        backoff = 2 ** min(row.failures - settings.LOGIN_FREE_FAILURES, 30)
        if _is_address(row.key):
            backoff = min(backoff, settings.LOGIN_ADDRESS_MAX_DELAY_SECONDS)
        ready_at = row.last_failure_at + timedelta(seconds=backoff)
        if ready_at > now:
            return int((ready_at - now).total_seconds()) + 1
    return 0


def _record_failures(keys: list[str]) -> None:
    now = timezone.now()
    for key in keys:
        row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key)
        if row.locked_until and row.locked_until <= now:
            row.failures = 0
            row.locked_until = None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= settings.LOGIN_LOCK_FAILURES and not _is_address(key):
            row.locked_until = now + timedelta(seconds=settings.LOGIN_LOCK_SECONDS)
        row.save()


def login_wait_seconds(*, email: str, ip: str | None) -> int:
    """Seconds before this account or address may try to sign in again (0: now)."""
    now = timezone.now()
    rows = LoginThrottle.objects.filter(key__in=_throttle_keys(email, ip))
    return max([_throttle_wait_seconds(r, now) for r in rows] or [0])


def record_login_failure(*, email: str, ip: str | None) -> None:
    with transaction.atomic():
        _record_failures(_throttle_keys(email, ip))


def clear_login_failures(*, email: str) -> None:
    LoginThrottle.objects.filter(key=_throttle_keys(email, None)[0]).delete()


def purge_login_throttles(*, now=None) -> int:
    """Delete the failed-login records (an email or an address) that have had no failure for
    ``LOGIN_THROTTLE_RETENTION_SECONDS`` and no lock running: they no longer slow anyone down, and
    they name people and addresses. The next failure counts from zero. Returns how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.LOGIN_THROTTLE_RETENTION_SECONDS)
    stale = LoginThrottle.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        Q(last_failure_at__isnull=True) | Q(last_failure_at__lt=cutoff),
    )
    deleted, _by_model = stale.delete()
    return deleted


def create_tokens(*, email: str, password: str, ip: str | None = None) -> TokenPair:
    """Log in. Repeated failures for one account or one address are slowed, then refused for a while."""
    keys = _throttle_keys(email, ip)
    wait = login_wait_seconds(email=email, ip=ip)
    if wait:
        raise ServiceError(
            AccountErrorCode.TOO_MANY_ATTEMPTS,
            _("Too many failed attempts. Try again in %(s)d seconds.") % {"s": wait},
            None,
        )
    user = User.objects.filter(email=canonical_email(email), is_active=True).first()
    if user is None:
        User().set_password(password or "x")  # same hashing cost whether or not the account exists
    if user is None or not user.check_password(password or ""):
        with transaction.atomic():
            _record_failures(keys)
        raise ServiceError(
            AccountErrorCode.INVALID_CREDENTIALS, _("Please enter a correct email and password."), "email"
        )
    with transaction.atomic():
        LoginThrottle.objects.filter(key=keys[0]).delete()
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        refresh = tokens.issue_refresh_token(user)
    return TokenPair(user=user, access=tokens.create_access_token(user), refresh=refresh.raw)


def refresh_tokens(*, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is used up and a new one of the same family is issued.
    Presenting an already used token, or one issued before the password last changed, revokes the
    whole family (it was probably stolen); that revocation is committed even though the caller gets
    an error."""
    invalid = ServiceError(
        AccountErrorCode.INVALID_TOKEN, _("The refresh token is invalid or expired."), "refresh_token"
    )
    if not refresh_token or len(refresh_token) > 200:
        raise invalid
    now = timezone.now()
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=tokens.hash_refresh_token(refresh_token))
            .first()
        )
        if row is None or row.revoked_at or row.expires_at <= now or not row.user.is_active:
            raise invalid
        # A token issued before the password last changed (wherever it changed) is dead, like a reused one.
        current = row.password_stamp == tokens.password_stamp(row.user)
        if row.used_at is None and current:
            row.used_at = now
            row.save(update_fields=["used_at"])
            new = tokens.issue_refresh_token(row.user, family=row.family)
            return TokenPair(user=row.user, access=tokens.create_access_token(row.user), refresh=new.raw)
        RefreshToken.objects.filter(family=row.family, revoked_at__isnull=True).update(revoked_at=now)
    raise invalid


def verify_access_token(*, token: str) -> User | None:
    try:
        return tokens.user_for_access_token(token)
    except tokens.InvalidToken:
        return None


@transaction.atomic
def deactivate_all_tokens(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    user.refresh_from_db(fields=["token_version"])


@transaction.atomic
def update_account(*, user: User, full_name: str | None = None, language: str | None = None) -> User:
    fields = []
    if full_name is not None:
        user.full_name = clean_text(full_name, field="full_name", max_length=150)
        fields.append("full_name")
    if language is not None:
        if not is_supported(language):
            raise ServiceError(AccountErrorCode.INVALID, _("Unsupported language."), "language")
        user.language = language
        fields.append("language")
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str) -> TokenPair:
    """Changing the password logs the user out everywhere and returns fresh tokens for this client."""
    if not user.check_password(old_password or ""):
        raise ServiceError(AccountErrorCode.INVALID_PASSWORD, _("The old password is incorrect."), "old_password")
    _check_password_strength(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    deactivate_all_tokens(user=user)
    refresh = tokens.issue_refresh_token(user)
    return TokenPair(user=user, access=tokens.create_access_token(user), refresh=refresh.raw)


# --- password reset ---------------------------------------------------------------------------


@transaction.atomic
def request_password_reset(*, email: str, ip: str | None = None) -> None:
    """Queue a reset email for an active account with this address. The caller learns nothing:
    the answer is the same whether or not the account exists, and at most one email per account
    goes out per PASSWORD_RESET_EMAIL_INTERVAL (more requests are accepted and ignored)."""
    email = clean_email(email)
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return
    since = timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_EMAIL_INTERVAL)
    if PasswordResetRequest.objects.filter(user=user, created_at__gte=since).exists():
        return
    request = PasswordResetRequest.objects.create(user=user, ip=(ip or "")[:64])
    enqueue(tasks.send_password_reset_email, request.pk)


@transaction.atomic
def set_password_with_token(*, token: str, password: str) -> User:
    """Set a new password with an emailed reset token. The token works once; every session of the
    account is signed out (access and refresh tokens), and its failed-login lock is lifted."""
    invalid = ServiceError(
        AccountErrorCode.INVALID_TOKEN, _("The password reset link is invalid or has expired."), "token"
    )
    user_id = reset_tokens.user_id_of(token)
    if user_id is None:
        raise invalid
    # Locked: two concurrent uses of one token are serialised, and the second finds it spent.
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not reset_tokens.check(user, token):
        raise invalid
    _check_password_strength(password, user=user, field="password")
    user.set_password(password)
    user.save(update_fields=["password"])
    deactivate_all_tokens(user=user)
    clear_login_failures(email=user.email)
    return user
