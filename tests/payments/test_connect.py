"""Stripe Connect for designers: onboarding, payoutsEnabled following account.updated, accrued
shares transferred once payouts are enabled."""

import pytest

from payments.models import PayoutAccount, Transfer
from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.payments.helpers import ledger_of
from tests.support import load_operation

ONBOARD = load_operation("designer/DesignerPayoutOnboard.graphql")
MONEY = load_operation("designer/MyDesignerMoney.graphql")
BY_SLUG = "query($slug: String!) { designer(slug: $slug) { displayName payoutsEnabled balance { pending { amount } } ledger(first: 5) { totalCount } } }"


def onboard(gql, user):
    return gql(ONBOARD, user=user)


def test_onboarding_creates_one_express_account_and_returns_a_link(gql, stripe_on):
    designer = make_designer()
    result = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    assert result["errors"] == [] and result["payoutsEnabled"] is False
    assert result["onboardingUrl"].startswith("https://connect.stripe.com/setup/")
    account = PayoutAccount.objects.get(designer=designer)
    [create] = stripe_on.calls_to("POST", "/v1/accounts")
    assert create.params["type"] == "express" and create.params["email"] == designer.user.email
    assert create.params["capabilities"] == {"transfers": {"requested": "true"}}
    assert create.idempotency_key == f"connect-account-designer-{designer.pk}"
    [link] = stripe_on.calls_to("POST", "/v1/account_links")
    assert link.params["account"] == account.account_id and link.params["type"] == "account_onboarding"
    assert link.params["return_url"].endswith("/designer/payouts/done")


def test_onboarding_twice_reuses_the_account_gives_a_fresh_link_and_writes_nothing(gql, stripe_on, db_unchanged):
    designer = make_designer()
    first = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    with db_unchanged():
        second = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    assert second["errors"] == [] and second["onboardingUrl"] != first["onboardingUrl"]
    assert len(stripe_on.calls_to("POST", "/v1/accounts")) == 1
    assert len(stripe_on.of_kind("account")) == 1
    assert PayoutAccount.objects.count() == 1


def test_onboarding_when_payouts_already_work_is_refused(gql, stripe_on, db_unchanged):
    designer = make_designer()
    onboard(gql, designer.user)
    PayoutAccount.objects.filter(designer=designer).update(payouts_enabled=True, details_submitted=True)
    with db_unchanged():
        result = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    assert result["errors"][0]["code"] == "ALREADY_ONBOARDED" and result["onboardingUrl"] is None
    assert len(stripe_on.calls_to("POST", "/v1/account_links")) == 1


@pytest.mark.parametrize("status", ["PENDING", "REJECTED", "SUSPENDED"])
def test_only_approved_designers_onboard(gql, stripe_on, db_unchanged, status):
    designer = make_designer(status=status)
    with db_unchanged():
        result = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    assert result["errors"][0]["code"] == "NOT_APPROVED"
    assert stripe_on.calls == []


def test_buyers_and_anonymous_callers_are_denied(gql, stripe_on, db_unchanged):
    user = make_user()
    with db_unchanged():
        buyer = onboard(gql, user)
        anonymous = gql(ONBOARD)
    for result in (buyer, anonymous):
        assert result["data"]["designerPayoutOnboard"] is None
        assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert stripe_on.calls == []


def test_without_stripe_payouts_are_not_configured(gql, settings, db_unchanged):
    settings.PAYOUT_PROVIDER = ""
    designer = make_designer()
    with db_unchanged():
        result = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    assert result["errors"][0]["code"] == "PAYOUTS_NOT_CONFIGURED"


def test_stripe_down_during_onboarding_keeps_the_account_it_made_and_a_retry_reuses_it(gql, stripe_on):
    """The account is made at Stripe, then the link fails: the account is recorded (it exists at the
    provider; the call ran outside any transaction, so nothing rolled it back) and a retry reuses it."""
    designer = make_designer()
    stripe_on.failures.append(("POST", "/v1/account_links", 500))
    failed = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    assert failed["errors"][0]["code"] == "GATEWAY_ERROR"
    assert PayoutAccount.objects.get().account_id == stripe_on.of_kind("account")[0]["id"]
    retried = onboard(gql, designer.user)["data"]["designerPayoutOnboard"]
    assert retried["errors"] == []
    assert len(stripe_on.of_kind("account")) == 1 and PayoutAccount.objects.count() == 1
    assert len([c for c in stripe_on.calls if c.path == "/v1/accounts"]) == 1  # not asked again


def test_account_updated_enables_payouts_and_transfers_what_accrued(gql, stripe_on, deliver):
    designer = make_designer()
    purchase = make_purchase((designer, [(150000, 2)]))
    payment = start_payment(purchase)
    intent, charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    # Not onboarded: the share accrues.
    assert Transfer.objects.count() == 0
    money = gql(MONEY, user=designer.user)["data"]["myDesigner"]
    assert money["payoutsEnabled"] is False
    assert money["balance"]["pending"] == {"amount": "255000", "currency": "VND"}

    onboard(gql, designer.user)
    account = PayoutAccount.objects.get()
    old = stripe_on.event("account.updated", stripe_on.object(account.account_id), created=1_700_000_000)
    enabled = stripe_on.enable_payouts(account.account_id)
    deliver(stripe_on.event("account.updated", enabled, account=account.account_id, created=1_700_000_100))
    account.refresh_from_db()
    assert account.payouts_enabled and account.details_submitted
    [transfer] = stripe_on.calls_to("POST", "/v1/transfers")
    assert transfer.params["amount"] == "255000" and transfer.params["source_transaction"] == charge["id"]
    assert ledger_of(designer) == [("SALE", 300000), ("COMMISSION", -45000), ("TRANSFER", 255000)]

    # A late, older account.updated (payouts not yet enabled then) changes nothing.
    deliver(old)
    account.refresh_from_db()
    assert account.payouts_enabled
    money = gql(MONEY, user=designer.user)["data"]["myDesigner"]
    assert money["payoutsEnabled"] is True
    assert money["balance"]["pending"]["amount"] == "0" and money["balance"]["available"]["amount"] == "255000"


def test_an_account_that_is_not_a_designers_is_ignored(stripe_on, deliver, db):
    deliver(stripe_on.event("account.updated", {"id": "acct_stranger", "object": "account", "payouts_enabled": True}))
    assert PayoutAccount.objects.count() == 0


def test_money_fields_are_private(gql, stripe_on):
    designer = make_designer(display_name="Lan")
    onboard(gql, designer.user)
    for viewer in (None, make_user(), make_designer().user):
        seen = gql(BY_SLUG, {"slug": designer.slug}, user=viewer)["data"]["designer"]
        assert seen["displayName"] == "Lan"
        assert seen["payoutsEnabled"] is None and seen["balance"] is None and seen["ledger"] is None
    staff = make_user(staff=True)
    seen = gql(BY_SLUG, {"slug": designer.slug}, user=staff)["data"]["designer"]
    assert seen["payoutsEnabled"] is False and seen["balance"]["pending"]["amount"] == "0"
