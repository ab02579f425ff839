"""Named points between the steps of multi-step writes (checkout completion, refunds), where the
race tests force a competitor — or a crash — in between, deterministically.

Nothing is registered in production: :func:`reached` is one dictionary lookup. A test registers a
handler with :func:`handler`; it runs in the thread that reaches the point (inside whatever
transaction that thread holds), so it may start a competitor and wait for it before the step
goes on."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

_handlers: dict[str, Callable[[], None]] = {}


def reached(name: str) -> None:
    handler_ = _handlers.get(name)
    if handler_ is not None:
        handler_()


@contextmanager
def handler(name: str, function: Callable[[], None]):
    _handlers[name] = function
    try:
        yield
    finally:
        _handlers.pop(name, None)
