"""The Vietnamese shipping address and phone numbers."""

import pytest

from shop.checkout.address import clean_address, normalize_phone
from shop.checkout.models import Checkout
from shop.core.errors import ServiceError
from tests.commerce import ADDRESS, ADDRESS_UPDATE, Buyer
from tests.factories import make_product, make_seller, make_variant


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("0912345678", "0912345678"),
        ("091 234 5678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("+84 912-345-678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0389.123.456", "0389123456"),
        ("(024) 3826 1234", "02438261234"),
        ("+84 28 3822 1234", "02838221234"),
    ],
)
def test_vietnamese_phone_numbers_are_normalised(raw, normalised):
    assert normalize_phone(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "0123456789",
        "0412345678",
        "09123456789",
        "091234567",
        "+1 415 555 0100",
        "+8491234567",
        "0912a45678",
        "phone",
        "0212345678",
        "++84912345678",
    ],
)
def test_other_numbers_are_refused(raw):
    assert normalize_phone(raw) is None


def test_district_is_optional_and_whitespace_is_tidied():
    cleaned = clean_address(
        {
            "recipient_name": "  Lê   Thu ",
            "phone": "0987654321",
            "street_address": "3 Phố Huế",
            "ward": "Phường Hai Bà Trưng",
            "province": "Hà Nội",
        }
    )
    assert cleaned == {
        "recipient_name": "Lê Thu",
        "phone": "0987654321",
        "street_address": "3 Phố Huế",
        "ward": "Phường Hai Bà Trưng",
        "district": "",
        "province": "Hà Nội",
        "country": "VN",
    }


def test_every_problem_is_reported_at_once():
    with pytest.raises(ServiceError) as raised:
        clean_address(
            {"recipient_name": "", "phone": "123", "street_address": "x" * 201, "ward": " ", "province": "Hà\x00Nội"}
        )
    assert sorted((e.field, e.code) for e in raised.value.errors) == [
        ("phone", "INVALID"),
        ("province", "INVALID"),
        ("recipient_name", "REQUIRED"),
        ("street_address", "INVALID"),
        ("ward", "REQUIRED"),
    ]


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"phone": "12345"}, "phone", "INVALID"),
        ({"phone": "+1 415 555 0100"}, "phone", "INVALID"),
        ({"recipientName": "   "}, "recipientName", "REQUIRED"),
        ({"streetAddress": ""}, "streetAddress", "REQUIRED"),
        ({"ward": ""}, "ward", "REQUIRED"),
        ({"province": ""}, "province", "REQUIRED"),
        ({"district": "d" * 101}, "district", "INVALID"),
        ({"recipientName": "n" * 101}, "recipientName", "INVALID"),
    ],
)
def test_a_bad_address_is_refused_and_writes_nothing(gql, db_unchanged, overrides, field, code):
    designer, _method = make_seller()
    scarf = make_variant(product=make_product(designer=designer))
    buyer = Buyer(gql)
    token = buyer.create([(scarf, 1)])["checkout"]["token"]
    with db_unchanged():
        result = gql(ADDRESS_UPDATE, {"token": token, "input": {**ADDRESS, **overrides}})["data"][
            "checkoutShippingAddressUpdate"
        ]
    assert result["checkout"] is None and (field, code) in [(e["field"], e["code"]) for e in result["errors"]]
    assert Checkout.objects.get().shipping_address is None


def test_a_good_address_is_stored_normalised(gql):
    designer, _method = make_seller()
    buyer = Buyer(gql)
    token = buyer.create([(make_variant(product=make_product(designer=designer)), 1)])["checkout"]["token"]
    result = buyer.address(token, phone="+84 912 345 678", district="Quận Hoàn Kiếm")
    assert result["errors"] == []
    assert result["checkout"]["shippingAddress"] == {
        "recipientName": "Nguyễn Văn An",
        "phone": "0912345678",
        "streetAddress": "12 Hàng Bạc",
        "ward": "Phường Hoàn Kiếm",
        "district": "Quận Hoàn Kiếm",
        "province": "Hà Nội",
        "country": "VN",
    }
