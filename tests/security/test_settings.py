"""Production settings: secrets only from the environment, security headers, HSTS, secure cookies,
CORS limited to configured origins, a statement timeout on database connections, GraphQL closed,
and ``manage.py check --deploy --fail-level WARNING`` clean. Production settings are loaded in a
subprocess (settings are read once per process), as a server would load them."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

BASE_DIR = str(settings.BASE_DIR)
PROBE = """
import json
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG, "SECRET_KEY": s.SECRET_KEY, "JWT_SECRET": s.JWT_SECRET,
    "GRAPHIQL_ENABLED": s.GRAPHIQL_ENABLED, "GRAPHQL_INTROSPECTION": s.GRAPHQL_INTROSPECTION,
    "GRAPHQL_FIELD_SUGGESTIONS": s.GRAPHQL_FIELD_SUGGESTIONS,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS, "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": s.SECURE_HSTS_PRELOAD, "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY, "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF, "PASSWORD_HASHERS": s.PASSWORD_HASHERS,
    "CORS_ALLOWED_ORIGINS": s.CORS_ALLOWED_ORIGINS, "CORS_ALLOW_CREDENTIALS": s.CORS_ALLOW_CREDENTIALS,
    "DB_OPTIONS": s.DATABASES["default"]["OPTIONS"], "RATE_LIMIT_BACKEND": s.CACHES["ratelimit"]["BACKEND"],
    "RATE_LIMITS": s.RATE_LIMITS, "ACCESS_TTL": s.JWT_ACCESS_TTL.total_seconds(),
    "MIDDLEWARE": s.MIDDLEWARE, "INSTALLED_APPS": s.INSTALLED_APPS,
    "STORAGE_BACKENDS": sorted({v["BACKEND"] for v in s.STORAGES.values()}),
}))
"""
PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "market.example.com",
    "RATE_LIMIT_CACHE_URL": "redis://127.0.0.1:6379/1",
    "BANK_ACCOUNT_ENCRYPTION_KEY": "q0Y5m6J1bVt0cW5eXGmGZ0o1k3Xr2WcY8yU2nN8JH0E=",
}


def run(args, env_overrides: dict, drop=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "JWT_SECRET",
        "CACHE_URL",
        "RATE_LIMIT_CACHE_URL",
        "CORS_ALLOWED_ORIGINS",
        "GRAPHIQL_ENABLED",
        "GRAPHQL_INTROSPECTION",
        "GRAPHQL_FIELD_SUGGESTIONS",
        "JWT_ACCESS_TTL_SECONDS",
        "TESTING",
        "BENCH_APP",
        "AWS_STORAGE_BUCKET_NAME",
        "BANK_ACCOUNT_ENCRYPTION_KEY",
        *drop,
    ):
        env.pop(name, None)
    env.update({"DJANGO_SETTINGS_MODULE": "shop.settings", "TESTING": "false", **env_overrides})
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def production(**overrides) -> dict:
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), **overrides}
    result = run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def prod():
    return production(CORS_ALLOWED_ORIGINS="https://rethink.market,https://staff.rethink.market")


def test_production_settings_refuse_to_load_without_a_secret_key():
    result = run(["-c", PROBE], PRODUCTION)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    dev_key = run(
        ["-c", PROBE],
        {**PRODUCTION, "SECRET_KEY": "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"},
    )
    assert dev_key.returncode != 0 and "SECRET_KEY" in dev_key.stderr


def test_secrets_come_from_the_environment(prod):
    assert prod["DEBUG"] is False
    assert not prod["SECRET_KEY"].startswith("dev-only") and len(prod["SECRET_KEY"]) >= 50
    assert prod["JWT_SECRET"] == prod["SECRET_KEY"]
    jwt_secret = secrets.token_urlsafe(40)
    assert production(JWT_SECRET=jwt_secret)["JWT_SECRET"] == jwt_secret


def test_access_tokens_cannot_be_configured_to_live_longer_than_five_minutes():
    assert production(JWT_ACCESS_TTL_SECONDS="300")["ACCESS_TTL"] == 300
    result = run(
        ["-c", PROBE], {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), "JWT_ACCESS_TTL_SECONDS": "301"}
    )
    assert result.returncode != 0 and "JWT_ACCESS_TTL_SECONDS" in result.stderr


def test_production_security_settings(prod):
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and prod["SECURE_HSTS_PRELOAD"] and prod["SECURE_SSL_REDIRECT"]
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"] and prod["SESSION_COOKIE_HTTPONLY"]
    assert prod["X_FRAME_OPTIONS"] == "DENY" and prod["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert prod["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    # GraphQL is closed: the published contract is graphql/schema.graphql
    assert prod["GRAPHIQL_ENABLED"] is False and prod["GRAPHQL_INTROSPECTION"] is False
    assert prod["GRAPHQL_FIELD_SUGGESTIONS"] is False
    # CORS: exactly the configured origins, no credentials
    assert prod["CORS_ALLOWED_ORIGINS"] == ["https://rethink.market", "https://staff.rethink.market"]
    assert prod["CORS_ALLOW_CREDENTIALS"] is False
    assert prod["MIDDLEWARE"].index("corsheaders.middleware.CorsMiddleware") < prod["MIDDLEWARE"].index(
        "django.middleware.common.CommonMiddleware"
    )
    # production limits are the real ones, not the test suite's generous ones
    assert prod["RATE_LIMITS"]["tokenCreate"] == "10/60" and prod["RATE_LIMITS"]["ip"] == "600/60"
    assert prod["RATE_LIMIT_BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_the_bench_app_is_installed_only_when_asked(prod):
    """Production has no benchmark app (nor its table); the Makefile's bench targets set BENCH_APP."""
    assert "bench" not in prod["INSTALLED_APPS"] and "payments" in prod["INSTALLED_APPS"]
    assert "bench" in production(BENCH_APP="true")["INSTALLED_APPS"]
    assert "bench" in settings.INSTALLED_APPS  # the test suite's


def test_s3_media_storage_loads_with_the_runtime_dependencies():
    """AWS_STORAGE_BUCKET_NAME selects django-storages' S3 backend, whose boto3 is in requirements.txt."""
    from django.utils.module_loading import import_string

    backends = production(AWS_STORAGE_BUCKET_NAME="rethink-media")["STORAGE_BACKENDS"]
    assert "storages.backends.s3.S3Storage" in backends
    for backend in backends:
        import_string(backend)


def test_rate_limits_fall_back_to_local_memory_only_without_a_store():
    assert production(RATE_LIMIT_CACHE_URL="")["RATE_LIMIT_BACKEND"].endswith("LocMemCache")
    assert production(RATE_LIMIT_CACHE_URL="", CACHE_URL="redis://127.0.0.1:6379/3")["RATE_LIMIT_BACKEND"].endswith(
        "RedisCache"
    )


def test_statement_timeout_is_set_on_web_database_connections(prod, db):
    """The option is in the production settings, and a real connection opened with it has the
    timeout (checked on this test run's database server)."""
    assert prod["DB_OPTIONS"]["options"] == "-c statement_timeout=15000"
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    wrapper = DatabaseWrapper(
        {**connection.settings_dict, "OPTIONS": {**connection.settings_dict["OPTIONS"], **prod["DB_OPTIONS"]}}
    )
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "15s"
    finally:
        wrapper.close()
    assert production(DB_STATEMENT_TIMEOUT_MS="5000")["DB_OPTIONS"]["options"] == "-c statement_timeout=5000"


def test_check_deploy_is_clean_with_production_settings():
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50)}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # and our own deploy check speaks up when rate limits would not be shared
    unshared = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {**env, "RATE_LIMIT_CACHE_URL": ""})
    assert unshared.returncode != 0 and "shop.W001" in unshared.stdout + unshared.stderr
    # and when designers' bank accounts could not be saved (no encryption key)
    keyless = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {**env, "BANK_ACCOUNT_ENCRYPTION_KEY": ""}
    )
    assert keyless.returncode != 0 and "payments.W001" in keyless.stdout + keyless.stderr


# --- headers and CORS, in-process -----------------------------------------------------------------


def test_security_headers(db, settings):
    response = Client().post("/graphql/", data=json.dumps({"query": "{ me { id } }"}), content_type="application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    secure = Client().post(
        "/graphql/", data=json.dumps({"query": "{ me { id } }"}), content_type="application/json", secure=True
    )
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    settings.SECURE_SSL_REDIRECT = True
    plain = Client().post("/graphql/", data="{}", content_type="application/json")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")


def preflight(origin, path="/graphql/"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_cors_allows_only_configured_origins(db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    allowed = preflight("https://shop.example.com")
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in allowed
    for origin in (
        "https://evil.example.com",
        "https://shop.example.com.evil.example",
        "null",
        "http://shop.example.com",
    ):
        assert "Access-Control-Allow-Origin" not in preflight(origin), origin
    response = Client().post(
        "/graphql/",
        data=json.dumps({"query": "{ me { id } }"}),
        content_type="application/json",
        HTTP_ORIGIN="https://shop.example.com",
    )
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    # only the API is cross-origin: never the admin
    assert "Access-Control-Allow-Origin" not in preflight("https://shop.example.com", "/admin/login/")


def test_no_origin_is_allowed_by_default(db, settings):
    assert production()["CORS_ALLOWED_ORIGINS"] == []
    settings.CORS_ALLOWED_ORIGINS = []
    assert "Access-Control-Allow-Origin" not in preflight("https://shop.example.com")
