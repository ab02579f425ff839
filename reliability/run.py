"""Run the fault scenarios against a real deployment on this machine (``make reliability``).

A PostgreSQL server and a Redis server of its own, two API instances (gunicorn), two Celery
workers, an SMTP server and the Stripe stand-in are started; a small market is seeded; then each
scenario breaks something for real and prints what it did and what it checked. Exit 1 if any check
failed. Everything is torn down at the end; logs stay in the printed folder when something failed.

    python -m reliability.run                 # every scenario (a few minutes)
    python -m reliability.run --only redis    # scenarios whose name contains a word
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from reliability import scenarios
from reliability.cluster import Cluster, log
from reliability.smtp import SmtpSink

PROVIDER_TIMEOUT = 5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated words: run the scenarios whose key contains one")
    parser.add_argument("--seconds", type=float, default=15, help="how long the buyers run in the load scenario")
    parser.add_argument("--redis-down", type=float, default=30, help="seconds Redis stays down")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs even when all passed")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="rethink-reliability-"))
    os.chmod(root, 0o755)
    sink = SmtpSink()
    stripe = scenarios.HangingStripe()
    started = time.monotonic()
    cluster = None
    results: list[scenarios.Result] = []
    try:
        log(f"starting PostgreSQL, Redis and the processes (logs in {root / 'logs'})")
        cluster = Cluster(
            root,
            smtp_port=sink.port,
            extra_env={
                "STRIPE_SECRET_KEY": "sk_test_reliability",
                "STRIPE_PUBLISHABLE_KEY": "pk_test_reliability",
                "STRIPE_WEBHOOK_SECRET": "whsec_reliability",
                "STRIPE_API_BASE": stripe.url,
                "STRIPE_MAX_NETWORK_RETRIES": "0",
                "PAYMENT_PROVIDER_TIMEOUT_SECONDS": str(PROVIDER_TIMEOUT),
                "PAYMENT_GATEWAYS": "payments.gateways.dummy.DummyGateway,payments.gateways.stripe.StripeGateway",
                "PAYOUT_PROVIDER": "payments.gateways.stripe.StripeGateway",
                "PURCHASE_EXPIRY_CHECK_SECONDS": "2",
                "OUTBOX_RELAY_SECONDS": "10",
            },
        )
        cluster.manage("migrate", "--noinput", "-v0")
        seed = cluster.manage(
            "seed_bench", "--designers", "8", "--products", "40", "--orders", "0", "--buyers", "10", "--no-progress"
        )
        log("seeded: " + " ".join(seed.stdout.split()[:4]))
        cluster.start_api(2)
        cluster.start_workers(2)
        cluster.start_beats(1)
        log(f"up: 2 API instances on ports {[a.port for a in cluster.apis]}, 2 workers, 1 beat")

        plan = {
            "load": lambda: scenarios.two_instances(cluster, sink, seconds=args.seconds),
            "worker-kill-email": lambda: scenarios.worker_killed_mid_email(cluster, sink),
            "worker-kill-transfer": lambda: scenarios.worker_killed_mid_transfer(cluster, sink, stripe),
            "postgres-restart": lambda: scenarios.postgres_restart(cluster, sink),
            "redis-down": lambda: scenarios.redis_down(cluster, sink, down_seconds=args.redis_down),
            "provider-hangs": lambda: scenarios.provider_slow(cluster, sink, stripe, timeout=PROVIDER_TIMEOUT),
            "duplicate-beat": lambda: scenarios.duplicate_beat(cluster, sink, stripe),
        }
        words = [w.strip() for w in (args.only or "").split(",") if w.strip()]
        for key, run in plan.items():
            if words and not any(w in key for w in words):
                continue
            log(f"== {key}")
            began = time.monotonic()
            try:
                result = run()
            except Exception as exc:  # a scenario that crashed is a failed scenario
                result = scenarios.Result(key)
                result.check(False, f"the scenario itself failed: {exc!r}")
            result.seconds = time.monotonic() - began
            results.append(result)
    finally:
        if cluster is not None:
            cluster.stop()
        sink.stop()
        stripe.standin.stop()

    failed = [r for r in results if not r.ok]
    print()
    print(
        f"Reliability scenarios: {len(results) - len(failed)} passed, {len(failed)} failed, in {time.monotonic() - started:.0f} s"
    )
    for r in results:
        print(f"- {'PASS' if r.ok else 'FAIL'} {r.name} ({r.seconds:.0f} s)")
        for what in r.did:
            print(f"    did: {what}")
        for ok, what in r.checks:
            print(f"    {'ok  ' if ok else 'FAIL'} {what}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {"name": r.name, "ok": r.ok, "seconds": round(r.seconds, 1), "did": r.did, "checks": r.checks}
                    for r in results
                ],
                indent=2,
            )
        )
    if failed or args.keep_logs:
        print(f"logs: {root / 'logs'}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
