"""Regression tests of the outside review (issue 13) that concern settings and start-up; each is named
after its finding (SECURITY.md, "Reviewed and fixed")."""

from tests.security.test_settings import PROBE, run


def test_finding_11_debug_defaults_to_production_and_development_keys_are_refused():
    import secrets

    base = {"ALLOWED_HOSTS": "market.example.com", "RATE_LIMIT_CACHE_URL": "redis://127.0.0.1:6379/1"}
    # DEBUG not set at all: production behaviour, so a secret key is required...
    forgot = run(["-c", PROBE], base)
    assert forgot.returncode != 0 and "SECRET_KEY" in forgot.stderr, forgot.stdout[-500:]
    # ...and with one, DEBUG is off, GraphQL is closed and the dummy gateway is not offered
    probe = PROBE.replace('"MIDDLEWARE": s.MIDDLEWARE,', '"MIDDLEWARE": s.MIDDLEWARE, "GATEWAYS": s.PAYMENT_GATEWAYS,')
    ok = run(["-c", probe], {**base, "SECRET_KEY": secrets.token_urlsafe(50)})
    assert ok.returncode == 0, ok.stderr[-2000:]
    import json

    loaded = json.loads(ok.stdout.strip().splitlines()[-1])
    assert loaded["DEBUG"] is False and loaded["GRAPHQL_INTROSPECTION"] is False
    assert not any("Dummy" in g for g in loaded["GATEWAYS"])
    # the published development key may not sign tokens in production, whatever SECRET_KEY is
    dev_jwt = run(
        ["-c", PROBE],
        {
            **base,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "JWT_SECRET": "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz",
        },
    )
    assert dev_jwt.returncode != 0 and "JWT_SECRET" in dev_jwt.stderr
    short_jwt = run(["-c", PROBE], {**base, "SECRET_KEY": secrets.token_urlsafe(50), "JWT_SECRET": "short"})
    assert short_jwt.returncode != 0 and "JWT_SECRET" in short_jwt.stderr
    # development mode is explicit and still zero set-up
    dev = run(["-c", PROBE], {"DEBUG": "true"})
    assert dev.returncode == 0 and json.loads(dev.stdout.strip().splitlines()[-1])["DEBUG"] is True
