"""The language promise of API.md, through the real HTTP API: error messages follow
``Accept-Language`` (Vietnamese without one, as for ``vi``; English for ``en``), codes and fields do
not change with the language, and emails follow their recipient's language, not the request's."""

import json

import pytest
from django.core import mail
from django.test import Client

from tests.commerce import Buyer, gid
from tests.factories import make_designer, make_product, make_user, make_variant
from tests.support import load_operation

REGISTER = load_operation("account/AccountRegister.graphql")
PENDING_DESIGNERS = load_operation("staff/PendingDesigners.graphql")
DESIGNER_APPROVE = load_operation("staff/DesignerApprove.graphql")
PRODUCT_UPDATE = load_operation("designer/ProductUpdate.graphql")
CHECKOUT_CREATE = load_operation("storefront/CheckoutCreate.graphql")
RESET = load_operation("account/RequestPasswordReset.graphql")

NO_HEADER, VI, EN = {}, {"Accept-Language": "vi"}, {"Accept-Language": "en"}


def in_three_languages(call):
    """``call(headers)`` without Accept-Language, with ``vi`` and with ``en``."""
    return call(NO_HEADER), call(VI), call(EN)


def assert_languages(default, vi, en, *, expected_vi: str, expected_en: str):
    assert default == vi == expected_vi
    assert en == expected_en


def payload_errors(gql, query, variables, root, headers, **kwargs):
    result = gql(query, variables, headers=headers, **kwargs)
    assert result["_status"] == 200 and "errors" not in result, result
    return result["data"][root]["errors"]


def split(errors):
    """(the errors without their messages, the messages)."""
    return [{k: v for k, v in e.items() if k != "message"} for e in errors], [e["message"] for e in errors]


# --- payload errors ---------------------------------------------------------------------------


def test_account_register_with_a_bad_email(gql, db_unchanged):
    variables = {"input": {"email": "not-an-email", "password": "a-Strong-pass-42"}}
    with db_unchanged():
        results = in_three_languages(lambda h: payload_errors(gql, REGISTER, variables, "accountRegister", h))
    shapes, messages = zip(*map(split, results))
    assert shapes[0] == shapes[1] == shapes[2] == [{"field": "email", "code": "INVALID"}]
    assert_languages(
        *[m[0] for m in messages],
        expected_vi="Vui lòng nhập địa chỉ email hợp lệ.",
        expected_en="Enter a valid email address.",
    )


def test_django_password_messages_are_translated_too(gql, db_unchanged):
    """Django's password validators speak through Django's own Vietnamese catalog."""
    variables = {"input": {"email": "nguyenthiha@example.com", "password": "nguyenthiha1"}}
    with db_unchanged():
        vi = payload_errors(gql, REGISTER, variables, "accountRegister", VI)
        en = payload_errors(gql, REGISTER, variables, "accountRegister", EN)
    assert (
        [(e["field"], e["code"]) for e in vi]
        == [(e["field"], e["code"]) for e in en]
        == [("password", "PASSWORD_TOO_WEAK")]
    )
    assert (vi[0]["message"], en[0]["message"]) == (
        "Mật khẩu quá giống với email.",
        "The password is too similar to the email.",
    )


def test_catalog_errors(gql, db_unchanged):
    designer = make_designer()
    product = make_product(designer=designer)
    with db_unchanged():
        unknown = in_three_languages(
            lambda h: payload_errors(
                gql,
                PRODUCT_UPDATE,
                {"id": "not-an-id", "input": {"name": "Áo"}},
                "productUpdate",
                h,
                user=designer.user,
            )
        )
        too_long = in_three_languages(
            lambda h: payload_errors(
                gql,
                PRODUCT_UPDATE,
                {"id": gid("Product", product.pk), "input": {"tags": ["x" * 41]}},
                "productUpdate",
                h,
                user=designer.user,
            )
        )
    assert {json.dumps(split(r)[0]) for r in unknown} == {json.dumps([{"field": "id", "code": "NOT_FOUND"}])}
    assert_languages(
        *[r[0]["message"] for r in unknown], expected_vi="Sản phẩm không tồn tại.", expected_en="Product not found."
    )
    assert len({json.dumps(split(r)[0]) for r in too_long}) == 1 and too_long[0][0]["code"] == "INVALID"
    assert too_long[0][0]["message"].startswith("Mỗi thẻ có tối đa ") and too_long[2][0]["message"].startswith(
        "Tags have at most "
    )


def test_checkout_errors_name_the_product_in_both_languages(gql, db_unchanged):
    scarf = make_variant(product=make_product(name="Khăn lụa"), name="Đỏ", stock=2)
    variables = {
        "input": {"email": "an@example.com", "lines": [{"variantId": gid("ProductVariant", scarf.pk), "quantity": 3}]}
    }
    with db_unchanged():
        results = in_three_languages(lambda h: payload_errors(gql, CHECKOUT_CREATE, variables, "checkoutCreate", h))
    shapes = {json.dumps(split(r)[0]) for r in results}
    assert shapes == {json.dumps([{"field": "lines", "code": "INSUFFICIENT_STOCK"}])}
    assert_languages(
        *[r[0]["message"] for r in results],
        expected_vi="“Khăn lụa (Đỏ)” chỉ còn 2 sản phẩm.",
        expected_en="Only 2 of “Khăn lụa (Đỏ)” left.",
    )


# --- top-level errors -------------------------------------------------------------------------


def top_level(gql, query, variables, headers, **kwargs):
    result = gql(query, variables, headers=headers, **kwargs)
    return result["_status"], [(e["extensions"]["code"], e["message"]) for e in result["errors"]]


def test_permission_denied(gql, db_unchanged):
    buyer = make_user()
    designer = make_designer(status="PENDING")
    with db_unchanged():
        listed = in_three_languages(lambda h: top_level(gql, PENDING_DESIGNERS, {"first": 5}, h, user=buyer))
        approve = in_three_languages(
            lambda h: top_level(gql, DESIGNER_APPROVE, {"id": gid("Designer", designer.pk)}, h, user=buyer)
        )
        anonymous = in_three_languages(lambda h: top_level(gql, PRODUCT_UPDATE, {"id": "x", "input": {}}, h))
    for results in (listed, approve, anonymous):
        assert {(status, tuple(code for code, _m in errors)) for status, errors in results} == {
            (200, ("PERMISSION_DENIED",))
        }
    assert_languages(
        *[r[1][0][1] for r in listed],
        expected_vi="Chỉ nhân viên mới có thể lọc nhà thiết kế theo trạng thái.",
        expected_en="Only staff can filter designers by status.",
    )
    assert_languages(
        *[r[1][0][1] for r in approve],
        expected_vi="Bạn không có quyền thực hiện thao tác này.",
        expected_en="You do not have permission to perform this action.",
    )
    assert_languages(
        *[r[1][0][1] for r in anonymous],
        expected_vi="Bạn cần đăng nhập để thực hiện thao tác này.",
        expected_en="You must be signed in.",
    )


def test_invalid_token(gql):
    results = in_three_languages(
        lambda h: top_level(gql, "{ me { id } }", {}, {**h, "Authorization": "Bearer not-a-token"})
    )
    assert {(status, tuple(c for c, _m in errors)) for status, errors in results} == {(401, ("INVALID_TOKEN",))}
    assert_languages(
        *[r[1][0][1] for r in results],
        expected_vi="Mã truy cập (access token) không hợp lệ hoặc đã hết hạn.",
        expected_en="The access token is invalid or expired.",
    )


def aliases(n: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"


def test_query_limits(gql, settings):
    settings.GRAPHQL_MAX_ALIASES = 15
    results = in_three_languages(lambda h: top_level(gql, aliases(16), {}, h))
    assert {(status, tuple(c for c, _m in errors)) for status, errors in results} == {(400, ("TOO_MANY_ALIASES",))}
    assert_languages(
        *[r[1][0][1] for r in results],
        expected_vi="Truy vấn dùng 16 bí danh (alias); chỉ cho phép tối đa 15.",
        expected_en="The query uses 16 aliases; at most 15 are allowed.",
    )


def test_the_language_is_chosen_per_request_not_remembered(gql, settings):
    """Whatever is cached between requests (parsed documents, analyses) must not carry a message
    of one request's language into another's."""
    settings.GRAPHQL_MAX_ALIASES = 15
    query = aliases(17)
    messages = [top_level(gql, query, {}, h)[1][0][1] for h in (VI, EN, VI, EN, NO_HEADER)]
    assert messages == [
        "Truy vấn dùng 17 bí danh (alias); chỉ cho phép tối đa 15.",
        "The query uses 17 aliases; at most 15 are allowed.",
    ] * 2 + ["Truy vấn dùng 17 bí danh (alias); chỉ cho phép tối đa 15."]


def test_rate_limited(rate_limit_redis, settings, db):
    settings.RATE_LIMITS = {"ip": "1/3600"}

    def post(headers):
        return Client().post(
            "/graphql/",
            data=json.dumps({"query": "{ me { id } }"}),
            content_type="application/json",
            REMOTE_ADDR="10.1.2.3",
            headers=headers,
        )

    assert post(NO_HEADER).status_code == 200
    responses = in_three_languages(post)
    assert {r.status_code for r in responses} == {429}
    bodies = [r.json()["errors"][0] for r in responses]
    assert {(b["extensions"]["code"], b["extensions"]["bucket"]) for b in bodies} == {("RATE_LIMITED", "ip")}
    for response, body in zip(responses, bodies):
        seconds = response["Retry-After"]
        assert body["message"] in (
            f"Bạn đã gửi quá nhiều yêu cầu; vui lòng thử lại sau {seconds} giây.",
            f"Too many requests; try again in {seconds} seconds.",
        )
    assert [b["message"].startswith("Bạn đã gửi") for b in bodies] == [True, True, False]


def test_oversized_body_is_refused_in_the_callers_language(settings, db):
    """Refused by a middleware that runs before LocaleMiddleware."""
    settings.REQUEST_MAX_BYTES = 200
    body = json.dumps({"query": "{ me { id } }", "variables": {"pad": "x" * 300}})

    def post(headers):
        return Client().post("/graphql/", data=body, content_type="application/json", headers=headers)

    responses = in_three_languages(post)
    assert {r.status_code for r in responses} == {413}
    assert {r.json()["errors"][0]["extensions"]["code"] for r in responses} == {"REQUEST_TOO_LARGE"}
    assert_languages(
        *[r.json()["errors"][0]["message"] for r in responses],
        expected_vi="Nội dung yêu cầu quá lớn.",
        expected_en="The request body is too large.",
    )


def test_download_links(db):
    responses = in_three_languages(lambda h: Client().get("/downloads/forged-token/", headers=h))
    assert {(r.status_code, r.json()["error"]["code"]) for r in responses} == {(404, "NOT_FOUND")}
    assert_languages(
        *[r.json()["error"]["message"] for r in responses],
        expected_vi="Liên kết tải về này không hợp lệ.",
        expected_en="This download link is not valid.",
    )


@pytest.mark.parametrize(
    "header, language",
    [
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        ("vi-VN,vi;q=0.9,en;q=0.5", "vi"),
        ("fr-FR,fr", "vi"),
        ("de, en;q=0.5", "en"),
    ],
)
def test_accept_language_negotiation(gql, header, language):
    response = gql.post(aliases(16), headers={"Accept-Language": header})
    message = response.json()["errors"][0]["message"]
    assert message.startswith("The query uses") == (language == "en")
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


# --- emails follow their recipient ------------------------------------------------------------


def test_password_reset_email_is_in_the_users_language_not_the_requests(gql, django_capture_on_commit_callbacks):
    make_user(email="jane@example.com", language="en")
    make_user(email="lan@example.com", language="vi")
    with django_capture_on_commit_callbacks(execute=True):
        assert payload_errors(gql, RESET, {"email": "jane@example.com"}, "requestPasswordReset", VI) == []
        assert payload_errors(gql, RESET, {"email": "lan@example.com"}, "requestPasswordReset", EN) == []
    jane = next(m for m in mail.outbox if m.to == ["jane@example.com"])
    lan = next(m for m in mail.outbox if m.to == ["lan@example.com"])
    assert jane.subject == "Rethink Market: set a new password" and "Open this link within" in jane.body
    assert lan.subject == "Rethink Market: đặt mật khẩu mới" and "Hãy mở liên kết sau" in lan.body
    assert '<html lang="en">' in jane.alternatives[0][0] and '<html lang="vi">' in lan.alternatives[0][0]


class SpeakingBuyer(Buyer):
    """A storefront client that sends its own Accept-Language."""

    def __init__(self, gql, user, accept_language):
        super().__init__(gql, user=user)
        self.headers = {"Accept-Language": accept_language}

    def call(self, query, variables, root):
        result = self.gql(query, variables, user=self.user, headers=self.headers)
        assert "errors" not in result, result
        return result["data"][root]


def test_order_emails_follow_the_buyers_and_designers_language(
    gql, settings, digital_variant_factory, django_capture_on_commit_callbacks
):
    """An English-speaking account buying from a phone set to Vietnamese gets English email with
    English amounts, and the reverse; each designer reads its own language."""
    from tests.factories import Market
    from tests.gateways import TEST_GATEWAYS

    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    market = Market(gql, digital_variant_factory)
    market.minh.user.language = "en"
    market.minh.user.save()
    jane = SpeakingBuyer(gql, make_user(email="jane@example.com", language="en"), "vi")
    mai = SpeakingBuyer(gql, market.buyer_user, "en")  # a Vietnamese account
    with django_capture_on_commit_callbacks(execute=True):
        market.purchase(buyer=jane)
        market.purchase(buyer=mai)
    to_jane = next(m for m in mail.outbox if m.to == ["jane@example.com"])
    to_mai = next(m for m in mail.outbox if m.to == ["mai@example.com"])
    # 2 x 150,000 + 30,000 shipping (Linh) + 60,000 + 25,000 shipping + 90,000 (Minh)
    assert "is confirmed" in to_jane.subject and "Amount paid: 505,000 VND" in to_jane.body
    assert "xác nhận đơn hàng" in to_mai.subject and "Tổng thanh toán: 505.000 ₫" in to_mai.body
    assert "<strong>Amount paid: 505,000 VND</strong>" in to_jane.alternatives[0][0]
    assert "<strong>Tổng thanh toán: 505.000 ₫</strong>" in to_mai.alternatives[0][0]
    linh = [m for m in mail.outbox if m.to == [market.linh.user.email]]
    minh = [m for m in mail.outbox if m.to == [market.minh.user.email]]
    assert len(linh) == len(minh) == 2
    assert all("đơn hàng mới" in m.subject and "Cộng: 330.000 ₫" in m.body for m in linh)
    assert all("new order" in m.subject and "Total: 175,000 VND" in m.body for m in minh)
