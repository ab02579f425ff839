"""The hooks through which a lower app tells a higher one (shop/core/hooks.py, docs/architecture.md)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from shop.core import hooks
from shop.core.hooks import Hook

# Every hook and the handler each app registers in its AppConfig.ready(): a hook left without
# its handler (an app's ready() edited, an app missing) fails here, not in production.
WIRED = {
    "catalog.designers": ("designers.selectors.CatalogDesigners",),
    "catalog.variant_in_use": ("shop.orders.selectors.variant_in_use",),
    "core.bearer_user": ("shop.accounts.tokens.user_for_bearer_token",),
    "orders.paid_before_expiry": ("payments.services.paid_before_expiry",),
    "orders.paid_followups": ("payments.tasks.queue_settlements",),
    "orders.purchase_cancelled": ("payments.cod.purchase_cancelled",),
    "orders.purchase_expired": ("payments.services.purchase_expired",),
    "orders.purchase_paid": ("payments.services.purchase_paid",),
}


@pytest.fixture(autouse=True)
def forget_test_hooks():
    yield
    for name in [n for n in hooks._hooks if n.startswith("test.")]:
        del hooks._hooks[name]


def test_every_hook_has_the_handler_its_app_registers():
    assert hooks.registered() == WIRED


def test_a_hook_calls_its_handlers_in_order_and_registering_twice_is_harmless():
    hook = Hook("test.many")
    calls = []
    first = hook.register(lambda **kw: calls.append(("first", kw)) or 1)
    hook.register(lambda **kw: calls.append(("second", kw)) or 2)
    hook.register(first)
    assert hook.send(x=3) == [1, 2]
    assert calls == [("first", {"x": 3}), ("second", {"x": 3})]


def test_a_required_hook_without_handler_fails_loudly_and_a_single_hook_takes_one():
    required = Hook("test.required", required=True)
    with pytest.raises(ImproperlyConfigured):
        required.send()
    single = Hook("test.single", single=True)
    with pytest.raises(ImproperlyConfigured):
        single.one()
    single.register(print)
    assert single.one() is print
    with pytest.raises(ImproperlyConfigured):
        single.register(len)
    with pytest.raises(ImproperlyConfigured):
        Hook("test.single")  # a name is declared once
