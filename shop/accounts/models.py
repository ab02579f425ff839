from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from shop.core.validation import canonical_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        return canonical_email(email)

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email=canonical_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]

    email = models.EmailField(
        max_length=254, unique=True, help_text="Stored in its canonical form (NFKC, case-folded)."
    )
    full_name = models.CharField(max_length=150, blank=True)
    language = models.CharField(max_length=5, choices=LANGUAGES, default="vi")
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Access tokens carry this number; bumping it (log out everywhere, password change) voids them all.
    token_version = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # Two accounts may not differ only by a spelling PostgreSQL's UPPER folds together (ı, ſ).
            models.UniqueConstraint(Upper("email"), name="accounts_user_email_upper_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = canonical_email(self.email)  # the admin's forms too


class RefreshToken(models.Model):
    """One issued refresh token (only its hash is stored). Tokens of a login form a family:
    each use rotates to a new token; presenting a used token again revokes the whole family."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    family = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The account's password stamp when issued (tokens.password_stamp): a token issued before the
    # password changed, wherever it changed, is refused.
    password_stamp = models.CharField(max_length=64, default="", editable=False)


class LoginThrottle(models.Model):
    """Failed-login bookkeeping for one key (``email:…`` or ``ip:…``), shared by all server instances."""

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True)
    locked_until = models.DateTimeField(null=True)


class PasswordResetRequest(models.Model):
    """One accepted ``requestPasswordReset``: the reset email is sent once per row by a Celery task
    (the token itself is made when the email is sent and never stored or queued)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_reset_requests")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.CharField(max_length=64, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
