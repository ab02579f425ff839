"""Gaps closed around accounts: expiry is required in every access token, deactivated users lose
their sessions, and the Django admin's login goes through the same backoff and lockout."""

from datetime import timedelta

import jwt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from shop.accounts.models import LoginThrottle, User
from shop.accounts.tokens import ALGORITHM, ISSUER, create_access_token, password_stamp
from tests.factories import make_user
from tests.support import load_operation

ME = load_operation("account/Me.graphql")
TOKEN_CREATE = load_operation("account/TokenCreate.graphql")
TOKEN_REFRESH = load_operation("account/TokenRefresh.graphql")
PASSWORD = "a-Strong-pass-42"


def test_a_correctly_signed_token_without_expiry_is_refused(gql):
    user = make_user()
    now = int(timezone.now().timestamp())
    claims = {"iss": ISSUER, "sub": str(user.pk), "type": "access", "iat": now, "ver": user.token_version}
    claims["pwd"] = password_stamp(user)
    no_exp = jwt.encode(claims, settings.JWT_SECRET, algorithm=ALGORITHM)
    assert gql(ME, token=no_exp)["_status"] == 401
    with_exp = jwt.encode({**claims, "exp": now + 60}, settings.JWT_SECRET, algorithm=ALGORITHM)
    assert gql(ME, token=with_exp)["data"]["me"]["id"]
    # one second past expiry is refused: no leeway
    just_expired = create_access_token(user, now=timezone.now() - settings.JWT_ACCESS_TTL - timedelta(seconds=1))
    assert gql(ME, token=just_expired)["_status"] == 401


def test_deactivated_user_loses_access_and_refresh(gql):
    user = make_user(email="leaving@example.com")
    session = gql(TOKEN_CREATE, {"email": "leaving@example.com", "password": PASSWORD})["data"]["tokenCreate"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert gql(ME, token=session["token"])["_status"] == 401
    refresh = gql(TOKEN_REFRESH, {"refreshToken": session["refreshToken"]})["data"]["tokenRefresh"]
    assert refresh["token"] is None and refresh["errors"][0]["code"] == "INVALID_TOKEN"
    again = gql(TOKEN_CREATE, {"email": "leaving@example.com", "password": PASSWORD})["data"]["tokenCreate"]
    assert again["token"] is None and again["errors"][0]["code"] == "INVALID_CREDENTIALS"


def test_argon2_is_the_first_hasher(db):
    # the test suite uses a cheaper Argon2; production settings are checked in tests/security/test_settings.py
    assert "Argon2" in settings.PASSWORD_HASHERS[0]
    assert make_user().password.startswith("argon2")


def admin_login(client, email, password):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def test_admin_login_has_backoff_and_lockout(db):
    staff = make_user(email="boss@example.com", staff=True, is_superuser=True)
    client = Client()
    for _ in range(settings.LOGIN_FREE_FAILURES):
        response = admin_login(client, staff.email, "wrong")
        assert response.status_code == 200 and b"errornote" in response.content
    # the next attempt is refused even with the right password
    refused = admin_login(client, staff.email, PASSWORD)
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    # once the backoff has passed, the right password works and clears the account's record
    LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(hours=1))
    ok = admin_login(client, staff.email, PASSWORD)
    assert ok.status_code == 302 and client.get("/admin/").status_code == 200
    assert not LoginThrottle.objects.filter(key="email:boss@example.com").exists()


def test_admin_and_api_share_the_lock(gql, db):
    make_user(email="shared@example.com", staff=True)
    client = Client()
    for _ in range(settings.LOGIN_FREE_FAILURES):
        admin_login(client, "shared@example.com", "wrong")
    result = gql(TOKEN_CREATE, {"email": "shared@example.com", "password": PASSWORD})["data"]["tokenCreate"]
    assert result["token"] is None and result["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
