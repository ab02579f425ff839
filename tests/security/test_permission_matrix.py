"""Object-level authorization: the permission matrix.

Every query field, every ``node`` type and every mutation of the schema is run as each role —
anonymous, buyer X, designer A, designer B (pending, approved, suspended) and staff — against
objects owned by designer A and by buyer X. What each role must get is written in ONE table,
``MATRIX`` below. ``test_every_schema_entry_has_a_row`` enumerates the schema: a new query field,
mutation or node type without a row fails the suite until someone decides who may use it.

Each app's rows live in a block of their own (accounts and designers in ``MATRIX`` itself,
``COMMERCE_ROWS`` for checkout and orders, ``CATALOG_ROWS`` for the catalog and portfolios), each
with the objects it needs built by its own ``_add_<app>(world)``.

How to add a row
----------------
1. Give the world what your rows need: add objects to ``World`` / ``build_world`` (a product of
   designer A, an order of buyer X, ...), owned by ``world.designer_a`` or ``world.buyer``.
2. Append a ``Row`` to ``MATRIX`` (or your app's block)::

       Row("Query.product", "query($id: ID!) { product(id: $id) { id name } }",
           lambda w: {"id": gid("Product", w.catalog.draft.pk)},
           roles(NULL, designer_a=DATA, staff=DATA)),

   - ``target``: ``"Query.<field>"``, ``"Mutation.<field>"`` or ``"Node.<Type>"`` (a ``node(id:)``
     lookup of that type); the document's top-level field must be that field (``node`` for Node).
   - ``variables``: a function of the world (IDs, tokens, ...); it runs once per role.
   - ``files`` (optional): a function of the world giving uploads, ``{"variables.image": (name,
     bytes, content type)}``; the row is then sent as a GraphQL multipart request.
   - ``roles(default, **overrides)`` fills every role, so each role's outcome is a decision. Roles:
     ``anonymous``, ``buyer``, ``designer_a``, ``designer_b_pending``, ``designer_b_approved``,
     ``designer_b_suspended``, ``staff``.
   - Outcomes: ``DATA`` (a non-null answer, no errors), ``NULL`` (null and no error: the object is
     invisible, no existence leak), ``DENIED`` (top-level ``PERMISSION_DENIED``, nothing written),
     ``fails("CODE")`` (a payload error with that code, nothing written), and custom checks:
     ``data(lambda value, w, role: ...)`` and ``fails("CODE", lambda value, w, role: ...)`` get
     the field's value (return a true value or assert). "Nothing written" covers every table and
     the files in the public and private media storages (a temporary directory per test).
3. Run ``pytest tests/security/test_permission_matrix.py``. Each role runs inside a savepoint that
   is rolled back, so mutations in one role do not affect the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from graphql_relay import to_global_id

from designers.models import DesignerStatusChange
from graphql import is_object_type, parse
from shop.accounts import reset_tokens, tokens
from shop.accounts.models import User
from shop.schema import schema
from tests.catalog.helpers import isolated_storage
from tests.factories import make_designer, make_user
from tests.media import image_bytes, multipart, pdf_bytes, zip_bytes
from tests.support import unchanged_database

PASSWORD = "a-Strong-pass-42"
ROLES = (
    "anonymous",
    "buyer",
    "designer_a",
    "designer_b_pending",
    "designer_b_approved",
    "designer_b_suspended",
    "staff",
)


def gid(type_name: str, pk) -> str:
    return to_global_id(type_name, pk)


# --- the world: objects owned by designer A and by buyer X ---------------------------------------


@dataclass
class World:
    buyer: User  # buyer X
    designer_a: object
    designer_b_pending: object
    designer_b_approved: object
    designer_b_suspended: object
    staff: User
    buyer_refresh_token: str = ""
    # checkout and orders (see _add_commerce)
    variant_a: object = None
    shipping_a: object = None
    checkout_x: object = None  # buyer X's open checkout, ready to complete
    checkout_anon: object = None  # an anonymous checkout (its token is the only key)
    purchase_x: object = None  # buyer X's paid purchase: one order of designer A
    order_a: object = None
    download_x: object = None
    order_cod_a: object = None  # buyer X's cash-on-delivery order of designer A, shipped (see _add_cod)
    # catalog and portfolios (see _add_catalog)
    catalog: CatalogWorld = None

    def user(self, role: str) -> User | None:
        if role == "anonymous":
            return None
        if role in ("buyer", "staff"):
            return getattr(self, role)
        return getattr(self, role).user

    def own_designer(self, role: str):
        return getattr(self, role, None) if role.startswith("designer_") else None


def build_world() -> World:
    buyer = make_user(email="buyer.x@example.com", full_name="Buyer X")
    staff = make_user(email="staff.matrix@example.com", staff=True)
    designer_a = make_designer(display_name="Designer A", status="APPROVED", bio="A's bio")
    DesignerStatusChange.objects.create(designer=designer_a, from_status="", to_status="PENDING", actor=designer_a.user)
    DesignerStatusChange.objects.create(designer=designer_a, from_status="PENDING", to_status="APPROVED", actor=staff)
    world = World(
        buyer=buyer,
        designer_a=designer_a,
        designer_b_pending=make_designer(display_name="B pending", status="PENDING"),
        designer_b_approved=make_designer(display_name="B approved", status="APPROVED"),
        designer_b_suspended=make_designer(display_name="B suspended", status="SUSPENDED"),
        staff=staff,
    )
    world.buyer_refresh_token = tokens.issue_refresh_token(buyer).raw
    _add_commerce(world)
    _add_catalog(world)
    return world


def _add_commerce(world: World) -> None:
    """Designer A sells a scarf and a font and ships with one method; buyer X has an open checkout
    and a paid purchase (one order of designer A, with a download link); someone has an anonymous
    checkout."""
    from shop.checkout import cart as checkout_cart
    from shop.checkout import completion as checkout_completion
    from shop.checkout.models import ShippingMethod
    from shop.orders.models import DigitalDownload
    from tests.factories import make_product, make_variant

    designer_a = world.designer_a
    world.variant_a = make_variant(product=make_product(designer=designer_a, name="A's scarf"), price=150000, stock=10)
    font = make_variant(
        product=make_product(designer=designer_a, name="A's font", product_type="DIGITAL"),
        price=90000,
        stock=0,
        digital_file="digital/matrix-font.zip",
    )
    world.shipping_a = ShippingMethod.objects.create(designer=designer_a, name="A ships", price_amount=30000)
    address = {
        "recipient_name": "Buyer X",
        "phone": "0912345678",
        "street_address": "1 Hàng Bạc",
        "ward": "Hoàn Kiếm",
        "province": "Hà Nội",
    }

    def ready(user, variants):
        checkout = checkout_cart.create_checkout(
            user=user,
            email="x@example.com",
            shipping_address=address,
            lines=[{"variant_id": v.pk, "quantity": 1} for v in variants],
        )
        checkout_cart.set_shipping_method(token=checkout.token, user=user, shipping_method_id=world.shipping_a.pk)
        return checkout

    paid = ready(world.buyer, [world.variant_a, font])
    world.purchase_x = checkout_completion.complete_checkout(
        token=paid.token, user=world.buyer, gateway_id="dummy"
    ).purchase
    world.order_a = world.purchase_x.orders.get()
    world.download_x = DigitalDownload.objects.get(line__order=world.order_a)
    _add_cod(world)  # before buyer X's open checkout: a signed-in buyer has one cart
    world.checkout_x = ready(world.buyer, [world.variant_a])
    world.checkout_anon = ready(None, [world.variant_a])


def a_money_visible_only_to_a_and_staff(value, w, role):
    """Designer A's payouts, balance and ledger: A and staff only (A's order was paid: 2 entries)."""
    if role in ("designer_a", "staff"):
        assert value["payoutsEnabled"] is False and value["ledger"]["totalCount"] == 2
        assert value["balance"]["pending"]["amount"] == "229500"  # 270000 (scarf, font, shipping) - 15 %
    else:
        assert value["payoutsEnabled"] is None and value["balance"] is None and value["ledger"] is None
    return True


def _refund_of_a(world: World):
    """Staff refund part of buyer X's paid order of designer A (dummy gateway)."""
    from payments import refunds

    return refunds.refund_order(actor=world.staff, order_id=world.order_a.pk, amount="10000")


# --- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str  # "data", "null", "denied", "fails"
    code: str | None = None
    check: Callable | None = None
    writes_nothing: bool = False

    def __repr__(self):
        return self.kind.upper() + (f"({self.code})" if self.code else "")


DATA = Outcome("data")
NULL = Outcome("null")
DENIED = Outcome("denied", writes_nothing=True)


def fails(code: str, check: Callable | None = None) -> Outcome:
    """A payload error with ``code``, nothing written (rows, and files in the media and private
    storages); ``check(value, w, role)`` may look further (e.g. at the message)."""
    return Outcome("fails", code=code, check=check, writes_nothing=True)


def data(check: Callable) -> Outcome:
    return Outcome("data", check=check)


def roles(default: Outcome, **overrides: Outcome) -> dict[str, Outcome]:
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: overrides.get(role, default) for role in ROLES}


@dataclass
class Row:
    target: str
    document: str
    variables: Callable[[World], dict] = field(default=lambda w: {})
    expect: dict[str, Outcome] = field(default_factory=dict)
    # uploads, sent as a GraphQL multipart request: {"variables.image": (name, bytes, content type)}
    files: Callable[[World], dict] | None = None

    @property
    def id(self) -> str:
        first_line = " ".join(self.document.split())[:60]
        return f"{self.target}: {first_line}"


# --- checks used by several rows ----------------------------------------------------------------


def is_own_user(value, w, role):
    return value["id"] == gid("User", w.user(role).pk)


def is_own_designer(value, w, role):
    return value["id"] == gid("Designer", w.own_designer(role).pk)


def a_history_visible_only_to_a_and_staff(value, w, role):
    assert value["id"] == gid("Designer", w.designer_a.pk)
    history = value["statusHistory"]
    if role in ("designer_a", "staff"):
        assert [h["toStatus"] for h in history] == ["PENDING", "APPROVED"]
        # who decided is for staff only
        assert [h["actorEmail"] for h in history][1] == (w.staff.email if role == "staff" else None)
    else:
        assert history == []
    return True


def public_designer_list(value, w, role):
    ids = {e["node"]["id"] for e in value["edges"]}
    public = {gid("Designer", w.designer_a.pk), gid("Designer", w.designer_b_approved.pk)}
    if role == "staff":
        return public <= ids and gid("Designer", w.designer_b_pending.pk) in ids
    return ids == public


def only_self_changed(attribute: str, owner_roles: dict[str, str]):
    """A mutation on "my account" changed the caller and nobody else: buyer X and designer A's
    user keep ``attribute`` unless the caller is them."""

    def check(value, w, role):
        assert value["errors"] == [], value
        for owner_role in owner_roles:
            owner = w.user(owner_role)
            current = getattr(User.objects.get(pk=owner.pk), attribute)
            if role != owner_role:
                assert current == getattr(owner, attribute), f"{role} changed {owner_role}'s {attribute}"
        return True

    return check


def no_errors(value, w, role):
    assert value["errors"] == [], value
    return True


def designer_status(status: str):
    def check(value, w, role):
        assert value["errors"] == [] and value["designer"]["status"] == status, value
        return True

    return check


def updated_own_profile_only(value, w, role):
    assert value["errors"] == [], value
    assert value["designer"]["id"] == gid("Designer", w.own_designer(role).pk)
    a_bio = type(w.designer_a).objects.get(pk=w.designer_a.pk).bio
    assert a_bio == ("changed" if role == "designer_a" else "A's bio")
    return True


# --- THE table ----------------------------------------------------------------------------------

DESIGNER_A_DETAIL = "query($slug: String!) { designer(slug: $slug) { id statusHistory { toStatus actorEmail } } }"
NODE_DESIGNER = "query($id: ID!) { node(id: $id) { id ... on Designer { statusHistory { toStatus actorEmail } } } }"
NODE_USER = "query($id: ID!) { node(id: $id) { id ... on User { email } } }"
DECIDE = (
    "mutation($id: ID!, $reason: String) { %s(id: $id, reason: $reason) { designer { id status } errors { code } } }"
)
DECIDE_REASON = (
    "mutation($id: ID!, $reason: String!) { %s(id: $id, reason: $reason) { designer { id status } errors { code } } }"
)
STAFF_ONLY = roles(DENIED, staff=DATA)

MATRIX: list[Row] = [
    # queries
    Row("Query.me", "{ me { id email } }", expect=roles(data(is_own_user), anonymous=NULL)),
    Row(
        "Query.myDesigner",
        "{ myDesigner { id status } }",
        expect=roles(data(is_own_designer), anonymous=NULL, buyer=NULL, staff=NULL),
    ),
    Row(
        "Query.designers",
        "{ designers(first: 100) { edges { node { id status } } } }",
        expect=roles(data(public_designer_list)),
    ),
    Row(
        "Query.designers",
        "{ designers(first: 100, filter: {status: PENDING}) { edges { node { id } } } }",
        expect=STAFF_ONLY,
    ),
    Row(
        "Query.designer",
        DESIGNER_A_DETAIL,
        lambda w: {"slug": w.designer_a.slug},
        expect=roles(data(a_history_visible_only_to_a_and_staff)),
    ),
    Row(
        "Query.designer",
        "query($id: ID!) { designer(id: $id) { id status } }",
        lambda w: {"id": gid("Designer", w.designer_b_pending.pk)},  # guessing a pending designer's ID
        expect=roles(NULL, designer_b_pending=data(is_own_designer), staff=DATA),
    ),
    Row("Query.node", NODE_USER, lambda w: {"id": gid("User", w.buyer.pk)}, expect=roles(NULL, buyer=DATA, staff=DATA)),
    # node types
    Row(
        "Node.User",
        NODE_USER,
        lambda w: {"id": gid("User", w.buyer.pk)},
        expect=roles(NULL, buyer=data(lambda v, w, r: v["email"] == w.buyer.email), staff=DATA),
    ),
    Row(
        "Node.Designer",
        NODE_DESIGNER,
        lambda w: {"id": gid("Designer", w.designer_a.pk)},
        expect=roles(data(a_history_visible_only_to_a_and_staff)),
    ),
    Row(
        "Node.Designer",
        NODE_DESIGNER,
        lambda w: {"id": gid("Designer", w.designer_b_suspended.pk)},
        expect=roles(NULL, designer_b_suspended=DATA, staff=DATA),
    ),
    # account mutations: public ones work for everyone; "my account" ones touch only the caller
    Row(
        "Mutation.accountRegister",
        "mutation($input: AccountRegisterInput!) { accountRegister(input: $input) { user { id } errors { code } } }",
        lambda w: {"input": {"email": "new.account@example.com", "password": PASSWORD}},
        expect=roles(data(no_errors)),
    ),
    Row(
        "Mutation.tokenCreate",
        "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { token user { id } errors { code } } }",
        lambda w: {"e": w.buyer.email, "p": PASSWORD},
        expect=roles(data(lambda v, w, r: v["token"] and v["user"]["id"] == gid("User", w.buyer.pk))),
    ),
    Row(
        "Mutation.tokenRefresh",
        "mutation($t: String!) { tokenRefresh(refreshToken: $t) { token errors { code } } }",
        lambda w: {"t": w.buyer_refresh_token},
        expect=roles(data(lambda v, w, r: v["token"] and v["errors"] == [])),
    ),
    Row(
        "Mutation.tokenVerify",
        "mutation($t: String!) { tokenVerify(token: $t) { isValid user { id } errors { code } } }",
        lambda w: {"t": tokens.create_access_token(w.buyer)},
        expect=roles(data(lambda v, w, r: v["isValid"] is True)),
    ),
    Row(
        "Mutation.tokensDeactivateAll",
        "mutation { tokensDeactivateAll { ok errors { code } } }",
        expect=roles(data(only_self_changed("token_version", {"buyer": "", "designer_a": ""})), anonymous=DENIED),
    ),
    Row(
        "Mutation.accountUpdate",
        'mutation { accountUpdate(input: {fullName: "Changed"}) { user { id fullName } errors { code } } }',
        expect=roles(data(only_self_changed("full_name", {"buyer": "", "designer_a": ""})), anonymous=DENIED),
    ),
    Row(
        "Mutation.passwordChange",
        'mutation($old: String!) { passwordChange(oldPassword: $old, newPassword: "another-Strong-99") { token errors { code } } }',
        lambda w: {"old": PASSWORD},
        expect=roles(data(only_self_changed("password", {"buyer": "", "designer_a": ""})), anonymous=DENIED),
    ),
    Row(
        "Mutation.requestPasswordReset",
        "mutation($e: String!) { requestPasswordReset(email: $e) { errors { code } } }",
        lambda w: {"e": w.buyer.email},
        expect=roles(data(no_errors)),
    ),
    Row(
        "Mutation.setPassword",
        'mutation($t: String!) { setPassword(token: $t, password: "reset-Strong-77") { user { id } errors { code } } }',
        lambda w: {"t": reset_tokens.make_token(w.buyer)},
        expect=roles(data(lambda v, w, r: v["user"]["id"] == gid("User", w.buyer.pk))),
    ),
    # designer mutations
    Row(
        "Mutation.designerApply",
        'mutation { designerApply(input: {displayName: "New shop"}) { designer { id status } errors { code } } }',
        expect=roles(
            fails("ALREADY_APPLIED"),
            anonymous=DENIED,
            buyer=data(designer_status("PENDING")),
            staff=data(designer_status("PENDING")),
        ),
    ),
    Row(
        "Mutation.designerUpdate",
        'mutation { designerUpdate(input: {bio: "changed"}) { designer { id } errors { code } } }',
        expect=roles(
            data(updated_own_profile_only), anonymous=DENIED, buyer=fails("NOT_FOUND"), staff=fails("NOT_FOUND")
        ),
    ),
    Row(
        "Mutation.designerApprove",
        DECIDE % "designerApprove",
        lambda w: {"id": gid("Designer", w.designer_b_pending.pk)},
        expect=roles(DENIED, staff=data(designer_status("APPROVED"))),
    ),
    Row(
        "Mutation.designerApprove",
        DECIDE % "designerApprove",
        lambda w: {"id": gid("Designer", w.designer_a.pk)},  # already approved: staff pass authz, then a payload error
        expect=roles(DENIED, staff=fails("INVALID_TRANSITION")),
    ),
    Row(
        "Mutation.designerReject",
        DECIDE_REASON % "designerReject",
        lambda w: {"id": gid("Designer", w.designer_b_pending.pk), "reason": "Incomplete"},
        expect=roles(DENIED, staff=data(designer_status("REJECTED"))),
    ),
    Row(
        "Mutation.designerSuspend",
        DECIDE_REASON % "designerSuspend",
        lambda w: {"id": gid("Designer", w.designer_a.pk), "reason": "Counterfeit"},
        expect=roles(DENIED, staff=data(designer_status("SUSPENDED"))),
    ),
    Row(
        "Mutation.designerReinstate",
        DECIDE % "designerReinstate",
        lambda w: {"id": gid("Designer", w.designer_b_suspended.pk), "reason": None},
        expect=roles(DENIED, staff=data(designer_status("APPROVED"))),
    ),
    # checkout and orders: COMMERCE_ROWS below
    # payments (Stripe is not configured in tests by default: payouts cannot be set up)
    Row(
        "Mutation.designerPayoutOnboard",
        "mutation { designerPayoutOnboard { onboardingUrl errors { code } } }",
        expect=roles(
            fails("PAYOUTS_NOT_CONFIGURED"),
            anonymous=DENIED,
            buyer=DENIED,
            staff=DENIED,
            designer_b_pending=fails("NOT_APPROVED"),
            designer_b_suspended=fails("NOT_APPROVED"),
        ),
    ),
    Row(
        "Mutation.orderRefund",
        'mutation($id: ID!) { orderRefund(id: $id, input: {amount: "1000"}) { refund { id } errors { code } } }',
        lambda w: {"id": gid("Order", w.order_a.pk)},
        expect=roles(
            fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, designer_a=data(no_errors), staff=data(no_errors)
        ),
    ),
    Row(
        "Mutation.refundSend",
        'mutation($id: ID!) { refundSend(id: $id, input: {bankBin: "970436", accountNumber: "0123456789", '
        'accountHolder: "NGUYEN VAN AN"}) { refund { id } errors { code } } }',
        lambda w: {"id": gid("Refund", _refund_of_a(w).pk)},  # staff only; no payout provider configured here
        expect=roles(DENIED, staff=fails("PAYOUTS_NOT_CONFIGURED")),
    ),
    Row(
        "Query.designer",
        "query($slug: String!) { designer(slug: $slug) { id payoutsEnabled balance { pending { amount } } ledger(first: 5) { totalCount } } }",
        lambda w: {"slug": w.designer_a.slug},
        expect=roles(data(a_money_visible_only_to_a_and_staff)),
    ),
    Row(
        "Node.LedgerEntry",
        "query($id: ID!) { node(id: $id) { id ... on LedgerEntry { kind } } }",
        lambda w: {"id": gid("LedgerEntry", w.order_a.ledger_entries.order_by("pk").first().pk)},
        expect=roles(NULL, designer_a=DATA, staff=DATA),
    ),
    Row(
        "Node.Refund",
        "query($id: ID!) { node(id: $id) { id ... on Refund { amount { amount } } } }",
        lambda w: {"id": gid("Refund", _refund_of_a(w).pk)},  # made inside each role's rolled-back savepoint
        expect=roles(NULL, buyer=DATA, designer_a=DATA, staff=DATA),
    ),
]


# --- sales tracking ---------------------------------------------------------------------------
# A designer's sales: the designer itself (myDesigner) and staff (designer(slug)); null for the
# others. Designer A's order (270000: scarf, font, shipping) was paid in the world, today.
SALES_PERIOD = '{from: "2022-01-01", to: "2030-12-31"}'


def a_sales_visible_only_to_a_and_staff(value, w, role):
    if role in ("designer_a", "staff"):
        assert value["sales"]["orders"] == 1 and value["sales"]["grossSales"]["amount"] == "270000"
    else:
        assert value["sales"] is None
    return True


def own_sales_only(value, w, role):
    expected = 1 if role == "designer_a" else 0  # another designer sees its own (empty) numbers
    assert value["sales"]["orders"] == expected, value
    return True


def _export_of_a(world: World):
    """Designer A's own export (staff's exports are theirs alone too)."""
    from shop.orders.models import ExportJob

    return ExportJob.objects.create(user=world.designer_a.user, designer=world.designer_a, kind="ORDERS")


MATRIX += [
    Row(
        "Query.myDesigner",
        "{ myDesigner { id sales(period: %s, granularity: MONTH) { orders grossSales { amount } } } }" % SALES_PERIOD,
        expect=roles(data(own_sales_only), anonymous=NULL, buyer=NULL, staff=NULL),
    ),
    Row(
        "Query.designer",
        "query($slug: String!) { designer(slug: $slug) { id sales(period: %s, granularity: MONTH) "
        "{ orders grossSales { amount } topProducts(first: 5) { units } } } }" % SALES_PERIOD,
        lambda w: {"slug": w.designer_a.slug},
        expect=roles(data(a_sales_visible_only_to_a_and_staff)),
    ),
    Row(
        "Query.marketplaceStats",
        "{ marketplaceStats(period: %s, granularity: MONTH) { paidOrders grossMerchandiseValue { amount } "
        "topDesigners(first: 3) { orders } } }" % SALES_PERIOD,
        expect=roles(DENIED, staff=data(lambda v, w, r: v["paidOrders"] == 1)),
    ),
    Row(
        "Mutation.ordersExport",
        "mutation { ordersExport { exportJob { id status } errors { code } } }",
        expect=roles(data(no_errors), anonymous=DENIED, buyer=DENIED),
    ),
    Row(
        "Mutation.salesExport",
        "mutation { salesExport(period: %s, granularity: MONTH) { exportJob { id status } errors { code } } }"
        % SALES_PERIOD,
        expect=roles(data(no_errors), anonymous=DENIED, buyer=DENIED),
    ),
    Row(
        "Query.exportJob",
        "query($id: ID!) { exportJob(id: $id) { id status url } }",
        lambda w: {"id": gid("ExportJob", _export_of_a(w).pk)},  # made inside each role's savepoint
        expect=roles(NULL, designer_a=DATA),
    ),
    Row(
        "Node.ExportJob",
        "query($id: ID!) { node(id: $id) { id ... on ExportJob { status } } }",
        lambda w: {"id": gid("ExportJob", _export_of_a(w).pk)},
        expect=roles(NULL, designer_a=DATA),
    ),
    Row(
        "Mutation.productViewRecord",
        'mutation($id: ID!) { productViewRecord(productId: $id, anonymousId: "matrix-visitor-1") '
        "{ recorded errors { code } } }",
        lambda w: {"id": gid("Product", w.variant_a.product_id)},
        expect=roles(data(lambda v, w, r: v["errors"] == [] and v["recorded"] is True)),
    ),
]


# --- checkout and orders ------------------------------------------------------------------------
# A checkout is reached by its token (a signed-in buyer's only by that buyer); an order by its
# buyer, its designer and staff; the purchase token is the anonymous buyer's proof; download links
# are the buyer's alone. Designers ship their own orders; buyers cancel unpaid ones, staff any
# unpaid or paid one.

CHECKOUT_DETAIL = "query($token: UUID!) { checkout(token: $token) { id total { amount } } }"
NODE_ID = "query($id: ID!) { node(id: $id) { id } }"
X_CHECKOUT_ONLY = roles(fails("NOT_FOUND"), buyer=DATA)
ORDER_VIEWERS = roles(NULL, buyer=DATA, designer_a=DATA, staff=DATA)
DESIGNERS_ONLY = roles(DATA, anonymous=DENIED, buyer=DENIED, staff=DENIED)
A_ONLY_AMONG_DESIGNERS = roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, staff=DENIED, designer_a=DATA)


def x_checkout(w):
    return {"token": str(w.checkout_x.token)}


def paid_purchase(value, w, role):
    assert value["errors"] == [] and value["purchase"]["status"] == "PAID", value
    return True


COMMERCE_ROWS: list[Row] = [
    Row("Query.checkout", CHECKOUT_DETAIL, x_checkout, roles(NULL, buyer=DATA)),
    Row("Query.checkout", CHECKOUT_DETAIL, lambda w: {"token": str(w.checkout_anon.token)}, roles(DATA)),
    Row("Query.paymentGateways", "{ paymentGateways { id name } }", expect=roles(DATA)),
    Row(
        "Query.purchase",
        "query($token: UUID!) { purchase(token: $token) { id orders { number } } }",
        lambda w: {"token": str(w.purchase_x.token)},
        roles(DATA),
    ),
    Row("Query.orders", "{ orders(first: 10) { totalCount } }", expect=STAFF_ONLY),
    Row("Node.Checkout", NODE_ID, lambda w: {"id": gid("Checkout", w.checkout_x.pk)}, roles(NULL, buyer=DATA)),
    Row("Node.Checkout", NODE_ID, lambda w: {"id": gid("Checkout", w.checkout_anon.pk)}, roles(NULL)),  # its token only
    Row(
        "Node.CheckoutLine",
        NODE_ID,
        lambda w: {"id": gid("CheckoutLine", w.checkout_x.lines.get().pk)},
        roles(NULL, buyer=DATA),
    ),
    Row("Node.ShippingMethod", NODE_ID, lambda w: {"id": gid("ShippingMethod", w.shipping_a.pk)}, roles(DATA)),
    Row(
        "Node.Purchase",
        NODE_ID,
        lambda w: {"id": gid("Purchase", w.purchase_x.pk)},
        roles(NULL, buyer=DATA, staff=DATA),
    ),
    Row("Node.Order", NODE_ID, lambda w: {"id": gid("Order", w.order_a.pk)}, ORDER_VIEWERS),
    Row("Node.OrderLine", NODE_ID, lambda w: {"id": gid("OrderLine", w.order_a.lines.first().pk)}, ORDER_VIEWERS),
    Row("Node.OrderEvent", NODE_ID, lambda w: {"id": gid("OrderEvent", w.order_a.events.first().pk)}, ORDER_VIEWERS),
    Row(
        "Node.DigitalDownload",
        NODE_ID,
        lambda w: {"id": gid("DigitalDownload", w.download_x.pk)},
        roles(NULL, buyer=DATA),
    ),
    Row(
        "Mutation.checkoutCreate",
        'mutation($v: ID!) { checkoutCreate(input: {email: "new@example.com", lines: [{variantId: $v, quantity: 1}]}) { checkout { id } errors { code } } }',
        lambda w: {"v": gid("ProductVariant", w.variant_a.pk)},
        roles(DATA),
    ),
    Row(
        "Mutation.checkoutLinesAdd",
        "mutation($token: UUID!, $v: ID!) { checkoutLinesAdd(token: $token, input: {lines: [{variantId: $v, quantity: 1}]}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "v": gid("ProductVariant", w.variant_a.pk)},
        X_CHECKOUT_ONLY,
    ),
    Row(
        "Mutation.checkoutLinesUpdate",
        "mutation($token: UUID!, $v: ID!) { checkoutLinesUpdate(token: $token, input: {lines: [{variantId: $v, quantity: 3}]}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "v": gid("ProductVariant", w.variant_a.pk)},
        X_CHECKOUT_ONLY,
    ),
    Row(
        "Mutation.checkoutLinesDelete",
        "mutation($token: UUID!, $l: ID!) { checkoutLinesDelete(token: $token, input: {lineIds: [$l]}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "l": gid("CheckoutLine", w.checkout_x.lines.get().pk)},
        X_CHECKOUT_ONLY,
    ),
    Row(
        "Mutation.checkoutEmailUpdate",
        'mutation($token: UUID!) { checkoutEmailUpdate(token: $token, input: {email: "other@example.com"}) { checkout { id } errors { code } } }',
        x_checkout,
        X_CHECKOUT_ONLY,
    ),
    Row(
        "Mutation.checkoutShippingAddressUpdate",
        'mutation($token: UUID!) { checkoutShippingAddressUpdate(token: $token, input: {recipientName: "Z", phone: "0987654321", '
        'streetAddress: "9 Phố Huế", ward: "Hai Bà Trưng", province: "Hà Nội"}) { checkout { id } errors { code } } }',
        x_checkout,
        X_CHECKOUT_ONLY,
    ),
    Row(
        "Mutation.checkoutShippingMethodUpdate",
        "mutation($token: UUID!, $m: ID!) { checkoutShippingMethodUpdate(token: $token, input: {shippingMethodId: $m}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "m": gid("ShippingMethod", w.shipping_a.pk)},
        X_CHECKOUT_ONLY,
    ),
    Row(
        "Mutation.checkoutCustomerAttach",
        "mutation($token: UUID!) { checkoutCustomerAttach(token: $token) { checkout { id } errors { code } } }",
        x_checkout,
        roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DATA),
    ),
    Row(
        "Mutation.checkoutCustomerAttach",
        "mutation($token: UUID!) { checkoutCustomerAttach(token: $token) { checkout { id } errors { code } } }",
        lambda w: {"token": str(w.checkout_anon.token)},
        roles(DATA, anonymous=DENIED),
    ),
    Row(
        "Mutation.checkoutComplete",
        'mutation($token: UUID!) { checkoutComplete(token: $token, input: {gateway: "dummy"}) { purchase { status } errors { code } } }',
        x_checkout,
        roles(fails("NOT_FOUND"), buyer=data(paid_purchase)),
    ),
    Row(
        "Mutation.shippingMethodCreate",
        'mutation { shippingMethodCreate(input: {name: "Nhanh", price: "25000"}) { shippingMethod { id } errors { code } } }',
        expect=DESIGNERS_ONLY,
    ),
    Row(
        "Mutation.shippingMethodUpdate",
        'mutation($id: ID!) { shippingMethodUpdate(id: $id, input: {price: "1"}) { shippingMethod { id } errors { code } } }',
        lambda w: {"id": gid("ShippingMethod", w.shipping_a.pk)},
        A_ONLY_AMONG_DESIGNERS,
    ),
    Row(
        "Mutation.shippingMethodDelete",
        "mutation($id: ID!) { shippingMethodDelete(id: $id) { shippingMethod { id } errors { code } } }",
        lambda w: {"id": gid("ShippingMethod", w.shipping_a.pk)},
        A_ONLY_AMONG_DESIGNERS,
    ),
    Row(
        "Mutation.orderFulfill",
        'mutation($id: ID!) { orderFulfill(id: $id, input: {carrier: "GHN", trackingNumber: "T1"}) { order { status } errors { code } } }',
        lambda w: {"id": gid("Order", w.order_a.pk)},
        roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, designer_a=DATA, staff=DATA),
    ),
    Row(
        "Mutation.orderMarkDelivered",  # a PAID order: A and staff pass authz, then the transition is refused
        "mutation($id: ID!) { orderMarkDelivered(id: $id) { order { status } errors { code } } }",
        lambda w: {"id": gid("Order", w.order_a.pk)},
        roles(
            fails("NOT_FOUND"),
            anonymous=DENIED,
            buyer=DENIED,
            designer_a=fails("INVALID_TRANSITION"),
            staff=fails("INVALID_TRANSITION"),
        ),
    ),
    Row(
        "Mutation.orderCancel",  # a PAID order: only staff may cancel it; the buyer is told why
        "mutation($id: ID!) { orderCancel(id: $id) { order { status } errors { code } } }",
        lambda w: {"id": gid("Order", w.order_a.pk)},
        roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=fails("INVALID_TRANSITION"), designer_a=DENIED, staff=DATA),
    ),
]
MATRIX += COMMERCE_ROWS


# --- cash on delivery, debts and bank accounts (payments) ----------------------------------------
# The order's designer and staff record what happened at the door; staff list designers' debts;
# each designer sets its own bank account, shown (last four digits) to itself and staff only.


def _add_cod(world: World) -> None:
    """Buyer X bought A's scarf cash on delivery and A shipped it; A has a bank account."""
    from payments import bank_accounts
    from shop.checkout import cart as checkout_cart
    from shop.checkout import completion as checkout_completion
    from shop.orders import lifecycle as order_lifecycle

    checkout = checkout_cart.create_checkout(
        user=world.buyer,
        email="x@example.com",
        shipping_address={
            "recipient_name": "Buyer X",
            "phone": "0912345678",
            "street_address": "1 Hàng Bạc",
            "ward": "Hoàn Kiếm",
            "province": "Hà Nội",
        },
        lines=[{"variant_id": world.variant_a.pk, "quantity": 1}],
    )
    checkout_cart.set_shipping_method(token=checkout.token, user=world.buyer, shipping_method_id=world.shipping_a.pk)
    from shop.orders.models import Order

    purchase = checkout_completion.complete_checkout(token=checkout.token, user=world.buyer, gateway_id="cod").purchase
    world.order_cod_a = Order.objects.get(purchase_id=purchase.pk)
    order_lifecycle.fulfill_order(
        order_id=world.order_cod_a.pk, actor=world.designer_a.user, carrier="GHN", tracking_number="COD1"
    )
    bank_accounts.set_bank_account(
        actor=world.designer_a.user, bank_bin="970436", account_number="0011223344556", account_holder="Designer A"
    )


def cod_a(w):
    return {"id": gid("Order", w.order_cod_a.pk)}


COD_RECORDERS = roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, designer_a=DATA, staff=DATA)


def a_bank_account_visible_only_to_a_and_staff(value, w, role):
    if role in ("designer_a", "staff"):
        assert value["bankAccount"] == {"accountNumberLast4": "4556", "accountHolder": "DESIGNER A"}, value
    else:
        assert value["bankAccount"] is None, f"{role} reads A's bank account"
    return True


COD_ROWS: list[Row] = [
    Row(
        "Mutation.orderCodCollect",
        "mutation($id: ID!) { orderCodCollect(id: $id) { order { status } errors { code } } }",
        cod_a,
        COD_RECORDERS,
    ),
    Row(
        "Mutation.orderCodRefuse",
        'mutation($id: ID!) { orderCodRefuse(id: $id, input: {reason: "Khách không nhận"}) { order { status } errors { code } } }',
        cod_a,
        COD_RECORDERS,
    ),
    Row("Query.banks", "{ banks { bin shortName } }", expect=roles(DATA)),
    Row(
        "Query.designersWithDebts",
        "{ designersWithDebts(first: 10) { totalCount edges { node { owed { amount } } } } }",
        expect=roles(DENIED, staff=DATA),
    ),
    Row(
        "Query.paymentGateways",
        "query($t: UUID) { paymentGateways(checkoutToken: $t) { id available unavailableReason } }",
        lambda w: {"t": str(w.checkout_x.token)},
        roles(DATA),
    ),
    Row(
        "Mutation.designerBankAccountSet",
        'mutation { designerBankAccountSet(input: {bankBin: "970415", accountNumber: "123456789", accountHolder: "Lê Minh"}) '
        "{ bankAccount { accountNumberLast4 } errors { code } } }",
        expect=roles(DATA, anonymous=DENIED, buyer=DENIED, staff=DENIED),
    ),
    Row(
        "Query.designer",
        "query($slug: String!) { designer(slug: $slug) { id bankAccount { accountNumberLast4 accountHolder } } }",
        lambda w: {"slug": w.designer_a.slug},
        roles(data(a_bank_account_visible_only_to_a_and_staff)),
    ),
]
MATRIX += COD_ROWS


# --- catalog and portfolios ---------------------------------------------------------------------
# Reads (shop/catalog/selectors/, designers/selectors.py): the storefront — PUBLISHED, not hidden
# by staff, of an APPROVED designer — for everyone; the owner and staff see every product with its
# private side (moderation reason, digital files); portfolios of approved designers are public.
# Writes (shop/catalog/services/, designers/services/): signed-in designers of any status and
# staff; anyone else is PERMISSION_DENIED whatever IDs it sends. Another designer's object is
# NOT_FOUND, exactly like a missing one. Only approved designers' products are published; only staff
# moderate listings and manage categories.


@dataclass
class CatalogWorld:
    fashion: object  # a root category ...
    ao_dai: object  # ... with one subcategory
    dress: object  # A's published product: two variants, an image, in "ao_dai"; never ordered
    dress_media: object
    draft: object  # A's DRAFT digital product: its variant holds a private file; an image
    draft_variant: object
    draft_media: object
    hidden: object  # A's published product, hidden by staff with a reason
    font_variant: object  # A's published digital variant (bought by buyer X, see _add_commerce)
    item: object  # A's portfolio item, linked to the dress and the draft, with one image
    item_image: object
    b_pending_item: object  # the pending designer's portfolio item and its image: not public yet
    b_pending_image: object
    b_pending_draft: object  # the pending and the suspended designer's own drafts with a variant
    b_suspended_draft: object
    b_suspended_live: object  # published before its designer was suspended: off the storefront
    b_pending_shipping: object  # the pending designer's active shipping method

    def a_public(self, w) -> set[str]:
        return {gid("Product", p.pk) for p in (self.dress, w.variant_a.product, self.font_variant.product)}

    def a_private(self) -> set[str]:
        return {gid("Product", p.pk) for p in (self.draft, self.hidden)}


HIDDEN_REASON = "Counterfeit logo"
SECRET_NAME = "Phông chữ bí mật"  # the draft's name: nobody but A and staff may learn it


def _add_catalog(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from designers.services.portfolio import add_portfolio_image, create_portfolio_item
    from shop.catalog.models import ProductStatus
    from shop.catalog.services.categories import create_category
    from shop.catalog.services.media import add_product_media
    from shop.catalog.services.products import create_product, moderate_product, publish_product
    from shop.catalog.services.variants import create_variant
    from shop.checkout.models import ShippingMethod
    from tests.factories import make_product, make_variant

    a, staff = world.designer_a.user, world.staff

    def jpeg():
        return SimpleUploadedFile("photo.jpg", image_bytes(), "image/jpeg")

    def product(owner, name, *, publish, digital=False, category=None, variants=1):
        item = create_product(
            actor=owner,
            name=name,
            product_type="DIGITAL" if digital else "PHYSICAL",
            category_id=category.pk if category else None,
        )
        for n in range(variants):
            create_variant(
                actor=owner,
                product_id=item.pk,
                sku=f"{item.slug}-{n}",
                price=100000 + n * 1000,
                stock_quantity=None if digital else 5,
                digital_file=SimpleUploadedFile("secret-font.pdf", pdf_bytes(), "application/pdf") if digital else None,
            )
        if publish:
            publish_product(actor=owner, product_id=item.pk)
        item.refresh_from_db()
        return item

    fashion = create_category(actor=staff, name="Thời trang")
    ao_dai = create_category(actor=staff, name="Áo dài", parent_id=fashion.pk)
    dress = product(a, "A's dress", publish=True, category=ao_dai, variants=2)
    draft = product(a, SECRET_NAME, publish=False, digital=True)
    hidden = product(a, "A's hidden bag", publish=True)
    moderate_product(actor=staff, product_id=hidden.pk, hidden=True, reason=HIDDEN_REASON)
    item = create_portfolio_item(actor=a, title="A's collection", product_ids=[dress.pk, draft.pk])
    b_pending, b_suspended = world.designer_b_pending, world.designer_b_suspended
    b_item = create_portfolio_item(actor=b_pending.user, title="B's unreleased work")
    b_live = make_product(designer=b_suspended, name="B's old bestseller", status=ProductStatus.PUBLISHED)
    make_variant(product=b_live)
    world.catalog = CatalogWorld(
        fashion=fashion,
        ao_dai=ao_dai,
        dress=dress,
        dress_media=add_product_media(actor=a, product_id=dress.pk, image=jpeg(), alt="dress"),
        draft=draft,
        draft_variant=draft.variants.get(),
        draft_media=add_product_media(actor=a, product_id=draft.pk, image=jpeg(), alt="draft"),
        hidden=hidden,
        font_variant=world.download_x.line.variant,
        item=item,
        item_image=add_portfolio_image(actor=a, item_id=item.pk, image=jpeg()),
        b_pending_item=b_item,
        b_pending_image=add_portfolio_image(actor=b_pending.user, item_id=b_item.pk, image=jpeg()),
        b_pending_draft=product(b_pending.user, "B pending's draft", publish=False),
        b_suspended_draft=product(b_suspended.user, "B suspended's draft", publish=False),
        b_suspended_live=b_live,
        b_pending_shipping=ShippingMethod.objects.create(designer=b_pending, name="B ships", price_amount=20000),
    )


# checks -----------------------------------------------------------------------------------------

OWNER_OR_STAFF = ("designer_a", "staff")


def edge_ids(connection) -> set[str]:
    return {e["node"]["id"] for e in connection["edges"]}


def storefront_of_a(value, w, role):
    """A list shows A's storefront products and never A's draft or hidden one."""
    ids = edge_ids(value)
    assert w.catalog.a_public(w) <= ids, value
    assert not ids & w.catalog.a_private(), f"{role} sees A's draft or hidden product"
    return True


def nothing_of_a_private(value, w, role):
    assert not edge_ids(value) & w.catalog.a_private(), f"{role} found A's draft or hidden product"
    return True


def a_products_by_role(value, w, role):
    """``designer(slug: A) { products }``: everything for A and staff, the storefront for others."""
    ids = edge_ids(value["products"])
    everything = w.catalog.a_public(w) | w.catalog.a_private()
    assert ids == (everything if role in OWNER_OR_STAFF else w.catalog.a_public(w)), (role, ids)
    return True


def private_side(value, w, role):
    """A product seen by its owner or staff: moderation fields are set, digital files named."""
    assert value["isHidden"] is not None, value
    files = [e["node"]["digitalFile"] for e in value["variants"]["edges"]]
    assert all(f is not None and f["name"] for f in files) if value["productType"] == "DIGITAL" else True, value
    return True


def side_for_role(value, w, role):
    """The same published product: its private side for A and staff, the public side for others."""
    files = [e["node"]["digitalFile"] for e in value["variants"]["edges"]]
    if role in OWNER_OR_STAFF:
        assert value["isHidden"] is False and all(files), value
    else:
        assert value["isHidden"] is None and value["hiddenReason"] is None and not any(files), value
    return True


def hidden_reason_shown(value, w, role):
    assert value["isHidden"] is True and value["hiddenReason"] == HIDDEN_REASON, value
    return True


def variant_file(value, w, role):
    assert (value["digitalFile"] is not None) == (role in OWNER_OR_STAFF), (role, value)
    return True


def category_tree(value, w, role):
    roots = {e["node"]["id"]: e["node"] for e in value["edges"]}
    root = roots[gid("Category", w.catalog.fashion.pk)]
    assert edge_ids(root["children"]) == {gid("Category", w.catalog.ao_dai.pk)}, value
    return True


def a_portfolio_public(value, w, role):
    """A's portfolio item is public; the draft it links to shows only to A and staff."""
    linked = {w.catalog.dress.pk, w.catalog.draft.pk} if role in OWNER_OR_STAFF else {w.catalog.dress.pk}
    assert edge_ids(value["products"]) == {gid("Product", pk) for pk in linked}, value
    assert edge_ids(value["images"]) == {gid("PortfolioImage", w.catalog.item_image.pk)}, value
    return True


def a_orders_by_role(value, w, role):
    orders = value["orders"]
    if role in OWNER_OR_STAFF:
        assert orders["totalCount"] == 2, value  # the paid order and the cash-on-delivery one
    else:
        assert orders is None, f"{role} reads A's orders"
    return True


def now(get: Callable, **expected):
    """The payload has no errors and the object (``get(world)``) now has ``expected`` in the database."""

    def check(value, w, role):
        assert value["errors"] == [], value
        obj = get(w)
        obj.refresh_from_db()
        for name, wanted in expected.items():
            assert getattr(obj, name) == wanted, (role, name, getattr(obj, name))
        return True

    return check


def gone(get: Callable):
    def check(value, w, role):
        assert value["errors"] == [], value
        obj = get(w)
        assert not type(obj).objects.filter(pk=obj.pk).exists(), f"{role}: still there"
        return True

    return check


def created(model_name: str, payload_key: str, owner: str | None = None):
    """A new object of the caller's designer (or of ``owner``, a role, when staff act for it)."""

    def check(value, w, role):
        from django.apps import apps
        from graphql_relay import from_global_id

        assert value["errors"] == [], value
        model = apps.get_model(*model_name.split("."))
        obj = model.objects.get(pk=from_global_id(value[payload_key]["id"])[1])
        expected = getattr(w, owner) if owner else w.own_designer(role)
        assert obj.designer_id == expected.pk, (role, obj.designer_id)
        return True

    return check


def no_secret(value, w, role):
    """A refusal names nothing the caller may not see."""
    text = repr(value)
    assert SECRET_NAME not in text and "A's hidden bag" not in text and "B pending" not in text, value
    return True


def c(attr: str) -> Callable:
    """``c("dress")(world)`` is the catalog world's dress."""
    return lambda w: getattr(w.catalog, attr)


def product_id(attr: str) -> Callable:
    return lambda w: {"id": gid("Product", getattr(w.catalog, attr).pk)}


A_MANAGES = roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, designer_a=DATA, staff=DATA)


def a_manages(check) -> dict[str, Outcome]:
    """A and staff change A's object; other designers get NOT_FOUND; no designer role: DENIED."""
    return roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, designer_a=data(check), staff=data(check))


def any_designer(check, staff: Outcome) -> dict[str, Outcome]:
    return roles(data(check), anonymous=DENIED, buyer=DENIED, staff=staff)


PRODUCT_SIDES = (
    "{ id productType status isHidden hiddenReason variants(first: 10) { edges { node { digitalFile { name } } } } }"
)
PRODUCT_BY_ID = "query($id: ID!) { product(id: $id) %s }" % PRODUCT_SIDES
PRODUCT_BY_SLUG = "query($slug: String!) { product(slug: $slug) %s }" % PRODUCT_SIDES
NODE_PRODUCT = "query($id: ID!) { node(id: $id) { id ... on Product %s } }" % PRODUCT_SIDES
PRODUCTS = (
    "query($filter: ProductFilterInput) { products(first: 100, filter: $filter) { totalCount edges { node { id } } } }"
)
NODE_VARIANT = "query($id: ID!) { node(id: $id) { id ... on ProductVariant { sku digitalFile { name } } } }"
A_PAGE = "query($slug: String!) { designer(slug: $slug) { id %s } }"
PRODUCT_PAYLOAD = "product { id status } errors { field code message }"
VARIANT_PAYLOAD = "productVariant { id digitalFile { name } } product { id } errors { field code message }"
MEDIA_PAYLOAD = "media { id url } product { id } errors { field code message }"
CATEGORY_PAYLOAD = "category { id name } errors { field code message }"
ITEM_PAYLOAD = "portfolioItem { id title } errors { field code message }"
IMAGE_PAYLOAD = "image { id url } portfolioItem { id } errors { field code message }"


def upload_jpeg(path: str = "variables.image") -> Callable:
    return lambda w: {path: ("new.jpg", image_bytes(), "image/jpeg")}


def a_slug(w):
    return {"slug": w.designer_a.slug}


CATALOG_ROWS: list[Row] = [
    # --- queries: the storefront is the same for everyone; private products only by their owner and staff
    Row("Query.products", PRODUCTS, expect=roles(data(storefront_of_a))),
    Row(
        "Query.products",
        PRODUCTS,
        lambda w: {"filter": {"designer": gid("Designer", w.designer_a.pk)}},
        roles(data(storefront_of_a)),
    ),
    Row(
        "Query.products",
        PRODUCTS,
        lambda w: {"filter": {"search": "phong chu bi mat"}},  # searching for A's draft
        roles(data(lambda v, w, r: v["totalCount"] == 0)),
    ),
    Row(
        "Query.products",
        PRODUCTS,
        lambda w: {"filter": {"status": ["DRAFT"]}},
        roles(DENIED, staff=data(lambda v, w, r: gid("Product", w.catalog.draft.pk) in edge_ids(v))),
    ),
    Row(
        "Query.products",
        PRODUCTS,
        lambda w: {"filter": {"isHidden": True}},
        roles(DENIED, staff=data(lambda v, w, r: edge_ids(v) == {gid("Product", w.catalog.hidden.pk)})),
    ),
    Row(
        "Query.product",
        PRODUCT_BY_ID,
        product_id("draft"),
        roles(NULL, designer_a=data(private_side), staff=data(private_side)),
    ),
    Row(
        "Query.product",
        PRODUCT_BY_SLUG,
        lambda w: {"slug": w.catalog.hidden.slug},
        roles(NULL, designer_a=data(hidden_reason_shown), staff=data(hidden_reason_shown)),
    ),
    Row(
        "Query.product",
        PRODUCT_BY_ID,
        lambda w: {"id": gid("Product", w.catalog.font_variant.product_id)},
        roles(data(side_for_role)),
    ),
    Row(
        "Query.product",
        PRODUCT_BY_SLUG,
        lambda w: {"slug": w.catalog.b_suspended_live.slug},  # suspended: off the storefront
        roles(NULL, designer_b_suspended=DATA, staff=DATA),
    ),
    Row(
        "Query.product", PRODUCT_BY_ID, lambda w: {"id": gid("Designer", w.designer_a.pk)}, roles(NULL)
    ),  # an ID of another type
    Row(
        "Query.categories",
        "{ categories(first: 10) { totalCount edges { node { id children(first: 10) { edges { node { id } } } } } } }",
        expect=roles(data(category_tree)),
    ),
    Row(
        "Query.category",
        "query($slug: String!) { category(slug: $slug) { id name parent { id } } }",
        lambda w: {"slug": w.catalog.ao_dai.slug},
        roles(DATA),
    ),
    # --- A's products, orders and portfolio read through fields of its public page
    Row(
        "Query.designer",
        A_PAGE % "products(first: 100) { edges { node { id } } }",
        a_slug,
        roles(data(a_products_by_role)),
    ),
    Row(
        "Query.designer",
        A_PAGE % "products(first: 100, filter: {status: [DRAFT]}) { totalCount }",
        a_slug,
        roles(DENIED, designer_a=DATA, staff=DATA),
    ),
    Row("Query.designer", A_PAGE % "orders(first: 10) { totalCount }", a_slug, roles(data(a_orders_by_role))),
    Row(
        "Query.designer",
        "query($slug: String!) { designer(slug: $slug) { id portfolio(first: 10) { totalCount } } }",
        lambda w: {"slug": w.designer_b_pending.slug},
        roles(NULL, designer_b_pending=DATA, staff=DATA),
    ),
    # --- node(id:): what the caller may not see is null, like an ID that does not exist
    Row(
        "Node.Product",
        NODE_PRODUCT,
        product_id("draft"),
        roles(NULL, designer_a=data(private_side), staff=data(private_side)),
    ),
    Row(
        "Node.Product",
        NODE_PRODUCT,
        product_id("hidden"),
        roles(NULL, designer_a=data(hidden_reason_shown), staff=data(hidden_reason_shown)),
    ),
    Row("Node.Product", NODE_PRODUCT, product_id("dress"), roles(DATA)),
    Row(
        "Node.ProductVariant",
        NODE_VARIANT,
        lambda w: {"id": gid("ProductVariant", w.catalog.draft_variant.pk)},
        roles(NULL, designer_a=data(variant_file), staff=data(variant_file)),
    ),
    Row(
        "Node.ProductVariant",
        NODE_VARIANT,
        lambda w: {"id": gid("ProductVariant", w.catalog.font_variant.pk)},
        roles(data(variant_file)),
    ),
    Row("Node.ProductMedia", NODE_ID, lambda w: {"id": gid("ProductMedia", w.catalog.dress_media.pk)}, roles(DATA)),
    Row(
        "Node.ProductMedia",
        NODE_ID,
        lambda w: {"id": gid("ProductMedia", w.catalog.draft_media.pk)},
        roles(NULL, designer_a=DATA, staff=DATA),
    ),
    Row("Node.Category", NODE_ID, lambda w: {"id": gid("Category", w.catalog.ao_dai.pk)}, roles(DATA)),
    Row(
        "Node.PortfolioItem",
        "query($id: ID!) { node(id: $id) { id ... on PortfolioItem { products(first: 10) { edges { node { id } } } "
        "images(first: 10) { edges { node { id } } } } } }",
        lambda w: {"id": gid("PortfolioItem", w.catalog.item.pk)},
        roles(data(a_portfolio_public)),
    ),
    Row(
        "Node.PortfolioItem",
        NODE_ID,
        lambda w: {"id": gid("PortfolioItem", w.catalog.b_pending_item.pk)},
        roles(NULL, designer_b_pending=DATA, staff=DATA),
    ),
    Row("Node.PortfolioImage", NODE_ID, lambda w: {"id": gid("PortfolioImage", w.catalog.item_image.pk)}, roles(DATA)),
    Row(
        "Node.PortfolioImage",
        NODE_ID,
        lambda w: {"id": gid("PortfolioImage", w.catalog.b_pending_image.pk)},
        roles(NULL, designer_b_pending=DATA, staff=DATA),
    ),
    # --- products: any designer creates its own drafts; staff name the designer
    Row(
        "Mutation.productCreate",
        'mutation { productCreate(input: {name: "New piece"}) { %s } }' % PRODUCT_PAYLOAD,
        expect=any_designer(created("catalog.Product", "product"), staff=fails("REQUIRED")),
    ),
    Row(
        "Mutation.productCreate",
        'mutation($d: ID!) { productCreate(input: {name: "Fake", designer: $d}) { %s } }' % PRODUCT_PAYLOAD,
        lambda w: {"d": gid("Designer", w.designer_a.pk)},
        roles(
            fails("NOT_FOUND"),
            anonymous=DENIED,
            buyer=DENIED,
            designer_a=data(created("catalog.Product", "product", "designer_a")),
            staff=data(created("catalog.Product", "product", "designer_a")),
        ),
    ),
    Row(
        "Mutation.productUpdate",
        'mutation($id: ID!) { productUpdate(id: $id, input: {name: "Renamed", description: "<p>x</p>"}) { %s } }'
        % PRODUCT_PAYLOAD,
        product_id("draft"),
        a_manages(now(c("draft"), name="Renamed")),
    ),
    Row(
        "Mutation.productUpdate",
        'mutation($id: ID!) { productUpdate(id: $id, input: {name: "Renamed", description: "<p>x</p>"}) { %s } }'
        % PRODUCT_PAYLOAD,
        product_id("dress"),
        a_manages(now(c("dress"), name="Renamed")),
    ),
    Row(
        "Mutation.productDelete",
        "mutation($id: ID!) { productDelete(id: $id) { %s } }" % PRODUCT_PAYLOAD,
        product_id("draft"),
        a_manages(gone(c("draft"))),
    ),
    Row(
        "Mutation.productDelete",
        "mutation($id: ID!) { productDelete(id: $id) { %s } }" % PRODUCT_PAYLOAD,
        lambda w: {"id": gid("Product", w.variant_a.product_id)},  # ordered by buyer X: kept for its orders
        roles(
            fails("NOT_FOUND"),
            anonymous=DENIED,
            buyer=DENIED,
            designer_a=fails("HAS_ORDERS"),
            staff=fails("HAS_ORDERS"),
        ),
    ),
    Row(
        "Mutation.productPublish",
        "mutation($id: ID!) { productPublish(id: $id) { %s } }" % PRODUCT_PAYLOAD,
        product_id("draft"),
        a_manages(now(c("draft"), status="PUBLISHED")),
    ),
    Row(
        "Mutation.productPublish",
        "mutation($id: ID!) { productPublish(id: $id) { %s } }" % PRODUCT_PAYLOAD,
        product_id("b_pending_draft"),  # only approved designers' products go on sale, staff cannot force it
        roles(
            fails("NOT_FOUND"),
            anonymous=DENIED,
            buyer=DENIED,
            designer_b_pending=fails("NOT_APPROVED"),
            staff=fails("NOT_APPROVED"),
        ),
    ),
    Row(
        "Mutation.productPublish",
        "mutation($id: ID!) { productPublish(id: $id) { %s } }" % PRODUCT_PAYLOAD,
        product_id("b_suspended_draft"),
        roles(
            fails("NOT_FOUND"),
            anonymous=DENIED,
            buyer=DENIED,
            designer_b_suspended=fails("NOT_APPROVED"),
            staff=fails("NOT_APPROVED"),
        ),
    ),
    Row(
        "Mutation.productUnpublish",
        "mutation($id: ID!) { productUnpublish(id: $id) { %s } }" % PRODUCT_PAYLOAD,
        product_id("dress"),
        a_manages(now(c("dress"), status="DRAFT")),
    ),
    Row(
        "Mutation.productArchive",
        "mutation($id: ID!) { productArchive(id: $id) { %s } }" % PRODUCT_PAYLOAD,
        product_id("dress"),
        a_manages(now(c("dress"), status="ARCHIVED")),
    ),
    # moderation is staff's: A can neither hide nor un-hide its own listing
    Row(
        "Mutation.productModerate",
        'mutation($id: ID!) { productModerate(id: $id, input: {hidden: true, reason: "Fake"}) { %s } }'
        % PRODUCT_PAYLOAD,
        product_id("dress"),
        roles(
            DENIED,
            staff=data(
                lambda v, w, r: now(c("dress"), hidden_reason="Fake")(v, w, r) and w.catalog.dress.hidden_at is not None
            ),
        ),
    ),
    Row(
        "Mutation.productModerate",
        "mutation($id: ID!) { productModerate(id: $id, input: {hidden: false}) { %s } }" % PRODUCT_PAYLOAD,
        product_id("hidden"),
        roles(DENIED, staff=data(now(c("hidden"), hidden_at=None))),
    ),
    # --- variants (a digital one carries a private file: refusals store nothing)
    Row(
        "Mutation.productVariantCreate",
        'mutation($id: ID!) { productVariantCreate(productId: $id, input: {sku: "NEW-1", price: "1000", stockQuantity: 1}) { %s } }'
        % VARIANT_PAYLOAD,
        product_id("dress"),
        a_manages(lambda v, w, r: v["errors"] == [] and w.catalog.dress.variants.filter(sku="NEW-1").exists()),
    ),
    Row(
        "Mutation.productVariantCreate",
        'mutation($id: ID!, $f: Upload) { productVariantCreate(productId: $id, input: {sku: "NEW-2", price: "1000", digitalFile: $f}) { %s } }'
        % VARIANT_PAYLOAD,
        product_id("draft"),
        a_manages(lambda v, w, r: v["errors"] == [] and v["productVariant"]["digitalFile"]["name"] == "bundle.zip"),
        files=lambda w: {"variables.f": ("bundle.zip", zip_bytes(), "application/zip")},
    ),
    Row(
        "Mutation.productVariantUpdate",
        'mutation($id: ID!) { productVariantUpdate(id: $id, input: {price: "1", stockQuantity: 0}) { %s } }'
        % VARIANT_PAYLOAD,
        lambda w: {"id": gid("ProductVariant", w.catalog.dress.variants.first().pk)},
        a_manages(lambda v, w, r: v["errors"] == [] and w.catalog.dress.variants.first().stock_quantity == 0),
    ),
    Row(
        "Mutation.productVariantUpdate",  # swapping A's private file
        "mutation($id: ID!, $f: Upload) { productVariantUpdate(id: $id, input: {digitalFile: $f}) { %s } }"
        % VARIANT_PAYLOAD,
        lambda w: {"id": gid("ProductVariant", w.catalog.draft_variant.pk)},
        a_manages(now(c("draft_variant"), digital_file_name="swap.zip")),
        files=lambda w: {"variables.f": ("swap.zip", zip_bytes(), "application/zip")},
    ),
    Row(
        "Mutation.productVariantDelete",
        "mutation($id: ID!) { productVariantDelete(id: $id) { %s } }" % VARIANT_PAYLOAD,
        lambda w: {"id": gid("ProductVariant", w.catalog.dress.variants.last().pk)},
        a_manages(lambda v, w, r: v["errors"] == [] and w.catalog.dress.variants.count() == 1),
    ),
    # --- media (uploads: refusals decode and store nothing)
    Row(
        "Mutation.productMediaCreate",
        "mutation($id: ID!, $image: Upload!) { productMediaCreate(productId: $id, image: $image) { %s } }"
        % MEDIA_PAYLOAD,
        product_id("dress"),
        a_manages(lambda v, w, r: v["errors"] == [] and w.catalog.dress.media.count() == 2),
        files=upload_jpeg(),
    ),
    Row(
        "Mutation.productMediaReorder",
        "mutation($id: ID!, $m: [ID!]!) { productMediaReorder(productId: $id, mediaIds: $m) { %s } }" % PRODUCT_PAYLOAD,
        lambda w: {"id": gid("Product", w.catalog.dress.pk), "m": [gid("ProductMedia", w.catalog.dress_media.pk)]},
        A_MANAGES,
    ),
    Row(
        "Mutation.productMediaDelete",
        "mutation($id: ID!) { productMediaDelete(id: $id) { %s } }" % MEDIA_PAYLOAD,
        lambda w: {"id": gid("ProductMedia", w.catalog.dress_media.pk)},
        a_manages(gone(c("dress_media"))),
    ),
    Row(
        "Mutation.productMediaDelete",
        "mutation($id: ID!) { productMediaDelete(id: $id) { %s } }" % MEDIA_PAYLOAD,
        lambda w: {"id": gid("ProductMedia", w.catalog.draft_media.pk)},
        a_manages(gone(c("draft_media"))),
    ),
    # --- categories: staff only
    Row(
        "Mutation.categoryCreate",
        'mutation($p: ID!) { categoryCreate(input: {name: "Khăn", parent: $p}) { %s } }' % CATEGORY_PAYLOAD,
        lambda w: {"p": gid("Category", w.catalog.fashion.pk)},
        roles(DENIED, staff=data(lambda v, w, r: v["errors"] == [] and w.catalog.fashion.children.count() == 2)),
    ),
    Row(
        "Mutation.categoryUpdate",
        'mutation($id: ID!) { categoryUpdate(id: $id, input: {name: "Áo dài cách tân", parent: null}) { %s } }'
        % CATEGORY_PAYLOAD,
        lambda w: {"id": gid("Category", w.catalog.ao_dai.pk)},
        roles(DENIED, staff=data(now(c("ao_dai"), name="Áo dài cách tân", parent_id=None))),
    ),
    Row(
        "Mutation.categoryDelete",
        "mutation($id: ID!) { categoryDelete(id: $id) { %s } }" % CATEGORY_PAYLOAD,
        lambda w: {"id": gid("Category", w.catalog.ao_dai.pk)},
        roles(
            DENIED,
            staff=data(lambda v, w, r: gone(c("ao_dai"))(v, w, r) and now(c("dress"), category_id=None)(v, w, r)),
        ),
    ),
    Row(
        "Mutation.categoryDelete",
        "mutation($id: ID!) { categoryDelete(id: $id) { %s } }" % CATEGORY_PAYLOAD,
        lambda w: {"id": gid("Category", w.catalog.fashion.pk)},
        roles(DENIED, staff=fails("HAS_CHILDREN")),
    ),
    # --- portfolios
    Row(
        "Mutation.portfolioItemCreate",
        'mutation { portfolioItemCreate(input: {title: "My work"}) { %s } }' % ITEM_PAYLOAD,
        expect=any_designer(created("designers.PortfolioItem", "portfolioItem"), staff=fails("REQUIRED")),
    ),
    Row(
        "Mutation.portfolioItemCreate",  # linking A's product to another portfolio
        'mutation($p: ID!) { portfolioItemCreate(input: {title: "My work", products: [$p]}) { %s } }' % ITEM_PAYLOAD,
        lambda w: {"p": gid("Product", w.catalog.dress.pk)},
        roles(
            fails("NOT_FOUND"),
            anonymous=DENIED,
            buyer=DENIED,
            designer_a=data(created("designers.PortfolioItem", "portfolioItem")),
            staff=fails("REQUIRED"),
        ),
    ),
    Row(
        "Mutation.portfolioItemCreate",
        'mutation($d: ID!) { portfolioItemCreate(input: {title: "Their work", designer: $d}) { %s } }' % ITEM_PAYLOAD,
        lambda w: {"d": gid("Designer", w.designer_a.pk)},
        roles(
            fails("NOT_FOUND"),
            anonymous=DENIED,
            buyer=DENIED,
            designer_a=data(created("designers.PortfolioItem", "portfolioItem", "designer_a")),
            staff=data(created("designers.PortfolioItem", "portfolioItem", "designer_a")),
        ),
    ),
    Row(
        "Mutation.portfolioItemUpdate",
        'mutation($id: ID!) { portfolioItemUpdate(id: $id, input: {title: "Changed", products: []}) { %s } }'
        % ITEM_PAYLOAD,
        lambda w: {"id": gid("PortfolioItem", w.catalog.item.pk)},
        a_manages(now(c("item"), title="Changed")),
    ),
    Row(
        "Mutation.portfolioItemDelete",
        "mutation($id: ID!) { portfolioItemDelete(id: $id) { %s } }" % ITEM_PAYLOAD,
        lambda w: {"id": gid("PortfolioItem", w.catalog.item.pk)},
        a_manages(gone(c("item"))),
    ),
    Row(
        "Mutation.portfolioItemReorder",
        "mutation($ids: [ID!]!) { portfolioItemReorder(itemIds: $ids) { portfolioItems { id } errors { field code message } } }",
        lambda w: {"ids": [gid("PortfolioItem", w.catalog.item.pk)]},
        A_MANAGES,
    ),
    Row(
        "Mutation.portfolioImageCreate",
        "mutation($id: ID!, $image: Upload!) { portfolioImageCreate(itemId: $id, image: $image) { %s } }"
        % IMAGE_PAYLOAD,
        lambda w: {"id": gid("PortfolioItem", w.catalog.item.pk)},
        a_manages(lambda v, w, r: v["errors"] == [] and w.catalog.item.images.count() == 2),
        files=upload_jpeg(),
    ),
    Row(
        "Mutation.portfolioImageReorder",
        "mutation($id: ID!, $ids: [ID!]!) { portfolioImageReorder(itemId: $id, imageIds: $ids) { %s } }" % ITEM_PAYLOAD,
        lambda w: {
            "id": gid("PortfolioItem", w.catalog.item.pk),
            "ids": [gid("PortfolioImage", w.catalog.item_image.pk)],
        },
        A_MANAGES,
    ),
    Row(
        "Mutation.portfolioImageDelete",
        "mutation($id: ID!) { portfolioImageDelete(id: $id) { %s } }" % IMAGE_PAYLOAD,
        lambda w: {"id": gid("PortfolioImage", w.catalog.item_image.pk)},
        a_manages(gone(c("item_image"))),
    ),
    # --- guessing IDs through the checkout: an invisible variant or a pending designer's shipping
    # method is NOT_FOUND, like an unknown one, and the refusal names nothing
    Row(
        "Mutation.checkoutCreate",
        'mutation($v: ID!) { checkoutCreate(input: {email: "g@example.com", lines: [{variantId: $v, quantity: 1}]}) '
        "{ checkout { id } errors { field code message } } }",
        lambda w: {"v": gid("ProductVariant", w.catalog.draft_variant.pk)},
        roles(
            fails("NOT_FOUND", no_secret), designer_a=fails("PRODUCT_UNAVAILABLE"), staff=fails("PRODUCT_UNAVAILABLE")
        ),
    ),
    Row(
        "Mutation.checkoutLinesAdd",
        "mutation($token: UUID!, $v: ID!) { checkoutLinesAdd(token: $token, input: {lines: [{variantId: $v, quantity: 1}]}) "
        "{ checkout { id } errors { field code message } } }",
        lambda w: {"token": str(w.checkout_anon.token), "v": gid("ProductVariant", w.catalog.hidden.variants.get().pk)},
        roles(
            fails("NOT_FOUND", no_secret), designer_a=fails("PRODUCT_UNAVAILABLE"), staff=fails("PRODUCT_UNAVAILABLE")
        ),
    ),
    Row(
        "Mutation.checkoutShippingMethodUpdate",
        "mutation($token: UUID!, $m: ID!) { checkoutShippingMethodUpdate(token: $token, input: {shippingMethodId: $m}) "
        "{ checkout { id } errors { field code message } } }",
        lambda w: {"token": str(w.checkout_anon.token), "m": gid("ShippingMethod", w.catalog.b_pending_shipping.pk)},
        roles(fails("NOT_FOUND", no_secret)),
    ),
]
MATRIX += CATALOG_ROWS


# --- the schema must be covered ---------------------------------------------------------------


def schema_targets() -> set[str]:
    s = schema.graphql_schema
    targets = {f"Query.{name}" for name in s.query_type.fields}
    targets |= {f"Mutation.{name}" for name in (s.mutation_type.fields if s.mutation_type else {})}
    targets |= {
        f"Node.{t.name}"
        for t in s.type_map.values()
        if is_object_type(t) and not t.name.startswith("__") and any(i.name == "Node" for i in t.interfaces)
    }
    return targets


def test_every_schema_entry_has_a_row():
    covered = {row.target for row in MATRIX}
    missing = sorted(schema_targets() - covered)
    assert not missing, f"no permission-matrix row for {missing}: add one to MATRIX in {__file__} (see the docstring)"
    stale = sorted(covered - schema_targets())
    assert not stale, f"rows for fields that are not in the schema: {stale}"


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: r.id)
def test_row_is_well_formed(row):
    assert set(row.expect) == set(ROLES), "use roles(...) so that every role has an outcome"
    kind, _sep, name = row.target.partition(".")
    operation = parse(row.document).definitions[0]
    root_fields = [s.name.value for s in operation.selection_set.selections]
    assert root_fields == (["node"] if kind == "Node" else [name]), "the document must call the row's target"
    assert operation.operation.value == ("mutation" if kind == "Mutation" else "query")


# --- running the matrix -------------------------------------------------------------------------


def _check(row: Row, role: str, outcome: Outcome, result: dict, world: World) -> None:
    key = "node" if row.target.startswith("Node.") else row.target.split(".", 1)[1]
    where = f"{row.id} as {role}: expected {outcome!r}, got {result}"
    assert result["_status"] in (200,), where
    value = (result.get("data") or {}).get(key)
    errors = result.get("errors") or []
    if outcome.kind == "denied":
        assert value is None and errors, where
        assert errors[0]["extensions"]["code"] == "PERMISSION_DENIED", where
        return
    assert not errors, where
    if outcome.kind == "null":
        assert value is None, where
        return
    assert value is not None, where
    if outcome.kind == "fails":
        assert outcome.code in [e["code"] for e in value["errors"]], where
        assert outcome.check is None or outcome.check(value, world, role), where
        return
    if isinstance(value, dict) and "errors" in value and outcome.check is None:
        assert value["errors"] == [], where
    if outcome.check is not None:
        assert outcome.check(value, world, role), where


@pytest.fixture
def media_storage(settings, tmp_path):
    """Public media and private (digital goods) storage in a directory of this test's own."""
    return isolated_storage(settings, tmp_path)


def _stored_files(media_storage) -> list[str]:
    return sorted(str(p) for root in media_storage.values() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: r.id)
def test_permission_matrix(row, gql, media_storage):
    world = build_world()
    for role in ROLES:
        outcome = row.expect[role]
        # the world as it was: each role's writes are rolled back before the next role. The block
        # is the test's own, like Django's TestCase transactions: services that refuse to call a
        # provider inside a transaction (shop/core/transactions.py) do not count it.
        rollback = transaction.atomic()
        rollback._from_testcase = True
        with rollback:
            variables = row.variables(world)
            user = world.user(role)

            def call(variables=variables, user=user):
                if row.files is not None:
                    return multipart(row.document, variables, row.files(world), user=user)
                return gql(row.document, variables, user=user)

            if outcome.writes_nothing:
                files_before = _stored_files(media_storage)
                with unchanged_database():
                    result = call()
                assert _stored_files(media_storage) == files_before, f"{row.id} as {role}: a refusal stored a file"
            else:
                result = call()
            _check(row, role, outcome, result, world)
            transaction.set_rollback(True)
