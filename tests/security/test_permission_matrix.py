"""Object-level authorization: the permission matrix.

Every query field, every ``node`` type and every mutation of the schema is run as each role —
anonymous, buyer X, designer A, designer B (pending, approved, suspended) and staff — against
objects owned by designer A and by buyer X. What each role must get is written in ONE table,
``MATRIX`` below. ``test_every_schema_entry_has_a_row`` enumerates the schema: a new query field,
mutation or node type without a row fails the suite until someone decides who may use it.

How to add a row (e.g. after merging the catalog)
-------------------------------------------------
1. Give the world what your rows need: add objects to ``World`` / ``build_world`` (a product of
   designer A, an order of buyer X, ...), owned by ``world.designer_a`` or ``world.buyer``.
2. Append a ``Row`` to ``MATRIX``::

       Row("Query.product", "query($id: ID!) { product(id: $id) { id name } }",
           lambda w: {"id": gid("Product", w.product_a_draft.pk)},
           roles(NULL, designer_a=DATA, staff=DATA)),

   - ``target``: ``"Query.<field>"``, ``"Mutation.<field>"`` or ``"Node.<Type>"`` (a ``node(id:)``
     lookup of that type); the document's top-level field must be that field (``node`` for Node).
   - ``variables``: a function of the world (IDs, tokens, ...); it runs once per role.
   - ``roles(default, **overrides)`` fills every role, so each role's outcome is a decision. Roles:
     ``anonymous``, ``buyer``, ``designer_a``, ``designer_b_pending``, ``designer_b_approved``,
     ``designer_b_suspended``, ``staff``.
   - Outcomes: ``DATA`` (a non-null answer, no errors), ``NULL`` (null and no error: the object is
     invisible, no existence leak), ``DENIED`` (top-level ``PERMISSION_DENIED``, nothing written),
     ``fails("CODE")`` (a payload error with that code, nothing written), and ``data(check)`` /
     ``EMPTY``-style custom checks: ``data(lambda value, w, role: ...)`` gets the field's value.
3. Run ``pytest tests/security/test_permission_matrix.py``. Each role runs inside a savepoint that
   is rolled back, so mutations in one role do not affect the next.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.db import transaction
from graphql import is_object_type, parse
from graphql_relay import to_global_id

from designers.models import DesignerStatusChange
from shop.accounts import reset_tokens, tokens
from shop.accounts.models import User
from shop.schema import schema
from tests.conftest import _unchanged, make_designer, make_user

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
    return world


def _add_commerce(world: World) -> None:
    """Designer A sells a scarf and a font and ships with one method; buyer X has an open checkout
    and a paid purchase (one order of designer A, with a download link); someone has an anonymous
    checkout."""
    from shop.checkout import services as checkout_services
    from shop.checkout.models import ShippingMethod
    from shop.orders.models import DigitalDownload
    from tests.factories import make_product, make_variant

    designer_a = world.designer_a
    world.variant_a = make_variant(product=make_product(designer=designer_a, name="A's scarf"), price=150000, stock=10)
    font = make_variant(product=make_product(designer=designer_a, name="A's font", product_type="DIGITAL"), price=90000,
                        stock=0, digital_file="digital/matrix-font.zip")
    world.shipping_a = ShippingMethod.objects.create(designer=designer_a, name="A ships", price_amount=30000)
    address = {"recipient_name": "Buyer X", "phone": "0912345678", "street_address": "1 Hàng Bạc", "ward": "Hoàn Kiếm", "province": "Hà Nội"}

    def ready(user, variants):
        checkout = checkout_services.create_checkout(
            user=user, email="x@example.com", shipping_address=address,
            lines=[{"variant_id": gid("ProductVariant", v.pk), "quantity": 1} for v in variants],
        )
        checkout_services.set_shipping_method(token=checkout.token, user=user, shipping_method_id=gid("ShippingMethod", world.shipping_a.pk))
        return checkout

    paid = ready(world.buyer, [world.variant_a, font])
    world.purchase_x = checkout_services.complete_checkout(token=paid.token, user=world.buyer, gateway_id="dummy").purchase
    world.order_a = world.purchase_x.orders.get()
    world.download_x = DigitalDownload.objects.get(line__order=world.order_a)
    world.checkout_x = ready(world.buyer, [world.variant_a])
    world.checkout_anon = ready(None, [world.variant_a])


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


def fails(code: str) -> Outcome:
    return Outcome("fails", code=code, writes_nothing=True)


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
        for owner_role, snapshot in owner_roles.items():
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
DECIDE = "mutation($id: ID!, $reason: String) { %s(id: $id, reason: $reason) { designer { id status } errors { code } } }"
DECIDE_REASON = "mutation($id: ID!, $reason: String!) { %s(id: $id, reason: $reason) { designer { id status } errors { code } } }"
STAFF_ONLY = roles(DENIED, staff=DATA)

MATRIX: list[Row] = [
    # queries
    Row("Query.me", "{ me { id email } }", expect=roles(data(is_own_user), anonymous=NULL)),
    Row("Query.myDesigner", "{ myDesigner { id status } }",
        expect=roles(data(is_own_designer), anonymous=NULL, buyer=NULL, staff=NULL)),
    Row("Query.designers", "{ designers(first: 100) { edges { node { id status } } } }",
        expect=roles(data(public_designer_list))),
    Row("Query.designers", "{ designers(first: 100, filter: {status: PENDING}) { edges { node { id } } } }",
        expect=STAFF_ONLY),
    Row("Query.designer", DESIGNER_A_DETAIL, lambda w: {"slug": w.designer_a.slug},
        expect=roles(data(a_history_visible_only_to_a_and_staff))),
    Row("Query.designer", "query($id: ID!) { designer(id: $id) { id status } }",
        lambda w: {"id": gid("Designer", w.designer_b_pending.pk)},  # guessing a pending designer's ID
        expect=roles(NULL, designer_b_pending=data(is_own_designer), staff=DATA)),
    Row("Query.node", NODE_USER, lambda w: {"id": gid("User", w.buyer.pk)},
        expect=roles(NULL, buyer=DATA, staff=DATA)),
    # node types
    Row("Node.User", NODE_USER, lambda w: {"id": gid("User", w.buyer.pk)},
        expect=roles(NULL, buyer=data(lambda v, w, r: v["email"] == w.buyer.email), staff=DATA)),
    Row("Node.Designer", NODE_DESIGNER, lambda w: {"id": gid("Designer", w.designer_a.pk)},
        expect=roles(data(a_history_visible_only_to_a_and_staff))),
    Row("Node.Designer", NODE_DESIGNER, lambda w: {"id": gid("Designer", w.designer_b_suspended.pk)},
        expect=roles(NULL, designer_b_suspended=DATA, staff=DATA)),
    # account mutations: public ones work for everyone; "my account" ones touch only the caller
    Row("Mutation.accountRegister",
        "mutation($input: AccountRegisterInput!) { accountRegister(input: $input) { user { id } errors { code } } }",
        lambda w: {"input": {"email": "new.account@example.com", "password": PASSWORD}},
        expect=roles(data(no_errors))),
    Row("Mutation.tokenCreate",
        "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { token user { id } errors { code } } }",
        lambda w: {"e": w.buyer.email, "p": PASSWORD},
        expect=roles(data(lambda v, w, r: v["token"] and v["user"]["id"] == gid("User", w.buyer.pk)))),
    Row("Mutation.tokenRefresh",
        "mutation($t: String!) { tokenRefresh(refreshToken: $t) { token errors { code } } }",
        lambda w: {"t": w.buyer_refresh_token},
        expect=roles(data(lambda v, w, r: v["token"] and v["errors"] == []))),
    Row("Mutation.tokenVerify",
        "mutation($t: String!) { tokenVerify(token: $t) { isValid user { id } errors { code } } }",
        lambda w: {"t": tokens.create_access_token(w.buyer)},
        expect=roles(data(lambda v, w, r: v["isValid"] is True))),
    Row("Mutation.tokensDeactivateAll", "mutation { tokensDeactivateAll { ok errors { code } } }",
        expect=roles(data(only_self_changed("token_version", {"buyer": "", "designer_a": ""})), anonymous=DENIED)),
    Row("Mutation.accountUpdate",
        'mutation { accountUpdate(input: {fullName: "Changed"}) { user { id fullName } errors { code } } }',
        expect=roles(data(only_self_changed("full_name", {"buyer": "", "designer_a": ""})), anonymous=DENIED)),
    Row("Mutation.passwordChange",
        'mutation($old: String!) { passwordChange(oldPassword: $old, newPassword: "another-Strong-99") { token errors { code } } }',
        lambda w: {"old": PASSWORD},
        expect=roles(data(only_self_changed("password", {"buyer": "", "designer_a": ""})), anonymous=DENIED)),
    Row("Mutation.requestPasswordReset",
        "mutation($e: String!) { requestPasswordReset(email: $e) { errors { code } } }",
        lambda w: {"e": w.buyer.email},
        expect=roles(data(no_errors))),
    Row("Mutation.setPassword",
        'mutation($t: String!) { setPassword(token: $t, password: "reset-Strong-77") { user { id } errors { code } } }',
        lambda w: {"t": reset_tokens.make_token(w.buyer)},
        expect=roles(data(lambda v, w, r: v["user"]["id"] == gid("User", w.buyer.pk)))),
    # designer mutations
    Row("Mutation.designerApply",
        'mutation { designerApply(input: {displayName: "New shop"}) { designer { id status } errors { code } } }',
        expect=roles(fails("ALREADY_APPLIED"), anonymous=DENIED, buyer=data(designer_status("PENDING")), staff=data(designer_status("PENDING")))),
    Row("Mutation.designerUpdate",
        'mutation { designerUpdate(input: {bio: "changed"}) { designer { id } errors { code } } }',
        expect=roles(data(updated_own_profile_only), anonymous=DENIED, buyer=fails("NOT_FOUND"), staff=fails("NOT_FOUND"))),
    Row("Mutation.designerApprove", DECIDE % "designerApprove",
        lambda w: {"id": gid("Designer", w.designer_b_pending.pk)},
        expect=roles(DENIED, staff=data(designer_status("APPROVED")))),
    Row("Mutation.designerApprove", DECIDE % "designerApprove",
        lambda w: {"id": gid("Designer", w.designer_a.pk)},  # already approved: staff pass authz, then a payload error
        expect=roles(DENIED, staff=fails("INVALID_TRANSITION"))),
    Row("Mutation.designerReject", DECIDE_REASON % "designerReject",
        lambda w: {"id": gid("Designer", w.designer_b_pending.pk), "reason": "Incomplete"},
        expect=roles(DENIED, staff=data(designer_status("REJECTED")))),
    Row("Mutation.designerSuspend", DECIDE_REASON % "designerSuspend",
        lambda w: {"id": gid("Designer", w.designer_a.pk), "reason": "Counterfeit"},
        expect=roles(DENIED, staff=data(designer_status("SUSPENDED")))),
    Row("Mutation.designerReinstate", DECIDE % "designerReinstate",
        lambda w: {"id": gid("Designer", w.designer_b_suspended.pk), "reason": None},
        expect=roles(DENIED, staff=data(designer_status("APPROVED")))),
    # checkout and orders: COMMERCE_ROWS below
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
    Row("Query.purchase", "query($token: UUID!) { purchase(token: $token) { id orders { number } } }",
        lambda w: {"token": str(w.purchase_x.token)}, roles(DATA)),
    Row("Query.orders", "{ orders(first: 10) { totalCount } }", expect=STAFF_ONLY),
    Row("Node.Checkout", NODE_ID, lambda w: {"id": gid("Checkout", w.checkout_x.pk)}, roles(NULL, buyer=DATA)),
    Row("Node.Checkout", NODE_ID, lambda w: {"id": gid("Checkout", w.checkout_anon.pk)}, roles(NULL)),  # its token only
    Row("Node.CheckoutLine", NODE_ID, lambda w: {"id": gid("CheckoutLine", w.checkout_x.lines.get().pk)}, roles(NULL, buyer=DATA)),
    Row("Node.ShippingMethod", NODE_ID, lambda w: {"id": gid("ShippingMethod", w.shipping_a.pk)}, roles(DATA)),
    Row("Node.Purchase", NODE_ID, lambda w: {"id": gid("Purchase", w.purchase_x.pk)}, roles(NULL, buyer=DATA, staff=DATA)),
    Row("Node.Order", NODE_ID, lambda w: {"id": gid("Order", w.order_a.pk)}, ORDER_VIEWERS),
    Row("Node.OrderLine", NODE_ID, lambda w: {"id": gid("OrderLine", w.order_a.lines.first().pk)}, ORDER_VIEWERS),
    Row("Node.OrderEvent", NODE_ID, lambda w: {"id": gid("OrderEvent", w.order_a.events.first().pk)}, ORDER_VIEWERS),
    Row("Node.DigitalDownload", NODE_ID, lambda w: {"id": gid("DigitalDownload", w.download_x.pk)}, roles(NULL, buyer=DATA)),
    Row("Mutation.checkoutCreate",
        'mutation($v: ID!) { checkoutCreate(input: {email: "new@example.com", lines: [{variantId: $v, quantity: 1}]}) { checkout { id } errors { code } } }',
        lambda w: {"v": gid("ProductVariant", w.variant_a.pk)}, roles(DATA)),
    Row("Mutation.checkoutLinesAdd",
        "mutation($token: UUID!, $v: ID!) { checkoutLinesAdd(token: $token, input: {lines: [{variantId: $v, quantity: 1}]}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "v": gid("ProductVariant", w.variant_a.pk)}, X_CHECKOUT_ONLY),
    Row("Mutation.checkoutLinesUpdate",
        "mutation($token: UUID!, $v: ID!) { checkoutLinesUpdate(token: $token, input: {lines: [{variantId: $v, quantity: 3}]}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "v": gid("ProductVariant", w.variant_a.pk)}, X_CHECKOUT_ONLY),
    Row("Mutation.checkoutLinesDelete",
        "mutation($token: UUID!, $l: ID!) { checkoutLinesDelete(token: $token, input: {lineIds: [$l]}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "l": gid("CheckoutLine", w.checkout_x.lines.get().pk)}, X_CHECKOUT_ONLY),
    Row("Mutation.checkoutEmailUpdate",
        'mutation($token: UUID!) { checkoutEmailUpdate(token: $token, input: {email: "other@example.com"}) { checkout { id } errors { code } } }',
        x_checkout, X_CHECKOUT_ONLY),
    Row("Mutation.checkoutShippingAddressUpdate",
        'mutation($token: UUID!) { checkoutShippingAddressUpdate(token: $token, input: {recipientName: "Z", phone: "0987654321", '
        'streetAddress: "9 Phố Huế", ward: "Hai Bà Trưng", province: "Hà Nội"}) { checkout { id } errors { code } } }',
        x_checkout, X_CHECKOUT_ONLY),
    Row("Mutation.checkoutShippingMethodUpdate",
        "mutation($token: UUID!, $m: ID!) { checkoutShippingMethodUpdate(token: $token, input: {shippingMethodId: $m}) { checkout { id } errors { code } } }",
        lambda w: {**x_checkout(w), "m": gid("ShippingMethod", w.shipping_a.pk)}, X_CHECKOUT_ONLY),
    Row("Mutation.checkoutCustomerAttach",
        "mutation($token: UUID!) { checkoutCustomerAttach(token: $token) { checkout { id } errors { code } } }",
        x_checkout, roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DATA)),
    Row("Mutation.checkoutCustomerAttach",
        "mutation($token: UUID!) { checkoutCustomerAttach(token: $token) { checkout { id } errors { code } } }",
        lambda w: {"token": str(w.checkout_anon.token)}, roles(DATA, anonymous=DENIED)),
    Row("Mutation.checkoutComplete",
        'mutation($token: UUID!) { checkoutComplete(token: $token, input: {gateway: "dummy"}) { purchase { status } errors { code } } }',
        x_checkout, roles(fails("NOT_FOUND"), buyer=data(paid_purchase))),
    Row("Mutation.shippingMethodCreate",
        'mutation { shippingMethodCreate(input: {name: "Nhanh", price: "25000"}) { shippingMethod { id } errors { code } } }',
        expect=DESIGNERS_ONLY),
    Row("Mutation.shippingMethodUpdate",
        'mutation($id: ID!) { shippingMethodUpdate(id: $id, input: {price: "1"}) { shippingMethod { id } errors { code } } }',
        lambda w: {"id": gid("ShippingMethod", w.shipping_a.pk)}, A_ONLY_AMONG_DESIGNERS),
    Row("Mutation.shippingMethodDelete",
        "mutation($id: ID!) { shippingMethodDelete(id: $id) { shippingMethod { id } errors { code } } }",
        lambda w: {"id": gid("ShippingMethod", w.shipping_a.pk)}, A_ONLY_AMONG_DESIGNERS),
    Row("Mutation.orderFulfill",
        'mutation($id: ID!) { orderFulfill(id: $id, input: {carrier: "GHN", trackingNumber: "T1"}) { order { status } errors { code } } }',
        lambda w: {"id": gid("Order", w.order_a.pk)},
        roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, designer_a=DATA, staff=DATA)),
    Row("Mutation.orderMarkDelivered",  # a PAID order: A and staff pass authz, then the transition is refused
        "mutation($id: ID!) { orderMarkDelivered(id: $id) { order { status } errors { code } } }",
        lambda w: {"id": gid("Order", w.order_a.pk)},
        roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=DENIED, designer_a=fails("INVALID_TRANSITION"), staff=fails("INVALID_TRANSITION"))),
    Row("Mutation.orderCancel",  # a PAID order: only staff may cancel it; the buyer is told why
        "mutation($id: ID!) { orderCancel(id: $id) { order { status } errors { code } } }",
        lambda w: {"id": gid("Order", w.order_a.pk)},
        roles(fails("NOT_FOUND"), anonymous=DENIED, buyer=fails("INVALID_TRANSITION"), designer_a=DENIED, staff=DATA)),
]
MATRIX += COMMERCE_ROWS


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
    assert not missing, (
        f"no permission-matrix row for {missing}: add one to MATRIX in {__file__} (see the docstring)"
    )
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
        return
    if isinstance(value, dict) and "errors" in value and outcome.check is None:
        assert value["errors"] == [], where
    if outcome.check is not None:
        assert outcome.check(value, world, role), where


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: r.id)
def test_permission_matrix(row, gql):
    world = build_world()
    for role in ROLES:
        outcome = row.expect[role]
        with transaction.atomic():
            # the world as it was: each role's writes are rolled back before the next role
            variables = row.variables(world)
            user = world.user(role)
            if outcome.writes_nothing:
                with _unchanged():
                    result = gql(row.document, variables, user=user)
            else:
                result = gql(row.document, variables, user=user)
            _check(row, role, outcome, result, world)
            transaction.set_rollback(True)
