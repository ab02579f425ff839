"""Password reset: the same answer whether or not the account exists; a signed, expiring,
single-use token emailed by a Celery task after commit (vi/en); setting the password signs the
account out everywhere."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from shop.accounts import reset_tokens
from shop.accounts.models import LoginThrottle, PasswordResetRequest, RefreshToken, User
from tests.factories import make_user
from tests.support import load_operation

RESET = load_operation("account/RequestPasswordReset.graphql")
SET_PASSWORD = load_operation("account/SetPassword.graphql")
TOKEN_CREATE = load_operation("account/TokenCreate.graphql")
ME = load_operation("account/Me.graphql")
NEW_PASSWORD = "a-Brand-new-pass-77"


def request_reset(gql, email, **kw):
    result = gql(RESET, {"email": email}, **kw)
    assert result["_status"] == 200
    return result["data"]["requestPasswordReset"]


def emailed_token(message) -> str:
    match = re.search(r"token=([A-Za-z0-9_.\-%]+)", message.body)
    assert match, message.body
    from urllib.parse import unquote

    return unquote(match.group(1))


def set_password(gql, token, password=NEW_PASSWORD):
    return gql(SET_PASSWORD, {"token": token, "password": password})["data"]["setPassword"]


def test_same_answer_whether_or_not_the_account_exists(gql, django_capture_on_commit_callbacks):
    make_user(email="real@example.com")
    inactive = make_user(email="gone@example.com", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            request_reset(gql, email)
            for email in ("real@example.com", "nobody@example.com", inactive.email, "REAL@example.com")
        ]
    assert all(a == {"errors": []} for a in answers)
    # only the real, active account got an email (once: the second request came too soon)
    assert [m.to for m in mail.outbox] == [["real@example.com"]]
    assert PasswordResetRequest.objects.count() == 1


def test_malformed_email_is_a_payload_error_and_writes_nothing(gql, db_unchanged):
    with db_unchanged():
        for email in ("", "not-an-email", "x" * 300 + "@example.com"):
            result = request_reset(gql, email)
            assert result["errors"][0]["field"] == "email" and result["errors"][0]["code"] in ("REQUIRED", "INVALID")


def test_reset_flow_signs_out_everywhere_and_the_token_works_once(gql, django_capture_on_commit_callbacks):
    user = make_user(email="lan@example.com")
    session = gql(TOKEN_CREATE, {"email": "lan@example.com", "password": "a-Strong-pass-42"})["data"]["tokenCreate"]
    with django_capture_on_commit_callbacks(execute=True):
        request_reset(gql, "lan@example.com")
    token = emailed_token(mail.outbox[-1])
    assert token not in str(list(PasswordResetRequest.objects.values())), "the token is never stored"

    result = set_password(gql, token)
    assert result["errors"] == [] and result["user"]["email"] == "lan@example.com"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # signed out everywhere: the old access token and refresh token are dead
    assert gql(ME, token=session["token"])["_status"] == 401
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    # single use
    again = set_password(gql, token, "yet-Another-pass-88")
    assert again["user"] is None and again["errors"][0]["code"] == "INVALID_TOKEN"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    login = gql(TOKEN_CREATE, {"email": "lan@example.com", "password": NEW_PASSWORD})["data"]["tokenCreate"]
    assert login["token"]


def test_expired_tampered_and_foreign_tokens_are_refused(gql, db_unchanged, settings):
    user = make_user()
    other = make_user()
    good = reset_tokens.make_token(user)
    expired_ts = (
        reset_tokens.generator._num_seconds(reset_tokens.generator._now()) - settings.PASSWORD_RESET_TIMEOUT - 5
    )
    expired = (
        good.split(".")[0]
        + "."
        + reset_tokens.generator._make_token_with_timestamp(user, expired_ts, reset_tokens.generator.secret)
    )
    uid, rest = good.split(".")
    other_uid = reset_tokens.make_token(other).split(".")[0]
    with db_unchanged():
        for token in (
            expired,
            f"{other_uid}.{rest}",
            good[:-1] + ("0" if good[-1] != "0" else "1"),
            "",
            "garbage",
            "x" * 5000,
            "MQ.1-2",
        ):
            result = set_password(gql, token)
            assert result["errors"][0]["code"] == "INVALID_TOKEN" and result["errors"][0]["field"] == "token", token
    assert set_password(gql, good)["errors"] == []


def test_tokens_die_with_a_password_change_or_sign_out_everywhere(gql):
    user = make_user()
    token = reset_tokens.make_token(user)
    from shop.accounts import services

    services.deactivate_all_tokens(user=user)
    assert set_password(gql, token)["errors"][0]["code"] == "INVALID_TOKEN"
    token = reset_tokens.make_token(User.objects.get(pk=user.pk))
    services.change_password(
        user=User.objects.get(pk=user.pk), old_password="a-Strong-pass-42", new_password="changed-Pass-123"
    )
    assert set_password(gql, token)["errors"][0]["code"] == "INVALID_TOKEN"


def test_weak_password_is_refused_and_the_token_stays_usable(gql, db_unchanged):
    user = make_user()
    token = reset_tokens.make_token(user)
    with db_unchanged():
        weak = set_password(gql, token, "12345678")
    assert weak["errors"][0]["code"] == "PASSWORD_TOO_WEAK"
    assert set_password(gql, token)["errors"] == []


def test_setting_the_password_lifts_a_login_lockout(gql, settings):
    make_user(email="locked@example.com")
    for _ in range(settings.LOGIN_LOCK_FAILURES):
        LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(hours=1))
        gql(TOKEN_CREATE, {"email": "locked@example.com", "password": "nope"})
    assert LoginThrottle.objects.get(key="email:locked@example.com").locked_until
    user = User.objects.get(email="locked@example.com")
    assert set_password(gql, reset_tokens.make_token(user))["errors"] == []
    assert not LoginThrottle.objects.filter(key="email:locked@example.com").exists()


@pytest.mark.parametrize("language, subject", [("vi", "đặt mật khẩu mới"), ("en", "set a new password")])
def test_email_in_the_users_language(gql, django_capture_on_commit_callbacks, language, subject):
    user = make_user(language=language)
    with django_capture_on_commit_callbacks(execute=True):
        request_reset(gql, user.email)
    message = mail.outbox[-1]
    assert subject in message.subject and message.to == [user.email]
    token = emailed_token(message)
    assert token in message.alternatives[0][0]
    assert reset_tokens.check(user, token)


def test_nothing_is_queued_before_commit(gql, django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request_reset(gql, user.email)
    assert len(callbacks) == 1 and mail.outbox == []


def test_reset_email_is_sent_once_by_a_real_worker(celery_worker):
    from shop.accounts.tasks import send_password_reset_email
    from tests.support import GraphQLClient, wait_for

    gql = GraphQLClient()
    user = make_user(language="en")
    assert request_reset(gql, user.email) == {"errors": []}
    request = PasswordResetRequest.objects.get(user=user)
    wait_for(lambda: PasswordResetRequest.objects.filter(pk=request.pk, email_sent_at__isnull=False).exists())
    sent = [m for m in mail.outbox if m.to == [user.email]]
    assert len(sent) == 1
    # delivered again: nothing more is sent
    assert send_password_reset_email.apply(args=[request.pk]).get() is False
    assert len([m for m in mail.outbox if m.to == [user.email]]) == 1
    assert set_password(gql, emailed_token(sent[0]))["errors"] == []


def test_stale_requests_are_not_emailed(db, settings):
    from shop.accounts.tasks import send_password_reset_email

    user = make_user()
    request = PasswordResetRequest.objects.create(
        user=user, created_at=timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    )
    assert send_password_reset_email.apply(args=[request.pk]).get() is False
    assert mail.outbox == []
