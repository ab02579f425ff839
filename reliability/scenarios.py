"""The fault scenarios. Each one drives the cluster, breaks something for real, and checks what must
hold afterwards. A check is a line with its verdict and its numbers; a scenario passes when all its
checks do. See docs/operations.md for what they showed in a reference run.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psutil
import psycopg
from graphql_relay import to_global_id

from reliability.buyers import Log, browse, buy_once, run_buyers
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
    its designer), one weekly digest per digest row sent (beat queues them on Mondays)."""
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


def duplicate_beat(cluster: Cluster, sink, stripe, *, seconds: float = 10.0) -> Result:
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
    # time travel: the purchases' expiry is put in the past (nothing else is touched)
    sql(cluster, "UPDATE orders_purchase SET expires_at = now() - interval '1 minute' WHERE email LIKE 'expiring%%'")
    stock_before = dict(
        sql(cluster, "SELECT id, stock_quantity FROM catalog_productvariant WHERE id = ANY(%s)", [market.variants])
    )
    cluster.start_beats(1)
    result.note(
        f"6 unpaid purchases past their expiry; a second beat scheduler started beside the cluster's "
        f"({len(cluster.beats)} running, expiry check every 2 s)"
    )
    expired = wait_for(
        lambda: (
            sql(cluster, "SELECT count(*) FROM orders_purchase WHERE email LIKE 'expiring%%' AND status = 'CANCELLED'")[
                0
            ][0]
            == 6
        ),
        timeout=60,
    )
    time.sleep(seconds)  # both schedulers fire several more times
    cluster.stop_beats(keep=1)
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
