"""Hooks: how a lower app tells (or asks) a higher one without importing it (docs/architecture.md).

The apps are layered (core at the bottom, checkout at the top) and a module only imports its own
layer and the layers below. When a lower app needs a higher one to act (orders are paid: the
payments app writes the ledger) or to answer (the catalog asks the designers app who a user's
designer is), the lower app declares a :class:`Hook` in its own ``hooks.py``, documents the
arguments and the answer, and calls it; the higher app registers a handler in its
``AppConfig.ready()``. Core only keeps the registry: it names no app.

A handler runs in the caller's transaction and its exception is the caller's (unlike
``Signal.send_robust``): a hook is part of the service that calls it, not a notification that may
be lost. ``required`` hooks fail loudly when nothing registered (an app left out of
INSTALLED_APPS must not silently skip the ledger); ``single`` hooks take exactly one handler (an
answer, or a provider object) and :meth:`Hook.one` returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_hooks: dict[str, Hook] = {}


class Hook:
    def __init__(self, name: str, *, single: bool = False, required: bool = False, doc: str = ""):
        if name in _hooks:
            raise ImproperlyConfigured(f"hook {name} is declared twice")
        self.name = name
        self.single = single
        self.required = required
        self.__doc__ = doc
        self._handlers: list[Any] = []
        _hooks[name] = self

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {', '.join(describe(h) for h in self._handlers) or 'no handler'}>"

    def register(self, handler):
        """Add ``handler`` (usable as a decorator). Registering the same handler again is a no-op,
        so a ``ready()`` that runs twice is harmless."""
        if handler in self._handlers:
            return handler
        if self.single and self._handlers:
            raise ImproperlyConfigured(f"hook {self.name} takes one handler and has {describe(self._handlers[0])}")
        self._handlers.append(handler)
        return handler

    @property
    def handlers(self) -> tuple:
        return tuple(self._handlers)

    def send(self, **kwargs) -> list:
        """Call every handler (in registration order, i.e. INSTALLED_APPS order) with ``kwargs``;
        their answers, in the same order."""
        if self.required and not self._handlers:
            raise ImproperlyConfigured(f"nothing registered for hook {self.name}")
        return [handler(**kwargs) for handler in self._handlers]

    def one(self):
        """The one handler of a ``single`` hook (a function or a provider object)."""
        if not self._handlers:
            raise ImproperlyConfigured(f"nothing registered for hook {self.name}")
        return self._handlers[0]


def describe(handler: Callable | object) -> str:
    target = handler if callable(handler) and hasattr(handler, "__qualname__") else type(handler)
    return f"{target.__module__}.{target.__qualname__}"


def registered() -> dict[str, tuple[str, ...]]:
    """Every declared hook and its handlers (``module.name``), for docs and tests."""
    return {name: tuple(describe(h) for h in hook.handlers) for name, hook in sorted(_hooks.items())}


# --- core's own hooks --------------------------------------------------------------------------

# The GraphQL view (shop/core/views.py) turns ``Authorization: Bearer <token>`` into a user:
# handler(token: str) -> the user, or None when the token is invalid or expired.
# Registered by the accounts app (shop.accounts.tokens.user_for_bearer_token).
bearer_user = Hook("core.bearer_user", single=True, required=True)
