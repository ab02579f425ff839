"""Designers manage their own shipping methods; buyers see the active ones."""

import pytest

from shop.checkout.models import ShippingMethod
from tests.commerce import gid
from tests.factories import make_designer, make_shipping_method, make_user
from tests.support import load_operation

CREATE = load_operation("designer/ShippingMethodCreate.graphql")
UPDATE = load_operation("designer/ShippingMethodUpdate.graphql")
DELETE = load_operation("designer/ShippingMethodDelete.graphql")
MINE = load_operation("designer/MyShippingMethods.graphql")
BY_SLUG = "query($slug: String!) { designer(slug: $slug) { shippingMethods { name price { amount } } } }"


def test_designer_creates_updates_and_deletes_its_methods(gql):
    designer = make_designer()
    created = gql(
        CREATE,
        {
            "input": {
                "name": "Giao hàng tiêu chuẩn",
                "price": "30000",
                "freeAbove": "500000",
                "minDays": 2,
                "maxDays": 4,
            }
        },
        user=designer.user,
    )["data"]["shippingMethodCreate"]
    assert created["errors"] == []
    method = created["shippingMethod"]
    assert method["price"] == {"amount": "30000", "currency": "VND"} and method["freeAbove"]["amount"] == "500000"
    assert (method["minDays"], method["maxDays"], method["isActive"]) == (2, 4, True)

    updated = gql(
        UPDATE,
        {"id": method["id"], "input": {"price": "35000", "freeAbove": None, "isActive": False}},
        user=designer.user,
    )["data"]["shippingMethodUpdate"]
    assert updated["errors"] == []
    assert updated["shippingMethod"]["price"]["amount"] == "35000" and updated["shippingMethod"]["freeAbove"] is None
    assert (
        updated["shippingMethod"]["name"] == "Giao hàng tiêu chuẩn" and updated["shippingMethod"]["isActive"] is False
    )

    # the designer sees its inactive method; the public does not
    assert [m["name"] for m in gql(MINE, user=designer.user)["data"]["myDesigner"]["shippingMethods"]] == [
        "Giao hàng tiêu chuẩn"
    ]
    assert gql(BY_SLUG, {"slug": designer.slug})["data"]["designer"]["shippingMethods"] == []

    deleted = gql(DELETE, {"id": method["id"]}, user=designer.user)["data"]["shippingMethodDelete"]
    assert deleted["errors"] == [] and deleted["shippingMethod"]["id"] == method["id"]
    assert not ShippingMethod.objects.exists()


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"name": "  "}, "name", "REQUIRED"),
        ({"name": "x" * 101}, "name", "INVALID"),
        ({"price": "-1"}, "price", "INVALID"),
        ({"price": "30000.5"}, "price", "INVALID"),
        ({"price": "1e20"}, "price", "INVALID"),
        ({"freeAbove": "-5"}, "freeAbove", "INVALID"),
        ({"minDays": 5, "maxDays": 2}, "minDays", "INVALID"),
        ({"minDays": -1}, "minDays", "INVALID"),
        ({"maxDays": 400}, "maxDays", "INVALID"),
        ({"currency": "XYZ"}, "currency", "INVALID"),
    ],
)
def test_bad_shipping_methods_are_refused_and_write_nothing(gql, db_unchanged, overrides, field, code):
    designer = make_designer()
    data = {"name": "Nhanh", "price": "30000", **overrides}
    with db_unchanged():
        result = gql(CREATE, {"input": data}, user=designer.user)["data"]["shippingMethodCreate"]
    assert result["shippingMethod"] is None and (field, code) in [(e["field"], e["code"]) for e in result["errors"]]


def test_usd_methods_take_cents(gql):
    designer = make_designer()
    result = gql(CREATE, {"input": {"name": "International", "price": "12.50", "currency": "USD"}}, user=designer.user)
    assert result["data"]["shippingMethodCreate"]["shippingMethod"]["price"] == {"amount": "12.50", "currency": "USD"}


def test_there_is_a_limit_per_designer(gql, settings, db_unchanged):
    settings.SHIPPING_METHODS_MAX_PER_DESIGNER = 2
    designer = make_designer()
    make_shipping_method(designer)
    make_shipping_method(designer)
    with db_unchanged():
        result = gql(CREATE, {"input": {"name": "Thứ ba", "price": "1000"}}, user=designer.user)["data"][
            "shippingMethodCreate"
        ]
    assert result["errors"][0]["code"] == "LIMIT_REACHED"


def test_only_designers_manage_and_only_their_own(gql, db_unchanged):
    owner = make_designer()
    method = make_shipping_method(owner)
    rival = make_designer(display_name="Đối thủ")
    plain_buyer = make_user()
    with db_unchanged():
        anonymous = gql(CREATE, {"input": {"name": "x", "price": "1"}})
        buyer = gql(CREATE, {"input": {"name": "x", "price": "1"}}, user=plain_buyer)
        update = gql(UPDATE, {"id": gid("ShippingMethod", method.pk), "input": {"price": "1"}}, user=rival.user)
        delete = gql(DELETE, {"id": gid("ShippingMethod", method.pk)}, user=rival.user)
    assert anonymous["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert buyer["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert update["data"]["shippingMethodUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    assert delete["data"]["shippingMethodDelete"]["errors"][0]["code"] == "NOT_FOUND"
    # node(): an inactive method is visible to its designer only
    method.is_active = False
    method.save()
    query = "query($id: ID!) { node(id: $id) { ... on ShippingMethod { name } } }"
    assert gql(query, {"id": gid("ShippingMethod", method.pk)}, user=rival.user)["data"]["node"] is None
    assert gql(query, {"id": gid("ShippingMethod", method.pk)}, user=owner.user)["data"]["node"]["name"] == method.name
