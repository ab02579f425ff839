"""Rate limits on the shared store (real Redis): per address, per user, and tighter per-field
buckets that charge every call of the field, aliases and fragments included. Exceeding one is
HTTP 429 with Retry-After and a coded JSON error."""

import json
import logging

import pytest
import redis
from django.test import Client, RequestFactory

from graphql import build_schema
from shop.core import ratelimit
from shop.core.views import GraphQLView
from tests.factories import make_user
from tests.support import load_operation

ME = "{ me { id } }"
TOKEN_CREATE = load_operation("account/TokenCreate.graphql")
REGISTER = load_operation("account/AccountRegister.graphql")
RESET = load_operation("account/RequestPasswordReset.graphql")
SET_PASSWORD = load_operation("account/SetPassword.graphql")


def post(query, variables=None, *, ip="127.0.0.1", user=None, **headers):
    from shop.accounts.tokens import create_access_token

    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {create_access_token(user)}"
    return Client(raise_request_exception=False).post(
        "/graphql/",
        data=json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        REMOTE_ADDR=ip,
        **headers,
    )


def assert_limited(response, bucket):
    assert response.status_code == 429, response.content
    body = json.loads(response.content)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["bucket"] == bucket
    retry = int(response["Retry-After"])
    assert 1 <= retry <= 3600 and error["extensions"]["retryAfter"] == retry
    assert "data" not in body
    return retry


def logins(n: int) -> str:
    return (
        "mutation { "
        + " ".join(
            f't{i}: tokenCreate(email: "victim@example.com", password: "guess-{i}") {{ token }}' for i in range(n)
        )
        + " }"
    )


def test_per_address_limit(rate_limit_redis, settings, db):
    settings.RATE_LIMITS = {"ip": "5/3600"}
    for _ in range(5):
        assert post(ME).status_code == 200
    assert_limited(post(ME), "ip")
    assert post(ME, ip="10.9.8.7").status_code == 200  # another address has its own budget
    # every request counts, even one the API refuses
    assert_limited(post("{ nonsense }"), "ip")


def test_per_user_limit_follows_the_user_across_addresses(rate_limit_redis, settings, db):
    settings.RATE_LIMITS = {"user": "3/3600"}
    user, other = make_user(), make_user()
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert post(ME, user=user, ip=ip).status_code == 200
    assert_limited(post(ME, user=user, ip="10.0.0.4"), "user")
    assert post(ME, user=other, ip="10.0.0.4").status_code == 200
    assert post(ME, ip="10.0.0.4").status_code == 200  # anonymous: no user bucket


def test_a_login_hidden_in_50_aliases_counts_as_50_attempts(rate_limit_redis, settings, db_unchanged):
    settings.RATE_LIMITS = {"tokenCreate": "60/3600"}
    make_user(email="victim@example.com")
    with db_unchanged():
        hidden = post(logins(50))
        # refused as a document (too many mutations and aliases), but charged 50 attempts first
        assert hidden.status_code == 400
        assert {"TOO_MANY_MUTATIONS", "TOO_MANY_ALIASES"} <= {e["extensions"]["code"] for e in hidden.json()["errors"]}
    for i in range(10):
        ok = post(TOKEN_CREATE, {"email": "victim@example.com", "password": f"wrong-{i}"})
        assert ok.status_code == 200 and ok.json()["data"]["tokenCreate"]["token"] is None
    assert_limited(post(TOKEN_CREATE, {"email": "victim@example.com", "password": "x"}), "tokenCreate")


def test_aliased_logins_over_the_limit_are_429_at_once(rate_limit_redis, settings, db_unchanged):
    settings.RATE_LIMITS = {"tokenCreate": "10/3600"}
    fragment = (
        "mutation { ...L ...L2 } fragment L2 on Mutation { ...L } fragment L on Mutation { "
        + " ".join(f'a{i}: tokenCreate(email: "v@example.com", password: "p") {{ token }}' for i in range(3))
        + " }"
    )
    with db_unchanged():
        assert_limited(post(logins(11)), "tokenCreate")
        # 3 aliases spread twice = 6 attempts from a fresh address: refused as a document (6 > 4
        # mutations) but charged; the second time the address is over its 10 attempts
        fresh = "10.1.1.2"
        assert post(fragment, ip=fresh).status_code == 400
        assert_limited(post(fragment, ip=fresh), "tokenCreate")


@pytest.mark.parametrize(
    "bucket, query, variables",
    [
        ("accountRegister", REGISTER, {"input": {"email": "a@example.com", "password": "x"}}),
        ("requestPasswordReset", RESET, {"email": "nobody@example.com"}),
        ("setPassword", SET_PASSWORD, {"token": "garbage", "password": "x"}),
    ],
)
def test_account_mutations_have_tight_buckets(rate_limit_redis, settings, db, bucket, query, variables):
    settings.RATE_LIMITS = {bucket: "2/3600"}
    for _ in range(2):
        assert post(query, variables).status_code == 200
    retry = assert_limited(post(query, variables), bucket)
    assert retry <= 3600
    assert post(ME).status_code == 200  # other fields are not affected
    user = make_user()  # signed in, from another address: the user's own bucket is fresh
    assert post(query, variables, ip="10.2.2.2", user=user).status_code == 200


CHECKOUT = build_schema("""
type Query { ok: Boolean }
type Mutation { checkoutCreate: Boolean checkoutComplete(token: String): Boolean }
""")


def test_checkout_buckets_are_keyed_by_field_name(rate_limit_redis, settings, db):
    """checkoutCreate/checkoutComplete land with the checkout app; their limits already apply to
    any schema that has them (served here by the same view class)."""
    settings.RATE_LIMITS = {"checkoutComplete": "2/3600", "checkoutCreate": "1/3600"}
    view = GraphQLView.as_view(schema=CHECKOUT)

    def call(query):
        request = RequestFactory().post("/graphql/", data=json.dumps({"query": query}), content_type="application/json")
        return view(request)

    assert call("mutation { checkoutComplete }").status_code == 200
    assert call('mutation { checkoutComplete(token: "a") }').status_code == 200
    assert_limited(call("mutation { checkoutComplete }"), "checkoutComplete")
    assert call("mutation { checkoutCreate }").status_code == 200
    assert_limited(call("mutation { a: checkoutCreate }"), "checkoutCreate")
    assert call("{ ok }").status_code == 200


def test_counters_live_in_redis_shared_by_every_instance(rate_limit_redis, settings, db):
    settings.RATE_LIMITS = {"ip": "100/3600"}
    for _ in range(3):
        assert post(ME, ip="10.3.3.3").status_code == 200
    client = redis.Redis.from_url(rate_limit_redis["url"])  # another connection: another process
    keys = list(client.scan_iter(f"{rate_limit_redis['prefix']}:*rl:ip:*"))
    assert len(keys) == 1 and int(client.get(keys[0])) == 3
    assert 0 < client.ttl(keys[0]) <= 3601
    client.incrby(keys[0], 97)  # other server instances served 97 more requests from this address
    assert_limited(post(ME, ip="10.3.3.3"), "ip")


def test_an_unreachable_store_lets_requests_through_and_logs(settings, db, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.RATE_LIMITS = {"ip": "1/60"}
    with caplog.at_level(logging.ERROR, logger="shop.core.ratelimit"):
        for _ in range(3):
            assert post(ME).status_code == 200
    assert "rate limit store unavailable" in caplog.text


def test_limits_can_be_switched_off(settings, db):
    settings.RATE_LIMITS = {"ip": "1/60"}
    settings.RATE_LIMIT_ENABLED = False
    for _ in range(3):
        assert post(ME, ip="10.4.4.4").status_code == 200


def test_client_address_behind_trusted_proxies(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert ratelimit.client_ip(request) == "10.0.0.9"  # the header is ignored without a trusted proxy
    settings.TRUSTED_PROXY_COUNT = 1
    assert ratelimit.client_ip(request) == "203.0.113.7"  # not the spoofed left-most entry
    assert ratelimit.ip_key("2001:db8:1:2:3:4:5:6") == ratelimit.ip_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert ratelimit.ip_key("::ffff:192.0.2.1") == "192.0.2.1"


def test_rates_parse():
    assert ratelimit.parse_rate("10/60") == ratelimit.Rate(10, 60)
    assert ratelimit.parse_rate("5/h") == ratelimit.Rate(5, 3600)
    for bad in ("x/60", "10/0", "10/-5", "-1/60"):
        with pytest.raises(ValueError):
            ratelimit.parse_rate(bad)
