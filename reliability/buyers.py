"""Buyers and browsers driving the API instances over real HTTP, in threads, each request timed.

A buyer runs the storefront's own operations (graphql/operations/storefront/): ``CheckoutCreate``
with one line, the email and the address → ``CheckoutShippingMethodUpdate`` → ``CheckoutComplete``.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field

from bench.flows import ADDRESS, document

REFUSALS = {"INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE"}


@dataclass
class Call:
    name: str
    port: int
    started: float
    seconds: float
    status: int | None  # None: no HTTP answer (connection refused, timeout)
    body: dict | None
    error: str | None = None

    @property
    def graphql_codes(self) -> set[str]:
        if not self.body:
            return set()
        codes = {(e.get("extensions") or {}).get("code", "") for e in self.body.get("errors") or []}
        for payload in (self.body.get("data") or {}).values():
            if isinstance(payload, dict):
                codes |= {e.get("code", "") for e in payload.get("errors") or []}
        return codes


@dataclass
class Log:
    calls: list[Call] = field(default_factory=list)
    purchases: list[dict] = field(default_factory=list)  # completed: {"token", "status", "orders"}
    refused: int = 0
    failed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)


def post(port: int, name: str, variables: dict, *, log: Log, timeout: float = 30.0, token: str | None = None) -> Call:
    body = json.dumps({"query": document(name), "variables": variables, "operationName": name}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/graphql/", body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        call = Call(name, port, started, time.monotonic() - started, response.status, data)
        if data is None:
            call.error = f"not JSON: {raw[:200]!r}"
    except (OSError, http.client.HTTPException) as exc:
        call = Call(name, port, started, time.monotonic() - started, None, None, repr(exc))
    finally:
        conn.close()
    log.add(call)
    return call


def _payload(call: Call, key: str) -> dict | None:
    if call.status != 200 or not call.body or call.body.get("errors"):
        return None
    return (call.body.get("data") or {}).get(key)


def open_checkout(port: int, variant: str, method: str, buyer: str, log: Log) -> tuple[str | None, str]:
    """A checkout with one unit of ``variant``, the buyer's email and address and ``method``:
    (its token, "open"), or (None, "refused") when sold out, or (None, "failed")."""
    created = post(
        port,
        "CheckoutCreate",
        {"input": {"email": buyer, "lines": [{"variantId": variant, "quantity": 1}], "shippingAddress": ADDRESS}},
        log=log,
    )
    result = _payload(created, "checkoutCreate")
    if result is None or result.get("errors"):
        codes = {e["code"] for e in (result or {}).get("errors") or []}
        with log.lock:
            if codes & REFUSALS:
                log.refused += 1
                return None, "refused"
            log.failed.append(f"CheckoutCreate: {created.status} {created.error or created.body}")
        return None, "failed"
    token = result["checkout"]["token"]
    chosen = _payload(
        post(port, "CheckoutShippingMethodUpdate", {"token": token, "input": {"shippingMethodId": method}}, log=log),
        "checkoutShippingMethodUpdate",
    )
    if chosen is None or chosen.get("errors"):
        with log.lock:
            log.failed.append(f"CheckoutShippingMethodUpdate: {chosen}")
        return None, "failed"
    return token, "open"


def complete(port: int, token: str, log: Log, *, gateway: str = "dummy") -> str:
    """``checkoutComplete`` of an open checkout: "completed", "refused" (sold out) or "failed"."""
    completed_call = post(port, "CheckoutComplete", {"token": token, "input": {"gateway": gateway}}, log=log)
    completed = _payload(completed_call, "checkoutComplete")
    if completed is None or completed.get("errors"):
        codes = {e["code"] for e in (completed or {}).get("errors") or []}
        with log.lock:
            if codes & REFUSALS:
                log.refused += 1
                return "refused"
            log.failed.append(
                f"CheckoutComplete: {completed_call.status} {completed_call.error or completed_call.body}"
            )
        return "failed"
    purchase = completed["purchase"]
    with log.lock:
        log.purchases.append(
            {
                "token": purchase["token"],
                "status": purchase["status"],
                "orders": [o["number"] for o in purchase["orders"]],
                "payment": completed.get("payment"),
            }
        )
    return "completed"


def buy_once(port: int, variant: str, method: str, buyer: str, log: Log, *, gateway: str = "dummy") -> str:
    """One attempt: "completed", "refused" (sold out) or "failed"."""
    token, outcome = open_checkout(port, variant, method, buyer, log)
    if token is None:
        return outcome
    return complete(port, token, log, gateway=gateway)


def run_buyers(
    ports: list[int],
    stock: list[tuple[str, str]],
    *,
    buyers: int,
    seconds: float,
    log: Log,
    gateway: str = "dummy",
    stop: threading.Event | None = None,
) -> None:
    """``buyers`` threads buy random variants from ``stock`` ((variant id, method id)) through the
    API instances in turn, until ``seconds`` pass (or ``stop`` is set)."""
    deadline = time.monotonic() + seconds
    stop = stop or threading.Event()
    counter = itertools.count()

    def buyer(i: int) -> None:
        rng = random.Random(i)
        while time.monotonic() < deadline and not stop.is_set():
            n = next(counter)
            variant, method = rng.choice(stock)
            buy_once(ports[n % len(ports)], variant, method, f"buyer{n}@reliability.example", log, gateway=gateway)

    threads = [threading.Thread(target=buyer, args=(i,), daemon=True) for i in range(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)


def browse(port: int, slugs: list[str], log: Log, *, seconds: float, stop: threading.Event | None = None) -> None:
    """One browser reading product pages back to back."""
    deadline = time.monotonic() + seconds
    for slug in itertools.cycle(slugs):
        if time.monotonic() > deadline or (stop and stop.is_set()):
            return
        post(port, "ProductBySlug", {"slug": slug}, log=log, timeout=10)
