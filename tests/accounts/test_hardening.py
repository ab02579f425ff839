"""Regression tests of the outside review (issue 13) for accounts; each is named after its finding
(SECURITY.md, "Reviewed and fixed")."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from shop.accounts.models import LoginThrottle, User
from tests.accounts.test_accounts import ME, PASSWORD, REGISTER, TOKEN_REFRESH, login
from tests.factories import make_user

NEW_PASSWORD = "another-Strong-99"


def _signed_out(gql, session) -> bool:
    me = gql(ME, token=session["token"])
    refreshed = gql(TOKEN_REFRESH, {"refreshToken": session["refreshToken"]})["data"]["tokenRefresh"]
    return me["_status"] == 401 and [e["code"] for e in refreshed["errors"]] == ["INVALID_TOKEN"]


def test_finding_01_password_set_anywhere_voids_tokens(gql):
    # 1. staff set the password in the Django admin's password form
    staff = make_user(staff=True, is_superuser=True)
    user = make_user(email="buyer@example.com")
    session = login(gql, "buyer@example.com")
    assert gql(ME, token=session["token"])["data"]["me"]["email"] == "buyer@example.com"
    admin = Client()
    admin.force_login(staff)
    response = admin.post(
        f"/admin/accounts/user/{user.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _signed_out(gql, session)
    # 2. any code path calling set_password (changepassword, a shell, a future reset path)
    session = login(gql, "buyer@example.com", NEW_PASSWORD)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    assert _signed_out(gql, session)
    # the new password signs in again, and those tokens work
    fresh = login(gql, "buyer@example.com")
    assert gql(ME, token=fresh["token"])["data"]["me"]["email"] == "buyer@example.com"
    assert not gql(TOKEN_REFRESH, {"refreshToken": fresh["refreshToken"]})["data"]["tokenRefresh"]["errors"]


def test_finding_02_one_canonical_email_for_storage_lookup_lock_and_uniqueness(gql, settings):
    registered = gql(REGISTER, {"input": {"email": "Kim@Example.COM", "password": PASSWORD}})
    assert registered["data"]["accountRegister"]["errors"] == []
    assert User.objects.get().email == "kim@example.com"  # stored in the canonical form
    # Spellings that Unicode normalisation and case folding make the same address: one account,
    # one lock key. Fullwidth letters (NFKC), the Kelvin sign (NFKC) and upper case.
    same = ["KIM@EXAMPLE.COM", "\uff2b\uff29\uff2d@example.com", "\u212aim@example.com"]
    for i in range(settings.LOGIN_LOCK_FAILURES):
        LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(hours=1))  # past the backoff
        assert login(gql, same[i % len(same)], "nope")["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert list(LoginThrottle.objects.filter(key__startswith="email:").values_list("key", flat=True)) == [
        "email:kim@example.com"
    ]
    assert LoginThrottle.objects.get(key="email:kim@example.com").locked_until > timezone.now()
    for spelling in ["kim@example.com", *same]:
        assert login(gql, spelling)["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    LoginThrottle.objects.all().delete()
    assert login(gql, "\uff2b\uff29\uff2d@example.com")["token"]
    # A dotless ı is another address (case folding keeps it), so it does not reach kim's account
    # (PostgreSQL's UPPER made it "KIM" for the old email__iexact look-up)...
    assert login(gql, "k\u0131m@example.com")["errors"][0]["code"] == "INVALID_CREDENTIALS"
    # ...and no second account may differ from kim's only by such a spelling
    for spelling in ["k\u0131m@example.com", "\u212aIM@example.com"]:
        again = gql(REGISTER, {"input": {"email": spelling, "password": PASSWORD}})["data"]["accountRegister"]
        assert [e["code"] for e in again["errors"]] == ["UNIQUE"], spelling
    assert User.objects.count() == 1


def test_finding_03_failures_from_one_address_slow_it_but_never_lock_others_out(gql, settings):
    # a shared address (carrier NAT, café Wi-Fi): someone fails many times, on many accounts
    make_user(email="neighbour@example.com")
    for i in range(settings.LOGIN_LOCK_FAILURES + 5):
        LoginThrottle.objects.filter(key__startswith="ip:").update(last_failure_at=timezone.now() - timedelta(hours=1))
        assert login(gql, f"guess{i}@example.com", "nope")["errors"][0]["code"] == "INVALID_CREDENTIALS"
    address = LoginThrottle.objects.get(key__startswith="ip:")
    assert address.locked_until is None  # the address is never locked
    # it is slowed: right after a failure, everyone there waits a little (at most the cap)...
    slowed = login(gql, "neighbour@example.com")
    assert slowed["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    # ...but once the (short) delay has passed, another account signs in from the same address
    LoginThrottle.objects.filter(key__startswith="ip:").update(
        last_failure_at=timezone.now() - timedelta(seconds=settings.LOGIN_ADDRESS_MAX_DELAY_SECONDS + 1)
    )
    assert login(gql, "neighbour@example.com")["token"]
    # the per-account lock stays
    make_user(email="target@example.com")
    for _ in range(settings.LOGIN_LOCK_FAILURES):
        LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(hours=1))
        login(gql, "target@example.com", "nope")
    assert LoginThrottle.objects.get(key="email:target@example.com").locked_until > timezone.now()
