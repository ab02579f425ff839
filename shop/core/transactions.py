"""Transactions and network calls: a call to a provider (payment gateway, payout provider) never
runs inside a database transaction, so that no row lock (and no connection "idle in transaction")
is held while a provider takes its time. Services call :func:`assert_no_transaction` right before
such a call; the tests exercise every one of them.

Django's test cases wrap each test in transactions of their own (marked ``_from_testcase``): those
are not ours and do not count."""

from __future__ import annotations

from django.db import connection


class TransactionOpen(RuntimeError):
    """A network call was about to be made inside a transaction (a programming error)."""


def in_transaction() -> bool:
    """Whether the default connection is inside a transaction of the application's own."""
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def assert_no_transaction(what: str) -> None:
    if in_transaction():
        raise TransactionOpen(f"{what} must not be called inside a database transaction")
