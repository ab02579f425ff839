"""The shipped list of Vietnamese banks (``payments/data/vn_banks.json``: NAPAS / VietQR BIN, short
name, code, full name) where designers' payout bank accounts may be (payments/bank_accounts.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BANKS_FILE = Path(__file__).resolve().parent / "data" / "vn_banks.json"


@dataclass(frozen=True)
class Bank:
    bin: str
    short_name: str
    code: str
    name: str


@cache
def banks() -> tuple[Bank, ...]:
    """The shipped list of Vietnamese banks, in file order."""
    with BANKS_FILE.open(encoding="utf-8") as fh:
        return tuple(Bank(**row) for row in json.load(fh))


def bank_by_bin(bank_bin: str) -> Bank | None:
    return next((b for b in banks() if b.bin == bank_bin), None)
