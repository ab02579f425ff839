from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from shop.accounts.models import LoginThrottle, RefreshToken, User
from shop.accounts.tokens import create_access_token
from tests.factories import make_user
from tests.support import load_operation

REGISTER = load_operation("account/AccountRegister.graphql")
TOKEN_CREATE = load_operation("account/TokenCreate.graphql")
TOKEN_REFRESH = load_operation("account/TokenRefresh.graphql")
TOKEN_VERIFY = load_operation("account/TokenVerify.graphql")
ME = load_operation("account/Me.graphql")
UPDATE = load_operation("account/AccountUpdate.graphql")
PASSWORD_CHANGE = load_operation("account/PasswordChange.graphql")
DEACTIVATE = load_operation("account/TokensDeactivateAll.graphql")
PASSWORD = "a-Strong-pass-42"


def register(gql, **overrides):
    data = {"email": "mai@example.com", "password": PASSWORD, "fullName": "Đỗ Mai"}
    data.update(overrides)
    return gql(REGISTER, {"input": data})["data"]["accountRegister"]


def login(gql, email, password=PASSWORD, **kw):
    return gql(TOKEN_CREATE, {"email": email, "password": password}, **kw)["data"]["tokenCreate"]


def test_register_login_me(gql):
    result = register(gql, language="EN")
    assert result["errors"] == []
    assert result["user"]["email"] == "mai@example.com"
    assert result["user"]["language"] == "EN"
    user = User.objects.get(email="mai@example.com")
    assert user.password.startswith("argon2")

    tokens = login(gql, "MAI@example.com")
    assert tokens["errors"] == [] and tokens["token"] and tokens["refreshToken"]
    me = gql(ME, token=tokens["token"])["data"]["me"]
    assert me["email"] == "mai@example.com" and me["fullName"] == "Đỗ Mai"
    assert gql(ME)["data"]["me"] is None


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"email": ""}, "email", "REQUIRED"),
        ({"email": "not-an-email"}, "email", "INVALID"),
        ({"email": "x" * 10_000 + "@example.com"}, "email", "INVALID"),
        ({"password": ""}, "password", "REQUIRED"),
        ({"password": "12345678"}, "password", "PASSWORD_TOO_WEAK"),
        ({"password": "p" * 10_000}, "password", "PASSWORD_TOO_LONG"),
        ({"fullName": "x" * 10_000}, "fullName", "INVALID"),
    ],
)
def test_register_rejects_bad_input_and_writes_nothing(gql, db_unchanged, overrides, field, code):
    with db_unchanged():
        result = register(gql, **overrides)
    assert result["user"] is None
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in result["errors"]]


def test_register_duplicate_email_case_insensitive(gql, db_unchanged):
    assert register(gql)["errors"] == []
    with db_unchanged():
        result = register(gql, email="Mai@Example.COM")
    assert [e["code"] for e in result["errors"]] == ["UNIQUE"]


def test_register_malformed_request_is_a_400_not_a_500(gql, db_unchanged):
    with db_unchanged():
        missing = gql(REGISTER, {"input": {"email": "a@b.co"}})
        wrong_type = gql(REGISTER, {"input": {"email": 12, "password": ["x"]}})
    for result in (missing, wrong_type):
        assert result["_status"] == 400
        assert "data" not in result or result["data"] is None
        assert result["errors"][0]["message"]


def test_wrong_password_is_refused(gql):
    make_user(email="a@example.com")
    result = login(gql, "a@example.com", "wrong-password")
    assert result["token"] is None and result["errors"][0]["code"] == "INVALID_CREDENTIALS"
    unknown = login(gql, "nobody@example.com", "whatever")
    assert unknown["errors"][0]["code"] == "INVALID_CREDENTIALS"  # same answer: no account enumeration


def test_repeated_failures_are_slowed_then_locked(gql, settings):
    make_user(email="target@example.com")
    for _ in range(settings.LOGIN_FREE_FAILURES):
        assert login(gql, "target@example.com", "nope")["errors"][0]["code"] == "INVALID_CREDENTIALS"
    # the next attempt comes too soon: refused, even with the right password
    refused = login(gql, "target@example.com")
    assert refused["token"] is None and refused["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    # once the backoff has passed, attempts resume; after enough failures the account locks
    row = LoginThrottle.objects.get(key="email:target@example.com")
    for _ in range(settings.LOGIN_LOCK_FAILURES - settings.LOGIN_FREE_FAILURES):
        LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(hours=1))
        assert login(gql, "target@example.com", "nope")["errors"][0]["code"] == "INVALID_CREDENTIALS"
    row.refresh_from_db()
    assert row.locked_until and row.locked_until > timezone.now() + timedelta(minutes=10)
    LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(hours=1))
    assert login(gql, "target@example.com")["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    # after the lock expires the right password works and clears the account's record
    LoginThrottle.objects.update(
        locked_until=timezone.now() - timedelta(seconds=1), last_failure_at=timezone.now() - timedelta(hours=1)
    )
    assert login(gql, "target@example.com")["token"]
    assert not LoginThrottle.objects.filter(key="email:target@example.com").exists()


def test_failures_from_one_address_across_accounts_are_throttled(gql, settings):
    for i in range(settings.LOGIN_FREE_FAILURES):
        login(gql, f"guess{i}@example.com", "nope")
    make_user(email="other@example.com")
    assert login(gql, "other@example.com")["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


def test_refresh_rotates_and_reuse_revokes_the_family(gql):
    make_user(email="r@example.com")
    first = login(gql, "r@example.com")
    second = gql(TOKEN_REFRESH, {"refreshToken": first["refreshToken"]})["data"]["tokenRefresh"]
    assert second["errors"] == [] and second["refreshToken"] != first["refreshToken"]
    # replaying the used token: refused, and the whole family (including `second`) is revoked
    replay = gql(TOKEN_REFRESH, {"refreshToken": first["refreshToken"]})["data"]["tokenRefresh"]
    assert replay["token"] is None and replay["errors"][0]["code"] == "INVALID_TOKEN"
    after = gql(TOKEN_REFRESH, {"refreshToken": second["refreshToken"]})["data"]["tokenRefresh"]
    assert after["errors"][0]["code"] == "INVALID_TOKEN"
    assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_refresh_with_garbage_is_refused(gql, db_unchanged):
    with db_unchanged():
        for junk in ("", "nonsense", "x" * 10_000):
            result = gql(TOKEN_REFRESH, {"refreshToken": junk})["data"]["tokenRefresh"]
            assert result["errors"][0]["code"] == "INVALID_TOKEN"


def test_expired_and_tampered_access_tokens_are_refused(gql, db_unchanged):
    user = make_user()
    expired = create_access_token(user, now=timezone.now() - timedelta(minutes=10))
    valid = create_access_token(user)
    header, payload, signature = valid.split(".")
    tampered = ".".join([header, payload, signature[::-1]])
    forged = jwt.encode(
        {"sub": str(user.pk), "type": "access", "iat": 1, "exp": 9999999999, "iss": "rethink-market", "ver": 0},
        "a-guessed-secret-that-is-long-enough-0000",
        algorithm="HS256",
    )
    none_alg = jwt.encode({"sub": str(user.pk), "type": "access"}, None, algorithm="none")
    with db_unchanged():
        for token in (expired, tampered, forged, none_alg, "not.a.jwt"):
            result = gql(ME, token=token)
            assert result["_status"] == 401
            assert result["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
            verify = gql(TOKEN_VERIFY, {"token": token})  # anonymous call verifying the token
            assert verify["data"]["tokenVerify"]["isValid"] is False
    assert gql(TOKEN_VERIFY, {"token": valid})["data"]["tokenVerify"]["isValid"] is True


def test_access_token_lifetime_is_short(db):
    user = make_user()
    payload = jwt.decode(create_access_token(user), settings.JWT_SECRET, algorithms=["HS256"], issuer="rethink-market")
    assert payload["exp"] - payload["iat"] <= 300


def test_deactivate_all_and_password_change_log_out_everywhere(gql):
    user = make_user(email="p@example.com")
    session_a = login(gql, "p@example.com")
    session_b = login(gql, "p@example.com")
    assert gql(DEACTIVATE, token=session_a["token"])["data"]["tokensDeactivateAll"]["ok"] is True
    assert gql(ME, token=session_b["token"])["_status"] == 401
    assert gql(TOKEN_REFRESH, {"refreshToken": session_b["refreshToken"]})["data"]["tokenRefresh"]["errors"]

    session_c = login(gql, "p@example.com")
    changed = gql(
        PASSWORD_CHANGE, {"oldPassword": PASSWORD, "newPassword": "another-Strong-99"}, token=session_c["token"]
    )
    changed = changed["data"]["passwordChange"]
    assert changed["errors"] == [] and changed["token"]
    assert gql(ME, token=session_c["token"])["_status"] == 401
    assert gql(ME, token=changed["token"])["data"]["me"]["email"] == "p@example.com"
    user.refresh_from_db()
    assert user.check_password("another-Strong-99")


def test_password_change_errors_write_nothing(gql, db_unchanged):
    user = make_user()
    with db_unchanged():
        wrong_old = gql(PASSWORD_CHANGE, {"oldPassword": "nope", "newPassword": "another-Strong-99"}, user=user)
        weak_new = gql(PASSWORD_CHANGE, {"oldPassword": PASSWORD, "newPassword": "123"}, user=user)
        anonymous = gql(PASSWORD_CHANGE, {"oldPassword": PASSWORD, "newPassword": "another-Strong-99"})
    assert wrong_old["data"]["passwordChange"]["errors"][0]["code"] == "INVALID_PASSWORD"
    assert weak_new["data"]["passwordChange"]["errors"][0]["code"] == "PASSWORD_TOO_WEAK"
    assert anonymous["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert anonymous["data"]["passwordChange"] is None


def test_account_update(gql, db_unchanged):
    user = make_user()
    result = gql(UPDATE, {"input": {"fullName": "Vũ Hoàng", "language": "EN"}}, user=user)["data"]["accountUpdate"]
    assert result["errors"] == [] and result["user"]["fullName"] == "Vũ Hoàng" and result["user"]["language"] == "EN"
    with db_unchanged():
        too_long = gql(UPDATE, {"input": {"fullName": "x" * 10_000}}, user=user)["data"]["accountUpdate"]
    assert too_long["errors"][0] == {
        "field": "fullName",
        "message": too_long["errors"][0]["message"],
        "code": "INVALID",
    }
