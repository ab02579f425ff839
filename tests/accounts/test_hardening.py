"""Regression tests of the outside review (issue 13) for accounts; each is named after its finding
(SECURITY.md, "Reviewed and fixed")."""


from django.test import Client

from tests.accounts.test_accounts import ME, PASSWORD, TOKEN_REFRESH, login
from tests.conftest import make_user

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
