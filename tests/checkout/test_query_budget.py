"""The checkout's SQL budget (the benchmark's target: at most 25 statements per completion) and
the shortcuts that keep it there: a completion answers from what it wrote, a new checkout and a
shipping choice are priced from memory. Each shortcut must show exactly what reading the data
back shows."""

from __future__ import annotations

import pytest

from shop.orders.models import Purchase
from tests.commerce import ADDRESS, Buyer, gid
from tests.factories import make_product, make_seller, make_variant
from tests.support import load_operation

PURCHASE_BY_TOKEN = load_operation("storefront/PurchaseByToken.graphql")


@pytest.fixture
def market(db, digital_variant_factory):
    linh, linh_ship = make_seller("Linh", shipping_price=30000)
    minh, minh_ship = make_seller("Minh", shipping_price=25000, free_above=100000)
    scarf = make_variant(product=make_product(designer=linh, name="Khăn lụa"), price=150000, stock=5, name="Đỏ")
    bowl = make_variant(product=make_product(designer=minh, name="Bát gốm"), price=60000, stock=5)
    font = digital_variant_factory(designer=minh, price=90000)
    return type("Market", (), dict(linh_ship=linh_ship, minh_ship=minh_ship, scarf=scarf, bowl=bowl, font=font))


def test_a_purchase_stays_within_its_sql_budget(gql, market, django_assert_max_num_queries):
    buyer = Buyer(gql)
    with django_assert_max_num_queries(6):  # BEGIN, checkout, variants, lines, COMMIT
        created = buyer.create([(market.scarf, 1)], shippingAddress=ADDRESS)
    token = created["checkout"]["token"]
    with django_assert_max_num_queries(9):
        assert buyer.ship(token, market.linh_ship)["errors"] == []
    # 30: the provider is asked outside any transaction, so completion is two short transactions
    # (the second: BEGIN, checkout, purchase and orders locked, payment answer, COMMIT) and its
    # follow-up task goes through the outbox (an INSERT, then a DELETE once sent)
    with django_assert_max_num_queries(30) as captured:
        assert buyer.complete(token)["purchase"]["status"] == "PAID"
    one_line = len(captured)
    # the same for two designers and more lines; digital goods add one statement (their links)
    token = buyer.ready(
        [(market.scarf, 2), (market.bowl, 1), (market.font, 1)], methods=[market.linh_ship, market.minh_ship]
    )
    with django_assert_max_num_queries(one_line + 1):
        assert buyer.complete(token)["purchase"]["status"] == "PAID"


def _common(answer, fresh):
    """The parts of ``answer`` that ``fresh`` also has (the two operations ask different fields)."""
    if isinstance(answer, dict):
        return {k: _common(v, fresh[k]) for k, v in answer.items() if k in fresh}
    if isinstance(answer, list):
        return [_common(a, f) for a, f in zip(answer, fresh)]
    return answer


def _trim(fresh, answer):
    if isinstance(fresh, dict):
        return {k: _trim(v, answer[k]) for k, v in fresh.items() if k in answer}
    if isinstance(fresh, list):
        return [_trim(f, a) for f, a in zip(fresh, answer)]
    return fresh


@pytest.mark.parametrize("lines", ["physical", "mixed", "digital"])
def test_the_completion_answers_what_reading_the_purchase_back_shows(gql, market, lines):
    buyer = Buyer(gql)
    choice = {
        "physical": ([(market.scarf, 2)], [market.linh_ship]),
        "mixed": ([(market.scarf, 2), (market.bowl, 1), (market.font, 1)], [market.linh_ship, market.minh_ship]),
        "digital": ([(market.font, 1)], []),
    }[lines]
    answer = buyer.complete(buyer.ready(*choice))["purchase"]
    token = Purchase.objects.get(pk=int(__import__("base64").b64decode(answer["id"]).decode().split(":")[1])).token
    fresh = gql(PURCHASE_BY_TOKEN, {"token": str(token)})["data"]["purchase"]
    assert len(answer["orders"]) == len(fresh["orders"]) == len({v.product.designer_id for v, _ in choice[0]})
    assert _common(answer, fresh) == _trim(fresh, answer)
    downloads = [d for o in fresh["orders"] for line in o["lines"] for d in line["downloads"]]
    assert len(downloads) == (0 if lines == "physical" else 1)


def test_a_new_checkout_and_a_shipping_choice_are_priced_as_a_fresh_read_prices_them(gql, market):
    buyer = Buyer(gql)
    created = buyer.create([(market.scarf, 2), (market.bowl, 1), (market.font, 1)], shippingAddress=ADDRESS)["checkout"]
    token = created["token"]
    fresh = buyer.checkout(token)
    assert _common(created, fresh) == _trim(fresh, created)
    assert {p["code"] for p in created["problems"]} == {"SHIPPING_METHOD_REQUIRED"}
    chosen = buyer.ship(token, market.linh_ship)["checkout"]
    fresh = buyer.checkout(token)
    assert _common(chosen, fresh) == _trim(fresh, chosen)
    part = next(p for p in fresh["parts"] if p["designer"]["id"] == gid("Designer", market.linh_ship.designer_id))
    assert part["shippingMethod"]["id"] == gid("ShippingMethod", market.linh_ship.pk)
    assert [m["id"] for m in part["availableShippingMethods"]] == [gid("ShippingMethod", market.linh_ship.pk)]
