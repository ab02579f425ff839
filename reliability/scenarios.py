"""The fault scenarios. Each one drives the cluster, breaks something for real, and checks what must
hold afterwards. A check is a line with its verdict and its numbers; a scenario passes when all its
checks do. See docs/operations.md for what they showed in a reference run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psutil
import psycopg
from graphql_relay import to_global_id

from reliability.buyers import Log, browse, buy_once, complete, open_checkout, run_buyers
from reliability.cluster import Cluster, log


@dataclass
class Result:
    name: str
    did: list[str] = field(default_factory=list)
    checks: list[tuple[bool, str]] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, ok: bool, what: str) -> bool:
        self.checks.append((bool(ok), what))
        log(f"  {'PASS' if ok else 'FAIL'}  {what}")
        return ok

    def note(self, what: str) -> None:
        self.did.append(what)
        log(f"  did: {what}")

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.checks)


# --- the market -----------------------------------------------------------------------------------


@dataclass
class Market:
    """Variants the buyers fight over, with their designers' shipping methods."""

    variants: list[int]
    stock: list[tuple[str, str]]  # (variant global id, shipping method global id)
    slugs: list[str]
    initial: dict[int, int]
    last_line: int  # order lines after this one were written during the scenario


BUYABLE = """
SELECT v.id, m.id, p.slug
FROM catalog_productvariant v
JOIN catalog_product p ON p.id = v.product_id
JOIN designers_designer d ON d.id = p.designer_id
JOIN LATERAL (SELECT id FROM checkout_shippingmethod s WHERE s.designer_id = d.id AND s.is_active
              AND s.currency = v.currency ORDER BY s.id LIMIT 1) m ON true
WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED' AND p.product_type = 'PHYSICAL'
  AND v.currency = 'VND'
ORDER BY v.id
LIMIT %s
"""


def prepare_market(cluster: Cluster, *, variants: int = 4, units: int = 15) -> Market:
    with psycopg.connect(cluster.postgres.url(), autocommit=True) as conn:
        rows = conn.execute(BUYABLE, [variants]).fetchall()
        ids = [r[0] for r in rows]
        conn.execute("UPDATE catalog_productvariant SET stock_quantity = %s WHERE id = ANY(%s)", [units, ids])
        last_line = conn.execute("SELECT coalesce(max(id), 0) FROM orders_orderline").fetchone()[0]
    stock = [(to_global_id("ProductVariant", v), to_global_id("ShippingMethod", m)) for v, m, _ in rows]
    return Market(ids, stock, [r[2] for r in rows], dict.fromkeys(ids, units), last_line)


def sql(cluster: Cluster, query: str, params=None):
    with psycopg.connect(cluster.postgres.url(), autocommit=True) as conn:
        cursor = conn.execute(query, params or [])
        return cursor.fetchall() if cursor.description else cursor.rowcount


def wait_for(predicate, *, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(interval)
    return False


# --- shared checks --------------------------------------------------------------------------------


def check_stock(result: Result, cluster: Cluster, market: Market) -> None:
    stock = dict(
        sql(cluster, "SELECT id, stock_quantity FROM catalog_productvariant WHERE id = ANY(%s)", [market.variants])
    )
    sold = dict(
        sql(
            cluster,
            "SELECT l.variant_id, coalesce(sum(l.quantity), 0) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
            "WHERE l.id > %s AND l.variant_id = ANY(%s) AND o.status <> 'CANCELLED' GROUP BY l.variant_id",
            [market.last_line, market.variants],
        )
    )
    negative = {k: v for k, v in stock.items() if v < 0}
    oversold = {k: int(sold.get(k, 0)) for k in market.variants if int(sold.get(k, 0)) > market.initial[k]}
    mismatch = {k for k in market.variants if market.initial[k] - stock[k] != int(sold.get(k, 0))}
    result.check(
        not negative and not oversold and not mismatch,
        f"no oversold unit: {sum(int(v) for v in sold.values())} units sold of {sum(market.initial.values())}, "
        f"stock {sum(stock.values())} left, none below zero, every unit taken is on one live order line",
    )


def check_no_duplicates(result: Result, cluster: Cluster) -> None:
    dup_orders = sql(
        cluster,
        "SELECT purchase_id, designer_id, count(*) FROM orders_order GROUP BY 1, 2 HAVING count(*) > 1",
    )
    dup_checkouts = (
        sql(
            cluster,
            "SELECT checkout_token, count(*) FROM orders_purchase WHERE checkout_token IS NOT NULL GROUP BY 1 HAVING count(*) > 1",
        )
        if _has_column(cluster, "orders_purchase", "checkout_token")
        else []
    )
    sales = sql(
        cluster,
        "SELECT count(*) FILTER (WHERE kind = 'SALE'), count(DISTINCT order_id) FILTER (WHERE kind = 'SALE') "
        "FROM payments_ledgerentry",
    )[0]
    paid = sql(cluster, "SELECT count(*) FROM orders_order WHERE paid_at IS NOT NULL")[0][0]
    result.check(
        not dup_orders and not dup_checkouts and sales[0] == sales[1] == paid,
        f"no duplicated order or ledger row: {paid} paid orders, {sales[0]} SALE entries on {sales[1]} orders",
    )


def _has_column(cluster: Cluster, table: str, column: str) -> bool:
    return bool(
        sql(
            cluster,
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [table, column],
        )
    )


def expected_emails(cluster: Cluster) -> Counter:
    """One confirmation per paid purchase (to the buyer), one new-order email per paid order (to
    its designer), one weekly digest per digest row sent (beat queues them on the send day), one
    notice per payout bank account set."""
    expected: Counter = Counter()
    for (email,) in sql(cluster, "SELECT email FROM orders_purchase WHERE paid_at IS NOT NULL"):
        expected[email] += 1
    for (email,) in sql(
        cluster,
        "SELECT u.email FROM orders_order o JOIN designers_designer d ON d.id = o.designer_id "
        "JOIN accounts_user u ON u.id = d.user_id WHERE o.paid_at IS NOT NULL",
    ):
        expected[email] += 1
    for (email,) in sql(
        cluster,
        "SELECT u.email FROM designers_weeklydigest w JOIN designers_designer d ON d.id = w.designer_id "
        "JOIN accounts_user u ON u.id = d.user_id WHERE w.sent_at IS NOT NULL",
    ):
        expected[email] += 1
    # one "your payout bank account was set" per change (the duplicate-beat scenario sets some)
    for (email,) in sql(
        cluster,
        "SELECT u.email FROM payments_bankaccountchange c JOIN designers_designer d ON d.id = c.designer_id "
        "JOIN accounts_user u ON u.id = d.user_id",
    ):
        expected[email] += 1
    return expected


def delivered(sink) -> Counter:
    counts: Counter = Counter()
    for message in list(sink.messages):
        for recipient in message.recipients:
            counts[recipient] += 1
    return counts


def check_emails(result: Result, cluster: Cluster, sink, *, stall: float = 45, cap: float = 300) -> None:
    """Every email exactly once. Waits while deliveries keep coming (2 workers send a backlog at
    their own pace) and gives up when none arrived for ``stall`` seconds, or after ``cap``: a lost
    email shows as a stall short of the expected count, a slow one does not."""
    began = last_progress = time.monotonic()
    seen = -1
    while True:
        expected, got = expected_emails(cluster), delivered(sink)
        if got == expected:
            break
        now = time.monotonic()
        total = sum(got.values())
        if total != seen:
            seen, last_progress = total, now
        if now - last_progress > stall or now - began > cap:
            break
        time.sleep(1)
    waited = time.monotonic() - began
    expected, got = expected_emails(cluster), delivered(sink)
    missing = sum((expected - got).values())
    extra = sum((got - expected).values())
    result.check(
        missing == 0 and extra == 0,
        f"every email exactly once: {sum(expected.values())} expected, {sum(got.values())} delivered "
        f"({missing} missing, {extra} duplicated; waited {waited:.0f} s)",
    )


def check_money(result: Result, cluster: Cluster) -> None:
    run = cluster.manage("check_money", check=False)
    last = (run.stdout.strip().splitlines() or ["(no output)"])[-1]
    result.check(run.returncode == 0, f"manage.py check_money: {last}")
    if run.returncode != 0:
        log(run.stdout[-2000:] + run.stderr[-2000:])


# --- scenarios ------------------------------------------------------------------------------------


def two_instances(cluster: Cluster, sink, *, seconds: float) -> Result:
    result = Result("two API instances and two workers under concurrent buyers")
    market = prepare_market(cluster, variants=4, units=15)
    buyers = Log()
    ports = [api.port for api in cluster.apis]
    run_buyers(ports, market.stock, buyers=8, seconds=seconds, log=buyers)
    result.note(
        f"8 buyers for {seconds:.0f} s over {len(ports)} API instances and {len(cluster.workers)} workers: "
        f"{len(buyers.purchases)} purchases completed, {buyers.refused} refused (sold out), {len(buyers.failed)} failed"
    )
    result.check(
        not buyers.failed, f"no buyer failed unexpectedly{': ' + buyers.failed[0][:300] if buyers.failed else ''}"
    )
    result.check(
        all(p["status"] == "PAID" for p in buyers.purchases) and len(buyers.purchases) > 0,
        f"{len(buyers.purchases)} purchases, all PAID",
    )
    check_stock(result, cluster, market)
    check_no_duplicates(result, cluster)
    check_emails(result, cluster, sink)
    check_money(result, cluster)
    return result


def _worker_child_talking_to(cluster: Cluster, port: int) -> psutil.Process | None:
    for worker in cluster.workers:
        for child in worker.children():
            try:
                if any(c.raddr and c.raddr.port == port for c in child.net_connections(kind="tcp")):
                    return child
            except psutil.Error:
                continue
    return None


def worker_killed_mid_email(cluster: Cluster, sink) -> Result:
    result = Result("a worker killed (SIGKILL) in the middle of sending an email")
    market = prepare_market(cluster, variants=1, units=5)
    before = len(sink.messages)
    sink.hold()
    buyers = Log()
    outcome = buy_once(cluster.apis[0].port, *market.stock[0], "killed-mid-email@reliability.example", buyers)
    result.check(outcome == "completed", f"the purchase completed ({outcome})")
    child = None
    if wait_for(lambda: sink.waiting, timeout=30, interval=0.1):
        child = _worker_child_talking_to(cluster, sink.port)
    result.check(child is not None, "a worker process was caught inside an SMTP conversation")
    if child is not None:
        result.note(f"SIGKILL to worker process {child.pid} while the SMTP server held its message")
        child.send_signal(signal.SIGKILL)
        wait_for(lambda: not psutil.pid_exists(child.pid), timeout=10, interval=0.1)
    time.sleep(0.5)
    sink.release()
    check_emails(result, cluster, sink)
    result.note(f"{len(sink.messages) - before} messages delivered after the kill")
    check_money(result, cluster)
    return result


def postgres_restart(cluster: Cluster, sink, *, down_seconds: float = 5.0) -> Result:
    result = Result("PostgreSQL restarted under load")
    market = prepare_market(cluster, variants=4, units=200)
    ports = [api.port for api in cluster.apis]
    traffic = Log()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=browse, args=(ports[i % len(ports)], market.slugs, traffic), kwargs={"seconds": 120, "stop": stop}
        )
        for i in range(2)
    ]
    threads.append(
        threading.Thread(
            target=run_buyers,
            args=(ports, market.stock),
            kwargs={"buyers": 2, "seconds": 120, "log": traffic, "stop": stop},
        )
    )
    for t in threads:
        t.start()
    time.sleep(3)
    committed = sql(cluster, "SELECT count(*) FROM orders_purchase WHERE paid_at IS NOT NULL")[0][0]
    down_at = time.monotonic()
    cluster.postgres.stop()
    result.note(f"PostgreSQL stopped (fast shutdown) with {committed} paid purchases committed")
    time.sleep(down_seconds)
    cluster.postgres.start()
    up_at = time.monotonic()
    result.note(f"PostgreSQL started again after {up_at - down_at:.1f} s")

    def recovered() -> bool:
        recent = [c for c in traffic.calls if c.started > up_at + 0.5]
        return len(recent) >= 10 and all(
            c.status == 200 and not c.graphql_codes - {"INSUFFICIENT_STOCK"} for c in recent[-10:]
        )

    came_back = wait_for(recovered, timeout=30)
    recovery = time.monotonic() - up_at
    stop.set()
    for t in threads:
        t.join(60)
    during = [c for c in traffic.calls if down_at <= c.started <= up_at]
    slow = [c for c in during if c.seconds >= 2.0]
    no_answer = [c for c in during if c.status is None]
    # acceptable: an answer from the read cache (200, no error), a refusal of the buyer's own
    # (sold out), or the retryable SERVICE_UNAVAILABLE (503); never a 500 or INTERNAL_ERROR
    bad = [
        c
        for c in during
        if c.status not in (200, 503) or c.graphql_codes - {"SERVICE_UNAVAILABLE", "INSUFFICIENT_STOCK"}
    ]
    codes = Counter((c.status, ",".join(sorted(c.graphql_codes))) for c in during)
    result.note(f"{len(during)} requests while it was down: {dict(codes)}")
    result.check(
        during and not slow and not no_answer,
        f"every request during the outage answered in under 2 s (slowest {max((c.seconds for c in during), default=0):.2f} s)",
    )
    result.check(
        not bad,
        f"each failed with a clear retryable error, never a 500 or a success it was not{': ' + repr(bad[0].body)[:200] if bad else ''}",
    )
    traces = [c for c in during if c.body and "Traceback" in repr(c.body)]
    result.check(not traces, "no stack trace reached a client")
    result.check(
        came_back, f"the API recovered by itself, without a restart ({recovery:.1f} s after PostgreSQL came back)"
    )
    after = sql(cluster, "SELECT count(*) FROM orders_purchase WHERE paid_at IS NOT NULL")[0][0]
    result.check(after >= committed, f"no committed purchase lost ({committed} before the stop, {after} now)")
    check_stock(result, cluster, market)
    check_emails(result, cluster, sink)
    check_money(result, cluster)
    return result


def redis_down(cluster: Cluster, sink, *, down_seconds: float = 30.0) -> Result:
    result = Result(f"Redis down for {down_seconds:.0f} s")
    market = prepare_market(cluster, variants=4, units=200)
    ports = [api.port for api in cluster.apis]
    traffic = Log()
    cluster.redis.stop()
    down_at = time.monotonic()
    result.note("Redis killed (broker, read cache and rate limits all on it)")
    stop = threading.Event()
    browser = threading.Thread(
        target=browse, args=(ports[0], market.slugs, traffic), kwargs={"seconds": down_seconds, "stop": stop}
    )
    browser.start()
    run_buyers(ports, market.stock, buyers=2, seconds=down_seconds, log=traffic)
    stop.set()
    browser.join(30)
    cluster.redis.start()
    result.note(f"Redis back after {time.monotonic() - down_at:.1f} s")
    browsing = [c for c in traffic.calls if c.name == "ProductBySlug"]
    ok_browsing = [c for c in browsing if c.status == 200 and not c.graphql_codes]
    result.check(
        browsing and len(ok_browsing) == len(browsing),
        f"browsing kept working: {len(ok_browsing)}/{len(browsing)} product pages answered",
    )
    result.check(
        len(traffic.purchases) > 0 and not traffic.failed,
        f"checkout kept working: {len(traffic.purchases)} purchases completed, {len(traffic.failed)} failed"
        + (f" ({traffic.failed[0][:200]})" if traffic.failed else ""),
    )
    check_emails(result, cluster, sink)
    check_stock(result, cluster, market)
    check_money(result, cluster)
    return result


# --- the payment provider ---------------------------------------------------------------------------


class HangingStripe:
    """The tests' Stripe stand-in (tests/payments/stripe_standin.py) made able to hang: while
    ``hang`` is set, each request whose path matches ``hang_path`` (every one when it is empty)
    waits until ``release`` is set (at most ``hang_seconds``), then is handled as Stripe would:
    a client that went away meanwhile has still made the call, it just never saw the answer."""

    def __init__(self):
        from tests.payments.stripe_standin import StripeStandIn

        self.hang = threading.Event()
        self.release = threading.Event()
        self.hang_path = ""
        self.hang_seconds = 60.0
        self.waiting = 0
        outer = self

        class Standin(StripeStandIn):
            def handle(self, method, raw_path, headers, body):
                if outer.hang.is_set() and outer.hang_path in raw_path:
                    outer.waiting += 1
                    outer.release.wait(outer.hang_seconds)
                    outer.waiting -= 1
                return super().handle(method, raw_path, headers, body)

        self.standin = Standin().start()

    @property
    def url(self) -> str:
        return self.standin.url

    def hold(self, path: str = "") -> None:
        self.hang_path = path
        self.release.clear()
        self.hang.set()

    def let_go(self) -> None:
        self.hang.clear()
        self.release.set()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def provider_slow(cluster: Cluster, sink, stripe: HangingStripe, *, timeout: float) -> Result:
    result = Result("a payment provider that hangs")
    market = prepare_market(cluster, variants=1, units=10)
    stock_before = sql(
        cluster, "SELECT stock_quantity FROM catalog_productvariant WHERE id = %s", [market.variants[0]]
    )[0][0]
    traffic = Log()
    stripe.hold()
    started = time.monotonic()
    outcome = buy_once(
        cluster.apis[0].port, *market.stock[0], "hanging-provider@reliability.example", traffic, gateway="stripe"
    )
    answered = time.monotonic() - started
    stripe.let_go()
    complete = [c for c in traffic.calls if c.name == "CheckoutComplete"]
    codes = complete[0].graphql_codes if complete else set()
    result.note(
        f"checkoutComplete with the Stripe stand-in hanging: {outcome}, answered in {answered:.1f} s, codes {sorted(codes)}"
    )
    result.check(
        complete and complete[0].status == 200 and complete[0].seconds < timeout + 5,
        f"checkout answered within the configured provider timeout ({complete[0].seconds if complete else -1:.1f} s, timeout {timeout:.0f} s)",
    )
    result.check(bool(codes), f"with a clear error code ({sorted(codes)})")
    purchases = sql(
        cluster,
        "SELECT p.status, (SELECT count(*) FROM payments_payment y WHERE y.purchase_id = p.id) FROM orders_purchase p "
        "WHERE p.email = 'hanging-provider@reliability.example'",
    )
    stock_now = sql(cluster, "SELECT stock_quantity FROM catalog_productvariant WHERE id = %s", [market.variants[0]])[
        0
    ][0]
    result.note(f"purchases written: {purchases}; stock {stock_before} -> {stock_now}")
    consistent = (not purchases and stock_now == stock_before) or (
        len(purchases) == 1 and purchases[0][1] == 1 and stock_now == stock_before - 1
    )
    result.check(
        consistent, "nothing half-written: no purchase and no stock taken, or one purchase with its payment recorded"
    )
    if purchases:
        # The hung request reached Stripe after all (the stand-in handles it once released): the
        # buyer pays there, and Stripe's webhook must bring the purchase to its true state.
        purchase_id = sql(
            cluster, "SELECT id FROM orders_purchase WHERE email = 'hanging-provider@reliability.example'"
        )[0][0]

        def intents() -> list[dict]:
            return [
                pi
                for pi in stripe.standin.of_kind("payment_intent")
                if pi["metadata"].get("purchase_id") == str(purchase_id)
            ]

        wait_for(intents, timeout=30)
        found = intents()
        if found:
            _deliver_succeeded(cluster, stripe, found[0]["id"])
        paid = wait_for(
            lambda: sql(cluster, "SELECT status FROM orders_purchase WHERE id = %s", [purchase_id])[0][0] == "PAID",
            timeout=60,
        )
        result.check(
            paid, f"Stripe's webhook brought the purchase to its true state (PAID; {len(found)} PaymentIntent)"
        )
    check_money(result, cluster)
    return result


def _stripe_paid(cluster: Cluster, stripe: HangingStripe, email: str) -> str:
    """The buyer pays at Stripe and Stripe tells us with a signed webhook: the PaymentIntent id."""
    pi_id = sql(
        cluster,
        "SELECT y.psp_reference FROM payments_payment y JOIN orders_purchase p ON p.id = y.purchase_id WHERE p.email = %s",
        [email],
    )[0][0]
    _deliver_succeeded(cluster, stripe, pi_id)
    return pi_id


def _deliver_succeeded(cluster: Cluster, stripe: HangingStripe, pi_id: str) -> None:
    """The PaymentIntent succeeds at Stripe; its signed ``payment_intent.succeeded`` is delivered."""
    import http.client
    import json

    import stripe as stripe_sdk

    pi, _charge = stripe.standin.succeed_payment_intent(pi_id)
    body = json.dumps(stripe.standin.event("payment_intent.succeeded", pi))
    signature = stripe_sdk.WebhookSignature.generate_signature_header(body, cluster.env["STRIPE_WEBHOOK_SECRET"])
    conn = http.client.HTTPConnection("127.0.0.1", cluster.apis[0].port, timeout=10)
    conn.request(
        "POST",
        "/webhooks/stripe/",
        body=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    status = conn.getresponse().status
    conn.close()
    if status != 200:
        raise RuntimeError(f"the webhook was answered {status}")


def worker_killed_mid_transfer(cluster: Cluster, sink, stripe: HangingStripe) -> Result:
    result = Result("a worker killed (SIGKILL) in the middle of creating a transfer")
    market = prepare_market(cluster, variants=1, units=5)
    designer_id = sql(
        cluster,
        "SELECT p.designer_id FROM catalog_productvariant v JOIN catalog_product p ON p.id = v.product_id WHERE v.id = %s",
        [market.variants[0]],
    )[0][0]
    account = stripe.standin.create_account({"type": "express"}, account=None)["id"]
    stripe.standin.enable_payouts(account)
    sql(
        cluster,
        "INSERT INTO payments_payoutaccount (designer_id, provider, account_id, payouts_enabled, details_submitted, "
        "charges_enabled, synced_event_created, created_at, updated_at) VALUES (%s, 'stripe', %s, true, true, true, 0, now(), now()) "
        "ON CONFLICT (designer_id) DO NOTHING",
        [designer_id, account],
    )
    result.note(f"designer {designer_id} has a Stripe connected account {account} with payouts enabled")
    email = "transfer-kill@reliability.example"
    outcome = buy_once(cluster.apis[0].port, *market.stock[0], email, Log(), gateway="stripe")
    result.check(outcome == "completed", f"a purchase placed with Stripe ({outcome})")
    stripe.hold("/v1/transfers")
    _stripe_paid(cluster, stripe, email)
    result.note("the PaymentIntent succeeded at Stripe and its signed webhook was delivered")
    child = None
    if wait_for(lambda: stripe.waiting > 0, timeout=60, interval=0.1):
        child = _worker_child_talking_to(cluster, stripe.port)
    result.check(child is not None, "a worker process was caught waiting on Stripe's transfer endpoint")
    if child is not None:
        child.send_signal(signal.SIGKILL)
        wait_for(lambda: not psutil.pid_exists(child.pid), timeout=10, interval=0.1)
        result.note(f"SIGKILL to worker process {child.pid} while Stripe held its transfer request")
    stripe.let_go()

    def transferred() -> bool:
        return (
            sql(
                cluster,
                "SELECT count(*) FROM payments_transfer t JOIN orders_order o ON o.id = t.order_id JOIN orders_purchase p "
                "ON p.id = o.purchase_id WHERE p.email = %s AND t.status = 'SUCCEEDED'",
                [email],
            )[0][0]
            >= 1
        )

    done = wait_for(transferred, timeout=90)
    at_stripe = [t for t in stripe.standin.of_kind("transfer") if t["destination"] == account]
    rows = sql(
        cluster,
        "SELECT t.status, t.provider_id FROM payments_transfer t JOIN orders_order o ON o.id = t.order_id "
        "JOIN orders_purchase p ON p.id = o.purchase_id WHERE p.email = %s",
        [email],
    )
    entries = sql(
        cluster,
        "SELECT count(*) FROM payments_ledgerentry e JOIN orders_order o ON o.id = e.order_id JOIN orders_purchase p "
        "ON p.id = o.purchase_id WHERE p.email = %s AND e.kind = 'TRANSFER'",
        [email],
    )[0][0]
    result.check(done, "the transfer was redelivered and completed")
    result.check(
        len(at_stripe) == 1 and len(rows) == 1 and rows[0][1] == at_stripe[0]["id"] and entries == 1,
        f"effect exactly once: {len(at_stripe)} transfer at Stripe, {len(rows)} transfer row ({rows}), {entries} TRANSFER ledger entry",
    )
    check_emails(result, cluster, sink)
    check_money(result, cluster)
    return result


class HangingPayOS:
    """The tests' payOS stand-in (tests/payments/payos_standin.py: a real HTTP server checking and
    answering with payOS's signing scheme), made able to hang as :class:`HangingStripe` does: while
    ``hang`` is set, each call whose path matches ``hang_path`` waits until ``let_go`` (at most
    ``hang_seconds``), then is handled as payOS would. Answering 5xx is the stand-in's own
    ``failures``."""

    def __init__(self):
        from tests.payments.payos_standin import PayOSStandIn

        self.hang = threading.Event()
        self.release = threading.Event()
        self.hang_path = ""
        self.hang_seconds = 60.0
        self.waiting = 0
        self.lock = threading.Lock()
        outer = self

        class Standin(PayOSStandIn):
            def handle(self, method, raw_path, headers, body):
                if outer.hang.is_set() and re.fullmatch(outer.hang_path, urlsplit(raw_path).path):
                    with outer.lock:
                        outer.waiting += 1
                    outer.release.wait(outer.hang_seconds)
                    with outer.lock:
                        outer.waiting -= 1
                return super().handle(method, raw_path, headers, body)

        self.standin = Standin().start()

    def settings(self) -> dict:
        """The environment that points the app's payOS channels (payments and payouts) at it."""
        s = self.standin
        return {
            "PAYOS_CLIENT_ID": s.client_id,
            "PAYOS_API_KEY": s.api_key,
            "PAYOS_CHECKSUM_KEY": s.checksum_key,
            "PAYOS_PAYOUT_CLIENT_ID": s.payout_client_id,
            "PAYOS_PAYOUT_API_KEY": s.payout_api_key,
            "PAYOS_PAYOUT_CHECKSUM_KEY": s.payout_checksum_key,
            "PAYOS_BASE_URL": s.url,
        }

    def hold(self, path: str) -> None:
        self.hang_path = path
        self.release.clear()
        self.hang.set()

    def let_go(self) -> None:
        self.hang.clear()
        self.release.set()

    def fail(self, method: str, path: str, status: int, times: int) -> None:
        with self.standin._lock:
            self.standin.failures.extend([(method, path, status)] * times)

    def stop_failing(self) -> None:
        with self.standin._lock:
            self.standin.failures.clear()

    def stop(self) -> None:
        self.let_go()
        self.standin.stop()


def digest_due_today() -> dict:
    """Settings that make the weekly digest due from 00:00 today, marketplace time (a real setting,
    WEEKLY_DIGEST_WEEKDAY / _HOUR, not a test hook)."""
    zone = ZoneInfo(os.environ.get("MARKETPLACE_TIME_ZONE", "Asia/Ho_Chi_Minh"))
    return {"WEEKLY_DIGEST_WEEKDAY": str(datetime.now(zone).weekday()), "WEEKLY_DIGEST_HOUR": "0"}


# --- a provider slow or failing at checkout --------------------------------------------------------


def _stock_of(cluster: Cluster, variant: int) -> int:
    return sql(cluster, "SELECT stock_quantity FROM catalog_productvariant WHERE id = %s", [variant])[0][0]


def _purchases_of(cluster: Cluster, email: str) -> list[tuple]:
    """(id, status, payments recorded, payment status, provider reference) of the buyer's purchases."""
    return sql(
        cluster,
        "SELECT p.id, p.status, count(y.id), max(y.status), max(y.psp_reference) FROM orders_purchase p "
        "LEFT JOIN payments_payment y ON y.purchase_id = p.id WHERE p.email = %s GROUP BY p.id ORDER BY p.id",
        [email],
    )


def _complete_during_fault(
    result: Result, cluster: Cluster, market: Market, *, email: str, gateway: str, fault: str, budget: float, on, off
) -> str | None:
    """Open a checkout, complete it while ``on()``'s fault lasts (``off()`` ends it), and check the
    answer (time, code) and that nothing is half-written. Returns the checkout's token."""
    traffic = Log()
    before = _stock_of(cluster, market.variants[0])
    token, _ = open_checkout(cluster.apis[0].port, *market.stock[0], email, traffic)
    if token is None:
        result.check(False, f"a checkout could be opened ({traffic.failed[:1]})")
        return None
    on()
    try:
        outcome = complete(cluster.apis[0].port, token, traffic, gateway=gateway)
    finally:
        off()
    call = [c for c in traffic.calls if c.name == "CheckoutComplete"][-1]
    codes = call.graphql_codes
    result.note(f"checkoutComplete ({gateway}) while {fault}: {outcome}, HTTP {call.status} in {call.seconds:.1f} s")
    result.check(
        call.status == 200 and call.seconds < budget,
        f"checkout answered within the provider's budget ({call.seconds:.1f} s, budget {budget:.0f} s)",
    )
    message = next(
        (e.get("message") for e in ((call.body or {}).get("data") or {}).get("checkoutComplete", {}).get("errors", [])),
        "",
    )
    result.check(
        outcome == "failed" and codes == {"PAYMENT_ERROR"},
        f"with a clear, retryable error: {sorted(codes)} {message!r}",
    )
    purchases = _purchases_of(cluster, email)
    now = _stock_of(cluster, market.variants[0])
    result.note(f"written: purchases {purchases}; stock {before} -> {now}")
    result.check(
        (not purchases and now == before) or (len(purchases) == 1 and purchases[0][2] == 1 and now == before - 1),
        "nothing half-written: no purchase and no stock taken, or one purchase with its payment recorded",
    )
    return token


def _complete_again(result: Result, cluster: Cluster, token: str, *, email: str, gateway: str) -> tuple | None:
    """The provider is back: the buyer completes the same checkout again. Returns the purchase row."""
    traffic = Log()
    outcome = complete(cluster.apis[0].port, token, traffic, gateway=gateway)
    purchases = _purchases_of(cluster, email)
    payment = (traffic.purchases[0].get("payment") or {}) if traffic.purchases else {}
    result.check(
        outcome == "completed" and len(purchases) == 1 and purchases[0][1] == "UNPAID" and purchases[0][3] == "PENDING",
        f"the provider back, the same checkout completed: one UNPAID purchase, its payment PENDING at "
        f"{gateway} ({purchases}; {'a QR code' if payment.get('qrCode') else 'a client secret' if payment.get('clientSecret') else 'no payment data'})",
    )
    return purchases[0] if len(purchases) == 1 else None


def _wait_paid(cluster: Cluster, purchase_id: int, timeout: float = 60) -> bool:
    return wait_for(
        lambda: sql(cluster, "SELECT status FROM orders_purchase WHERE id = %s", [purchase_id])[0][0] == "PAID",
        timeout=timeout,
    )


def _end_checks(result: Result, cluster: Cluster, sink, market: Market) -> None:
    check_stock(result, cluster, market)
    check_no_duplicates(result, cluster)
    check_emails(result, cluster, sink)
    check_money(result, cluster)


def stripe_5xx(cluster: Cluster, sink, stripe: HangingStripe) -> Result:
    result = Result("Stripe answering 5xx")
    market = prepare_market(cluster, variants=1, units=10)
    email = "stripe-5xx@reliability.example"
    path = r"/v1/payment_intents"
    asked = len(stripe.standin.calls)  # the calls made before this scenario

    def on():
        stripe.standin.failures.extend([("POST", path, 500)] * 3)

    def off():
        stripe.standin.failures[:] = [f for f in stripe.standin.failures if f[1] != path]

    timeout = float(cluster.env["PAYMENT_PROVIDER_TIMEOUT_SECONDS"])
    token = _complete_during_fault(
        result,
        cluster,
        market,
        email=email,
        gateway="stripe",
        fault="Stripe answers 500",
        budget=timeout + 5,
        on=on,
        off=off,
    )
    failed = [c for c in stripe.standin.calls[asked:] if c.path == "/v1/payment_intents" and c.status == 500]
    result.note(f"Stripe was asked {len(failed)} time(s), answered 500 (STRIPE_MAX_NETWORK_RETRIES=0 here)")
    if token is None:
        return result
    row = _complete_again(result, cluster, token, email=email, gateway="stripe")
    if row is not None:
        _stripe_paid(cluster, stripe, email)
        result.check(_wait_paid(cluster, row[0]), "the buyer paid: Stripe's signed webhook made the purchase PAID")
    _end_checks(result, cluster, sink, market)
    return result


def payos_hangs(cluster: Cluster, sink, payos: HangingPayOS, *, timeout: float) -> Result:
    result = Result("payOS hanging when the payment request is created")
    market = prepare_market(cluster, variants=1, units=10)
    email = "payos-hangs@reliability.example"
    standin = payos.standin
    budget = timeout + 5  # checkout makes one attempt (Gateway.initialize): no SDK retry while the buyer waits
    codes_before = set(standin.requests)
    calls_before = len(standin.calls)
    token = _complete_during_fault(
        result,
        cluster,
        market,
        email=email,
        gateway="payos",
        fault="payOS holds POST /v2/payment-requests",
        budget=budget,
        on=lambda: payos.hold(r"/v2/payment-requests"),
        off=lambda: None,
    )
    # payOS comes back: the calls it held are handled now (the app gave up on them)
    held = payos.waiting
    payos.let_go()
    wait_for(lambda: payos.waiting == 0, timeout=10, interval=0.1)
    time.sleep(0.5)
    creates = [c for c in standin.calls[calls_before:] if c.method == "POST" and c.path == "/v2/payment-requests"]
    orphans = sorted(set(standin.requests) - codes_before)
    ours = sql(
        cluster,
        "SELECT count(*) FROM orders_purchase WHERE id = ANY(%s)",
        [[c - int(cluster.env["PAYOS_ORDER_CODE_OFFSET"]) for c in orphans]],
    )[0][0]
    result.note(
        f"{held} create call(s) held (checkout makes one attempt, no SDK retry); once let go payOS answered "
        f"{[c.code for c in creates]}: {len(orphans)} payment request made for a purchase that was undone"
    )
    result.check(
        ours == 0,
        f"what payOS made for the gave-up calls names no purchase of ours ({len(orphans)} request(s), "
        "its QR code shown to nobody; a transfer into it would be refused as an unknown order code)",
    )
    if token is None:
        return result
    row = _complete_again(result, cluster, token, email=email, gateway="payos")
    if row is not None:
        purchase_id, code = row[0], int(row[4])
        # the buyer transfers the money, but payOS's webhook never arrives
        standin.webhook_mode = "drop"
        try:
            standin.pay(code)
        finally:
            standin.webhook_mode = "deliver"
        time.sleep(3)
        still = sql(cluster, "SELECT status FROM orders_purchase WHERE id = %s", [purchase_id])[0][0]
        result.note(f"the buyer paid at payOS, the webhook was dropped: the purchase is {still} 3 s later")
        # time travel: the purchase's expiry put in the past; the expiry (beat, every 2 s) asks payOS first
        gets = len(standin.calls_to("GET", rf"/v2/payment-requests/{code}"))
        sql(cluster, "UPDATE orders_purchase SET expires_at = now() - interval '1 minute' WHERE id = %s", [purchase_id])
        paid = _wait_paid(cluster, purchase_id)
        asked = len(standin.calls_to("GET", rf"/v2/payment-requests/{code}")) - gets
        cancels = len(standin.calls_to("POST", rf"/v2/payment-requests/{code}/cancel", ok=None))
        result.check(
            paid and asked >= 1 and cancels == 0,
            f"the expiry asked payOS first ({asked} GET) and made the purchase PAID, not cancelled "
            f"({cancels} cancel calls)",
        )
    _end_checks(result, cluster, sink, market)
    return result


def payos_5xx(cluster: Cluster, sink, payos: HangingPayOS, *, timeout: float) -> Result:
    result = Result("payOS answering 5xx when the payment request is created")
    market = prepare_market(cluster, variants=1, units=10)
    email = "payos-5xx@reliability.example"
    standin = payos.standin
    calls_before = len(standin.calls)
    token = _complete_during_fault(
        result,
        cluster,
        market,
        email=email,
        gateway="payos",
        fault="payOS answers 502",
        budget=timeout + 5,
        on=lambda: payos.fail("POST", r"/v2/payment-requests", 502, 1),
        off=payos.stop_failing,
    )
    creates = [c for c in standin.calls[calls_before:] if c.method == "POST" and c.path == "/v2/payment-requests"]
    result.note(f"payOS was asked {len(creates)} time(s), answered {[c.status for c in creates]}")
    result.check(len(creates) == 1, f"one attempt while the buyer waited, no SDK retry ({len(creates)} call(s))")
    if token is None:
        return result
    row = _complete_again(result, cluster, token, email=email, gateway="payos")
    if row is not None:
        purchase_id, code = row[0], int(row[4])
        delivered_before = len(standin.deliveries)
        standin.webhook_mode = "duplicate"  # payOS delivers the signed webhook twice
        try:
            standin.pay(code)
        finally:
            standin.webhook_mode = "deliver"
        statuses = [d.status for d in standin.deliveries[delivered_before:]]
        paid = _wait_paid(cluster, purchase_id)
        events = sql(cluster, "SELECT count(*), max(status) FROM payments_payosevent WHERE order_code = %s", [code])[0]
        result.check(
            paid and statuses == [200, 200] and events[0] == 1,
            f"the buyer paid: payOS's signed webhook, delivered twice (answers {statuses}), made the purchase "
            f"PAID once ({events[0]} event stored, {events[1]})",
        )
    _end_checks(result, cluster, sink, market)
    return result


# --- two beat schedulers ------------------------------------------------------------------------------

PAYEES = """
SELECT DISTINCT ON (d.id) d.id, v.id, m.id
FROM catalog_productvariant v
JOIN catalog_product p ON p.id = v.product_id
JOIN designers_designer d ON d.id = p.designer_id
JOIN LATERAL (SELECT id FROM checkout_shippingmethod s WHERE s.designer_id = d.id AND s.is_active
              AND s.currency = v.currency ORDER BY s.id LIMIT 1) m ON true
WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED' AND p.product_type = 'PHYSICAL'
  AND v.currency = 'VND' AND NOT EXISTS (SELECT 1 FROM payments_payoutaccount a WHERE a.designer_id = d.id)
ORDER BY d.id, v.id
LIMIT %s
"""

SET_BANK_ACCOUNTS = """
import json
from designers.models import Designer
from payments import ledger
from payments.bank_accounts import set_bank_account
from payments.models import BankAccount
out = {}
for pk in %r:
    designer = Designer.objects.select_related("user").get(pk=pk)
    if not BankAccount.objects.filter(designer=designer).exists():
        set_bank_account(actor=designer.user, bank_bin="970436", account_number=f"0071000{pk:06d}",
                         account_holder="Nguyen Thi Ha")
    out[pk] = ledger.payable_amount(pk, "VND")
print(json.dumps(out))
"""


def _bank_payees(result: Result, cluster: Cluster, *, count: int) -> dict[int, int]:
    """``count`` designers (not on Stripe Connect) set a Vietnamese bank account through the app's
    own service, and sell until what they are owed reaches PAYOUT_MINIMUM. Returns {designer: payable}."""
    rows = sql(cluster, PAYEES, [count])
    variants = [v for _, v, _ in rows]
    sql(
        cluster, "UPDATE catalog_productvariant SET stock_quantity = stock_quantity + 20 WHERE id = ANY(%s)", [variants]
    )
    minimum = int(cluster.env.get("PAYOUT_MINIMUM", 100000))
    owed: dict[int, int] = {}
    for _round in range(6):
        script = SET_BANK_ACCOUNTS % ([d for d, _, _ in rows],)
        printed = cluster.manage("shell", "-c", script).stdout.strip().splitlines()  # logs may come first
        owed = {int(k): v for k, v in json.loads(printed[-1]).items()}
        short = [(d, v, m) for d, v, m in rows if owed[d] < minimum]
        if not short:
            break
        for d, v, m in short:
            buy_once(
                cluster.apis[0].port,
                to_global_id("ProductVariant", v),
                to_global_id("ShippingMethod", m),
                f"payee{d}@reliability.example",
                Log(),
            )
    result.note(
        f"{len(rows)} designers set a bank account (Vietcombank) and are owed {sorted(owed.values())} VND "
        f"(PAYOUT_MINIMUM {minimum})"
    )
    return owed


def _log_count(path, text: str) -> int:
    try:
        return path.read_text(errors="replace").count(text)
    except OSError:
        return 0


def duplicate_beat(cluster: Cluster, sink, stripe, payos: HangingPayOS, *, seconds: float = 5.0) -> Result:
    result = Result("two beat schedulers started by mistake")
    market = prepare_market(cluster, variants=2, units=20)
    traffic = Log()
    outcomes = [
        buy_once(
            cluster.apis[0].port, *market.stock[i % 2], f"expiring{i}@reliability.example", traffic, gateway="stripe"
        )
        for i in range(6)
    ]
    result.check(outcomes == ["completed"] * 6, f"6 purchases placed with Stripe, left unpaid ({Counter(outcomes)})")
    payees = _bank_payees(result, cluster, count=3)
    minimum = int(cluster.env.get("PAYOUT_MINIMUM", 100000))
    result.check(
        len(payees) == 3 and all(v >= minimum for v in payees.values()),
        f"3 designers paid by bank are owed at least the minimum ({payees})",
    )
    due = digest_due_today()
    if any(cluster.env.get(k) != v for k, v in due.items()):  # the marketplace's day changed since the start
        cluster.env.update(due)
        cluster.restart_workers()
        result.note(f"the marketplace's day changed: workers restarted with {due}")
    recipients = sql(cluster, "SELECT count(*) FROM designers_designer WHERE status = 'APPROVED' AND weekly_digest")[0][
        0
    ]
    digests_before = sql(cluster, "SELECT count(*) FROM designers_weeklydigest")[0][0]
    payout_calls = len(payos.standin.calls_to("POST", r"/v1/payouts", ok=None))
    run = "{}-W{:02d}".format(*datetime.now(UTC).isocalendar()[:2])
    # time travel: the purchases' expiry is put in the past (nothing else is touched)
    sql(cluster, "UPDATE orders_purchase SET expires_at = now() - interval '1 minute' WHERE email LIKE 'expiring%%'")
    stock_before = dict(
        sql(cluster, "SELECT id, stock_quantity FROM catalog_productvariant WHERE id = ANY(%s)", [market.variants])
    )
    # the mistake: two beats, each with the schedules of the cluster plus the payout run every minute
    # and the digest check every 5 s (their own environment; the cluster's beat is stopped meanwhile)
    cluster.stop_beats(keep=0)
    env = {**cluster.env, "PAYOUT_SCHEDULE": "* * * * *", "WEEKLY_DIGEST_CHECK_SECONDS": "5"}
    began = time.monotonic()
    cluster.start_beats(2, env=env)
    beats = list(cluster.beats)
    result.note(
        f"two beat schedulers running (expiry every 2 s, payout run every minute ({run}), digest check every "
        f"5 s, the digest due today); {recipients} designers get the digest"
    )

    def expired_all() -> bool:
        return (
            sql(cluster, "SELECT count(*) FROM orders_purchase WHERE email LIKE 'expiring%%' AND status = 'CANCELLED'")[
                0
            ][0]
            == 6
        )

    def paid_out() -> bool:
        return sql(cluster, "SELECT count(*) FROM payments_bankpayout WHERE run = %s", [run])[0][0] >= len(payees)

    def digests_sent() -> bool:
        return (
            sql(cluster, "SELECT count(*) FROM designers_weeklydigest WHERE sent_at IS NOT NULL")[0][0]
            >= digests_before + recipients
        )

    expired = wait_for(expired_all, timeout=60)
    ran = wait_for(paid_out, timeout=90)
    sent = wait_for(digests_sent, timeout=60)
    time.sleep(seconds)  # both schedulers fire several more times
    fired = {
        task: [_log_count(b.log_path, f"Sending due task {task} ") for b in beats]
        for task in ("expire-unpaid-purchases", "run-payouts", "queue-weekly-digests")
    }
    cluster.stop_beats(keep=0)
    cluster.start_beats(1)  # the cluster's single beat again
    result.note(f"after {time.monotonic() - began:.0f} s the two beats had sent (each): {fired}")
    result.check(
        all(n >= 1 for counts in fired.values() for n in counts),
        "both beats sent each of these tasks (the duplicate really fired)",
    )
    events = sql(
        cluster,
        "SELECT o.id, count(e.id) FROM orders_order o JOIN orders_purchase p ON p.id = o.purchase_id "
        "LEFT JOIN orders_orderevent e ON e.order_id = o.id AND e.type = 'EXPIRED' WHERE p.email LIKE 'expiring%%' GROUP BY o.id",
    )
    stock_after = dict(
        sql(cluster, "SELECT id, stock_quantity FROM catalog_productvariant WHERE id = ANY(%s)", [market.variants])
    )
    returned = sum(stock_after.values()) - sum(stock_before.values())
    result.check(expired, "every purchase past its expiry was cancelled")
    result.check(
        bool(events) and all(n == 1 for _, n in events),
        f"each order expired exactly once (EXPIRED events: {[n for _, n in events]})",
    )
    result.check(returned == 6, f"stock came back exactly once: {returned} units for 6 one-unit purchases")

    # payouts: one per designer and week, at payOS too, and its ledger entries once
    rows = sql(
        cluster,
        "SELECT designer_id, amount, status, reference_id FROM payments_bankpayout WHERE run = %s ORDER BY designer_id",
        [run],
    )
    references = {r[3] for r in rows}
    at_payos = [p for p in payos.standin.payouts.values() if p["referenceId"] in references]
    calls = payos.standin.calls_to("POST", r"/v1/payouts", ok=None)[payout_calls:]
    entries = sql(
        cluster,
        "SELECT kind, count(*), count(DISTINCT reference) FROM payments_ledgerentry WHERE description = ANY(%s) "
        "AND kind IN ('TRANSFER', 'PAYOUT') GROUP BY kind ORDER BY kind",
        [list(references)],
    )
    per_payout = Counter((c.body or {}).get("referenceId") for c in calls)
    result.note(
        f"payOS's POST /v1/payouts per payout: {sorted(per_payout.values())}"
        + (
            " (a payout sent twice carries the same idempotency key and body: payOS answers the first again)"
            if any(n > 1 for n in per_payout.values())
            else ""
        )
    )
    result.check(
        ran
        and sorted(r[0] for r in rows) == sorted(payees)
        and all(r[1] == payees[r[0]] for r in rows)
        and len(at_payos) == len(rows),
        f"one payout per designer for {run}: {len(rows)} rows for {len(payees)} designers, amounts {[r[1] for r in rows]} "
        f"= what each was owed, {[r[2] for r in rows]}; {len(at_payos)} payouts at payOS from {len(calls)} create calls",
    )
    result.check(
        entries == [("PAYOUT", len(rows), len(rows)), ("TRANSFER", len(rows), len(rows))],
        f"the payouts' ledger entries once each: {entries}",
    )
    # digests: one per designer and week, one email each
    digest_rows = sql(
        cluster,
        "SELECT designer_id, week_start, sent_at IS NOT NULL FROM designers_weeklydigest ORDER BY designer_id",
    )
    result.check(
        sent and len(digest_rows) == digests_before + recipients and all(r[2] for r in digest_rows),
        f"one digest row per designer for the week of {digest_rows[0][1] if digest_rows else '?'}, all sent "
        f"({len(digest_rows)} rows for {recipients} designers)",
    )
    check_emails(result, cluster, sink)
    by_id = Counter(m.message_id for m in list(sink.messages) if m.message_id.startswith("<digest-"))
    result.check(
        len(by_id) == recipients and set(by_id.values()) == {1},
        f"one digest email per designer: {sum(by_id.values())} delivered for {len(by_id)} designers",
    )
    check_money(result, cluster)
    return result
