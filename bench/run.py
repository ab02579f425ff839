"""The benchmark harness: ``python -m bench.run`` (``make bench``), ``--quick`` for CI.

1. Uses the seeded database at ``DATABASE_URL`` (``make bench-seed``), or with ``--quick`` creates
   a throw-away ``<name>_benchquick`` database beside it, migrates and seeds it small.
2. Starts the API as production runs it: gunicorn, gthread, 2 workers x 4 threads, ``DEBUG=false``,
   a generated ``SECRET_KEY``, ``ALLOWED_HOSTS`` for loopback, ``SECURE_SSL_REDIRECT=false`` (plain
   http on loopback), ``QUERY_COUNT_HEADER=true`` (SQL statements per request in a header). Beside
   it, under the same gunicorn settings, the floor (``bench/floor.py``).
3. From this process (not the servers'), warms every scenario up, then per scenario: latency with
   one client (p50/p95/p99), then throughput and latency at a concurrency that fills every worker
   thread, with keep-alive and with ``Connection: close``; SQL queries per request; response size.
   A thread samples the RSS of every gunicorn worker through the whole run.
4. Writes JSON and Markdown (``docs/benchmarks.{json,md}``; ``bench-results/quick.*`` for
   ``--quick``) naming the machine and the dataset, with the floor ratios and the targets.

Exit status 1 when a request failed or answered with errors, so CI notices a rotten harness.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import orjson
import psutil
import psycopg

from bench import client, flows, report
from bench.scenarios import SCENARIOS, Pools, Scenario, load_pools
from bench.stats import count_summary, latency_summary, percentile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


# --- configuration ------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small throw-away dataset and short runs (CI).")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, help="Clients in the saturation runs (default: workers x threads).")
    parser.add_argument(
        "--requests", type=int, help="Requests in the one-client run per scenario (default 400; quick 40)."
    )
    parser.add_argument("--seconds", type=float, help="Length of each saturation run (default 8; quick 1.5).")
    parser.add_argument("--purchases", type=int, help="Purchases in the one-buyer checkout run (default 60; quick 8).")
    parser.add_argument("--hot-stock", type=int, help="Units of each contended variant (default 40; quick 6).")
    parser.add_argument("--only", help="Comma-separated scenario names.")
    parser.add_argument(
        "--json", type=Path, help="Output JSON (default docs/benchmarks.json; quick bench-results/quick.json)."
    )
    parser.add_argument(
        "--markdown", type=Path, help="Output Markdown (default docs/benchmarks.md; quick bench-results/quick.md)."
    )
    parser.add_argument("--keep-db", action="store_true", help="--quick: keep the throw-away database.")
    parser.add_argument(
        "--gunicorn-config",
        default=str(ROOT / "gunicorn.conf.py"),
        help="Gunicorn config file for both servers ('none': gunicorn's defaults, no gc hooks).",
    )
    args = parser.parse_args(argv)
    args.concurrency = args.concurrency or args.workers * args.threads
    args.requests = args.requests or (40 if args.quick else 400)
    args.seconds = args.seconds or (1.5 if args.quick else 8.0)
    args.purchases = args.purchases or (8 if args.quick else 60)
    args.hot_stock = args.hot_stock or (6 if args.quick else 40)
    args.json = args.json or (ROOT / ("bench-results/quick.json" if args.quick else "docs/benchmarks.json"))
    args.markdown = args.markdown or (ROOT / ("bench-results/quick.md" if args.quick else "docs/benchmarks.md"))
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("bench: set DATABASE_URL to the PostgreSQL database to benchmark (seed it with `make bench-seed`).")
    return url


def with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + name))


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def create_quick_database(base_url: str) -> str:
    name = urlparse(base_url).path.lstrip("/") + "_benchquick"
    admin_url = with_database(base_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(base_url, name)
    env = {**os.environ, "DATABASE_URL": url}
    log(f"quick: migrating and seeding {name}")
    manage("migrate", "--noinput", "-v0", env=env)
    manage("seed_bench", "--quick", "--no-progress", env=env)
    return url


def drop_database(base_url: str, url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(with_database(base_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- machine and dataset ------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import gunicorn

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gunicorn": gunicorn.__version__,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


DATASET_COUNTS = {
    "designers (approved)": "SELECT count(*) FROM designers_designer WHERE status = 'APPROVED'",
    "designers": "SELECT count(*) FROM designers_designer",
    "products (on sale)": "SELECT count(*) FROM catalog_product p JOIN designers_designer d ON d.id = p.designer_id "
    "WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED'",
    "products": "SELECT count(*) FROM catalog_product",
    "variants": "SELECT count(*) FROM catalog_productvariant",
    "product media": "SELECT count(*) FROM catalog_productmedia",
    "users": "SELECT count(*) FROM accounts_user",
    "purchases": "SELECT count(*) FROM orders_purchase",
    "orders": "SELECT count(*) FROM orders_order",
    "order lines": "SELECT count(*) FROM orders_orderline",
}


def dataset(url: str) -> dict:
    info: dict = {"database": urlparse(url).path.lstrip("/")}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT version()")
        info["postgresql"] = cur.fetchone()[0].split(" on ")[0]
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        info["size"] = cur.fetchone()[0]
        info["counts"] = {}
        for label, sql in DATASET_COUNTS.items():
            cur.execute(sql)
            info["counts"][label] = cur.fetchone()[0]
        cur.execute(
            "SELECT seed, until, parameters, seconds FROM bench_dataset ORDER BY created_at DESC, id DESC LIMIT 1"
        )
        row = cur.fetchone()
        if row:
            info["seed"], until, info["parameters"], info["seed_seconds"] = row[0], row[1], row[2], row[3]
            info["until"] = until.date().isoformat()
    return info


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, app: str, env: dict, args, logs: Path):
        self.name = name
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--bind",
            f"{HOST}:{self.port}",
            "--log-level",
            "warning",
            "--no-control-socket",
        ]
        # The config names the worker class (shop/gunicorn_worker.py); without it, plain gthread.
        if args.gunicorn_config != "none":
            command[3:3] = ["--config", args.gunicorn_config]
        else:
            command[3:3] = ["--worker-class", "gthread"]
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / f"{name}.log"
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.command = command

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} server exited; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                response = asyncio.run(client.fetch(HOST, self.port, client.Request("GET", path)))
                if response.status == 200 and len(self.workers()) >= 1:
                    return
            except (OSError, client.HTTPError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not answer within {timeout:.0f} s; see {self.log_path}")

    def workers(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log_file.close()


class RssSampler(threading.Thread):
    """Peak resident memory of every worker of every server, sampled every 0.2 s."""

    def __init__(self, servers: list[Server]):
        super().__init__(daemon=True)
        self.servers = servers
        self.peaks: dict[str, dict[int, int]] = {s.name: {} for s in servers}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for server in self.servers:
                for worker in server.workers():
                    try:
                        rss = worker.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
                    peaks = self.peaks[server.name]
                    peaks[worker.pid] = max(peaks.get(worker.pid, 0), rss)
            self.stopping.wait(0.2)

    def result(self) -> dict:
        out = {}
        for name, peaks in self.peaks.items():
            mb = {str(pid): round(rss / 2**20, 1) for pid, rss in sorted(peaks.items())}
            out[name] = {
                "workers_seen": len(mb),
                "peak_rss_mb": mb,
                "max_peak_rss_mb": max(mb.values()) if mb else None,
            }
        return out


def _busy_seconds() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _cpu_seconds(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def our_cpu_seconds(servers: list[Server], url: str) -> float:
    """CPU used by this run: the harness, the gunicorn masters and workers, and the PostgreSQL
    backends connected to the benchmarked database."""
    processes = [psutil.Process()]
    for server in servers:
        try:
            processes.append(psutil.Process(server.process.pid))
        except psutil.NoSuchProcess:
            pass
        processes += server.workers()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            pids = [
                r[0]
                for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            ]
        for pid in pids:
            try:
                processes.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                pass
    except psycopg.Error:
        pass
    return _cpu_seconds(processes)


# Every rate-limit bucket raised far beyond what the harness sends (the limiter still runs, on
# Redis, as in production: its cost is measured, its refusals are not).
RATE_LIMIT_BUCKETS = (
    "ip",
    "user",
    "tokenCreate",
    "tokenRefresh",
    "accountRegister",
    "requestPasswordReset",
    "setPassword",
    "checkoutCreate",
    "checkoutComplete",
    "orderRefund",
    "designerPayoutOnboard",
)
RAISED_RATE_LIMITS = ",".join(f"{name}=1000000000/60" for name in RATE_LIMIT_BUCKETS)


def cache_url() -> str:
    return os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12")


def flush_cache() -> None:
    """The harness's own Redis database (BENCH_CACHE_URL): emptied before and after a run."""
    try:
        import redis

        redis.Redis.from_url(cache_url()).flushdb()
    except Exception as exc:
        log(f"could not empty the cache database: {exc!r}")


def server_env(url: str, *, queue: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": url,
            "QUERY_COUNT_HEADER": "true",
            "JWT_ACCESS_TTL_SECONDS": "300",  # the most the settings allow: tokens are fetched per scenario
            "LOG_LEVEL": "WARNING",
            "GRAPHIQL_ENABLED": "false",
            "EMAIL_URL": "dummymail://",
            # Tasks are queued as in production (nobody consumes this queue; it is deleted afterwards).
            "CELERY_BROKER_URL": os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "PYTHONDONTWRITEBYTECODE": "1",
            "CACHE_URL": cache_url(),
            "RATE_LIMIT_ENABLED": "true",
            "RATE_LIMITS": RAISED_RATE_LIMITS,
            "GRAPHQL_READ_CACHE": "false",
            # DEBUG is off, so the dummy gateway must be named (it never is in production).
            "PAYMENT_GATEWAYS": "payments.gateways.dummy.DummyGateway",
        }
    )
    return env


def delete_queue(env: dict) -> None:
    try:
        import redis

        redis.Redis.from_url(env["CELERY_BROKER_URL"]).delete(env["CELERY_TASK_DEFAULT_QUEUE"])
    except Exception as exc:  # the broker is optional for reads
        log(f"could not delete the task queue: {exc!r}")


# --- driving ------------------------------------------------------------------------------------


def graphql_problems(bodies: list[bytes]) -> list[str]:
    problems = []
    for body in bodies:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            problems.append(f"not JSON: {body[:200]!r}")
            continue
        if isinstance(data, dict) and data.get("errors"):
            problems.append(f"errors: {orjson.dumps(data['errors'])[:300].decode()}")
        elif isinstance(data, dict) and "data" in data and data["data"] is None:
            problems.append("data is null")
    return sorted(set(problems))[:5]


def throughput(sample: client.Sample, concurrency: int, close: bool) -> dict:
    ok = sample.statuses.get(200, 0)
    return {
        "mode": "close" if close else "keep-alive",
        "concurrency": concurrency,
        "seconds": round(sample.elapsed, 2),
        "requests": len(sample.latencies),
        "rps": round(ok / sample.elapsed, 1) if sample.elapsed else None,
        "non_200": sum(n for status, n in sample.statuses.items() if status != 200),
        "errors": len(sample.errors),
        **{k: v for k, v in latency_summary(sample.latencies).items() if k in ("p50_ms", "p95_ms", "p99_ms")},
    }


async def drive(scenario: Scenario, server: Server, pools: Pools, args) -> dict:
    make = scenario.request_factory(pools)
    warm = 5 if args.quick else 30
    await client.sequential(HOST, server.port, make, warm)
    await client.saturate(
        HOST, server.port, make, concurrency=args.concurrency, seconds=0.5 if args.quick else 1.5, close=False
    )
    # The server's CPU per request (its workers' user + system time over the one-client run: GC
    # included, SQL waits not): what other processes on the machine change least (docs/benchmarks.md).
    cpu_start = _cpu_seconds(server.workers())
    single = await client.sequential(HOST, server.port, make, args.requests, keep_bodies=True)
    cpu_ms = (_cpu_seconds(server.workers()) - cpu_start) * 1000 / len(single.latencies) if single.latencies else None
    problems = [f"HTTP {status} x{n}" for status, n in single.statuses.items() if status != 200] + single.errors[:3]
    if server.name != "floor" and scenario.path == "/graphql/":
        problems += graphql_problems(single.bodies)
    keepalive = await client.saturate(
        HOST, server.port, make, concurrency=args.concurrency, seconds=args.seconds, close=False
    )
    close = await client.saturate(
        HOST, server.port, make, concurrency=args.concurrency, seconds=args.seconds, close=True
    )
    result = {
        "name": scenario.name,
        "description": scenario.description,
        "server": server.name,
        "operation": scenario.operation,
        "example_variables": (scenario.variables or (lambda p, i: {}))(pools, 0)
        if scenario.operation or scenario.server == "floor"
        else None,
        "single": {
            **latency_summary(single.latencies),
            "rps": round(len(single.latencies) / single.elapsed, 1),
            "server_cpu_ms": round(cpu_ms, 2) if cpu_ms is not None else None,
        },
        "keepalive": throughput(keepalive, args.concurrency, False),
        "close": throughput(close, args.concurrency, True),
        "queries": count_summary(single.query_counts),
        "sql_ms_p50": round(percentile(single.query_ms, 50), 2) if single.query_ms else None,
        "response_bytes": count_summary(single.sizes),
        "cache_hits": round(single.cache_hits / len(single.latencies), 3)
        if single.latencies and server.name == "api-cached"
        else None,
        "problems": problems,
        "targets": scenario.targets,
    }
    if scenario.breakdown and not single.errors and len(single.query_counts) in (0, len(single.latencies)):
        result["breakdown"] = breakdown(single, lambda i: scenario.breakdown(pools, i))
    for mode in ("keepalive", "close"):
        if result[mode]["non_200"] or result[mode]["errors"]:
            problems.append(f"{mode}: {result[mode]['non_200']} non-200, {result[mode]['errors']} connection errors")
    return result


def breakdown(sample: client.Sample, label) -> list[dict]:
    """The one-client latencies (and SQL statements) of ``sample`` grouped by ``label(i)`` of
    request i, slowest p95 first: which search terms, say, make the tail."""
    groups: dict[str, list[int]] = {}
    for i in range(len(sample.latencies)):
        groups.setdefault(label(i), []).append(i)
    rows = []
    for name, indexes in groups.items():
        queries = [sample.query_counts[i] for i in indexes] if sample.query_counts else []
        rows.append(
            {
                "label": name,
                **latency_summary([sample.latencies[i] for i in indexes]),
                "queries": count_summary(queries),
            }
        )
    return sorted(rows, key=lambda r: -(r["p95_ms"] or 0))


# --- the checkout flow --------------------------------------------------------------------------


@dataclass
class FlowSample:
    purchases: list = field(default_factory=list)
    elapsed: float = 0.0


async def _buyers(
    port: int, pick, *, concurrency: int, seconds: float | None, attempts: int | None, close: bool, start: int
) -> FlowSample:
    """``concurrency`` buyers, each buying one line after the other, for ``seconds`` or until
    ``attempts`` purchases were tried."""
    sample = FlowSample()
    counter = iter(range(start, start + (attempts or 10_000_000)))
    deadline = time.perf_counter() + seconds if seconds else None

    async def buyer() -> None:
        conn = client.Connection(HOST, port)
        try:
            while deadline is None or time.perf_counter() < deadline:
                i = next(counter, None)
                if i is None:
                    return
                variant, method = pick(i)
                sample.purchases.append(await flows.buy(conn, variant, method, i, close=close))
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(buyer() for _ in range(concurrency)))
    sample.elapsed = time.perf_counter() - started
    return sample


def _flow_summary(sample: FlowSample, concurrency: int, close: bool | None) -> dict:
    done = [p for p in sample.purchases if p.completed]
    out = {
        "mode": None if close is None else "close" if close else "keep-alive",
        "concurrency": concurrency,
        "seconds": round(sample.elapsed, 2),
        "requests": len(sample.purchases),
        "completed": len(done),
        "refused": sum(1 for p in sample.purchases if p.refused),
        "failed": sum(1 for p in sample.purchases if p.failed),
        "rps": round(len(done) / sample.elapsed, 1) if sample.elapsed else None,
        "non_200": 0,
        "errors": sum(1 for p in sample.purchases if p.failed),
        **{k: v for k, v in latency_summary([p.seconds for p in done]).items() if k in ("p50_ms", "p95_ms", "p99_ms")},
    }
    return out


def _steps(sample: FlowSample) -> dict:
    steps = {}
    for name in flows.STEPS:
        seen = [p.steps[name] for p in sample.purchases if name in p.steps]
        if not seen:
            continue
        steps[name] = {
            **{k: v for k, v in latency_summary([s[0] for s in seen]).items() if k in ("p50_ms", "p95_ms")},
            "queries": count_summary([s[1] for s in seen if s[1] is not None]),
            "bytes": count_summary([s[2] for s in seen]),
        }
    return steps


async def drive_checkout(scenario: Scenario, server: Server, pools: Pools, args, url: str) -> dict:
    pool = pools.buyable
    flows.set_stock(url, [v[0] for v in pool], 1_000_000)  # never the reason a buyer is refused here

    def pick(i):
        return pool[i % len(pool)][1:]

    await _buyers(server.port, pick, concurrency=1, seconds=None, attempts=3, close=False, start=0)
    single = await _buyers(
        server.port, pick, concurrency=1, seconds=None, attempts=args.purchases, close=False, start=10
    )
    keepalive = await _buyers(
        server.port, pick, concurrency=args.concurrency, seconds=args.seconds, attempts=None, close=False, start=100_000
    )
    close = await _buyers(
        server.port, pick, concurrency=args.concurrency, seconds=args.seconds, attempts=None, close=True, start=200_000
    )
    everything = FlowSample(purchases=single.purchases + keepalive.purchases + close.purchases)
    problems = sorted({p.failed for p in everything.purchases if p.failed})[:5]
    refused = sum(1 for p in everything.purchases if p.refused)
    if refused:
        problems.append(f"{refused} purchases refused although stock was plentiful")
    done = [p for p in single.purchases if p.completed]
    completion = [
        p.steps["CheckoutComplete"][1]
        for p in everything.purchases
        if p.completed and p.steps["CheckoutComplete"][1] is not None
    ]
    return {
        "name": scenario.name,
        "description": scenario.description,
        "server": server.name,
        "operation": None,
        "example_variables": None,
        "flow": {"steps": _steps(everything), "purchases": len(everything.purchases)},
        "single": {
            **latency_summary([p.seconds for p in done]),
            "rps": round(len(done) / single.elapsed, 1) if single.elapsed else None,
        },
        "keepalive": _flow_summary(keepalive, args.concurrency, False),
        "close": _flow_summary(close, args.concurrency, True),
        "queries": count_summary(completion),
        "sql_ms_p50": None,
        "response_bytes": count_summary(
            [p.steps["CheckoutComplete"][2] for p in everything.purchases if "CheckoutComplete" in p.steps]
        ),
        "problems": problems,
        "targets": scenario.targets,
    }


async def drive_contended(scenario: Scenario, server: Server, pools: Pools, args, url: str) -> dict:
    hot = pools.hot
    pks = [v[0] for v in hot]
    flows.set_stock(url, pks, args.hot_stock)
    before = flows.stock_snapshot(url, pks)
    attempts = 2 * args.hot_stock * len(hot)  # twice what there is to sell

    def pick(i):
        return hot[i % len(hot)][1:]

    sample = await _buyers(
        server.port, pick, concurrency=args.concurrency, seconds=None, attempts=attempts, close=False, start=300_000
    )
    completed = sum(1 for p in sample.purchases if p.completed)
    check = flows.check_stock(url, pks, before, completed)
    problems = sorted({p.failed for p in sample.purchases if p.failed})[:5]
    if not check["ok"]:
        problems.append(f"stock check failed: {orjson.dumps(check).decode()[:500]}")
    summary = _flow_summary(sample, args.concurrency, False)
    return {
        "name": scenario.name,
        "description": scenario.description,
        "server": server.name,
        "operation": None,
        "example_variables": None,
        "flow": {"steps": _steps(sample), "purchases": len(sample.purchases), "stock_check": check},
        "single": {**latency_summary([p.seconds for p in sample.purchases if p.completed]), "rps": None},
        "keepalive": summary,
        "close": {**summary, "mode": "close", "rps": None},
        "queries": count_summary(
            [
                p.steps["CheckoutComplete"][1]
                for p in sample.purchases
                if p.completed and p.steps["CheckoutComplete"][1] is not None
            ]
        ),
        "sql_ms_p50": None,
        "response_bytes": None,
        "problems": problems,
        "targets": scenario.targets,
    }


def explain(scenario: Scenario, pools: Pools, url: str) -> dict | None:
    """The scenario's SQL with EXPLAIN (ANALYZE, BUFFERS), run in a separate process on the same data."""
    variables = (scenario.variables or (lambda p, i: {}))(pools, 0)
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "bench_explain",
        scenario.operation,
        "--variables",
        orjson.dumps(variables).decode(),
    ]
    if scenario.explain:
        command += ["--match", scenario.explain]
    if scenario.auth:
        command += ["--token", pools.tokens[scenario.auth]]
    done = subprocess.run(command, env={**os.environ, "DATABASE_URL": url}, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    return orjson.loads(done.stdout)


def get_tokens(api: Server, pools: Pools) -> None:
    """Sign in as the designer with the most orders (``seller``) and as staff (``staff``)."""
    from bench.seed import EMAIL_DOMAIN, PASSWORD

    document = (ROOT / "graphql/operations/account/TokenCreate.graphql").read_text()
    for key, email in (("seller", pools.seller_email), ("staff", f"staff@{EMAIL_DOMAIN}")):
        if not email:
            continue
        request = client.graphql_request("/graphql/", document, {"email": email, "password": PASSWORD}, "TokenCreate")
        response = asyncio.run(client.fetch(HOST, api.port, request))
        data = orjson.loads(response.body)
        token = ((data.get("data") or {}).get("tokenCreate") or {}).get("token")
        if not token:
            raise RuntimeError(f"could not sign in as {email}: {response.body[:300]!r}")
        pools.tokens[key] = token


def floor_ratios(results: list[dict]) -> list[dict]:
    """Each API scenario that has a floor (``floor_for`` on the floor, or ``floor`` on the API
    scenario): API latency ÷ floor latency, floor throughput ÷ API throughput."""
    by_name = {r["name"]: r for r in results}
    pairs = [(s.floor_for, s.name) for s in SCENARIOS if s.floor_for] + [
        (s.name, s.floor) for s in SCENARIOS if s.floor
    ]
    ratios = []
    for api_name, floor_name in pairs:
        api, floor = by_name.get(api_name), by_name.get(floor_name)
        if api is None or floor is None:
            continue

        def ratio(a, b):
            return round(a / b, 2) if a and b else None

        ratios.append(
            {
                "api": api["name"],
                "floor": floor["name"],
                "p50": ratio(api["single"]["p50_ms"], floor["single"]["p50_ms"]),
                "p95": ratio(api["single"]["p95_ms"], floor["single"]["p95_ms"]),
                "rps_keepalive": ratio(floor["keepalive"]["rps"], api["keepalive"]["rps"]),
                "rps_close": ratio(floor["close"]["rps"], api["close"]["rps"]),
                "cpu": ratio(api["single"].get("server_cpu_ms"), floor["single"].get("server_cpu_ms")),
            }
        )
    return ratios


def main(argv=None) -> int:
    args = parse_args(argv)
    base_url = database_url()
    url = create_quick_database(base_url) if args.quick else base_url
    started = time.monotonic()
    info = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "dataset": dataset(url),
    }
    if not info["dataset"]["counts"]["products"]:
        sys.exit("bench: the database has no products: seed it first (`make bench-seed`).")
    pools = load_pools(url)
    queue = f"bench-{os.getpid()}-{secrets.token_hex(4)}"
    api_env = server_env(url, queue=queue)
    cached_env = {**api_env, "GRAPHQL_READ_CACHE": "true"}
    floor_env = {**api_env, "FLOOR_DATABASE_URL": url}
    flush_cache()
    logs = ROOT / "bench-results" / "logs"
    servers: list[Server] = []
    sampler = None
    results: list[dict] = []
    skipped: list[dict] = []
    busy_start, wall_start = _busy_seconds(), time.monotonic()
    ours_start = _cpu_seconds([psutil.Process()])
    try:
        api = Server("api", "shop.wsgi:application", api_env, args, logs)
        servers.append(api)
        cached = Server("api-cached", "shop.wsgi:application", cached_env, args, logs)
        servers.append(cached)
        floor = Server("floor", "bench.floor:application", floor_env, args, logs)
        servers.append(floor)
        api.wait_ready("/health/")
        cached.wait_ready("/health/")
        floor.wait_ready("/")
        by_name = {server.name: server for server in servers}
        log(
            f"api on :{api.port}, api-cached on :{cached.port}, floor on :{floor.port}; "
            f"{args.workers} workers x {args.threads} threads each"
        )
        info["server"] = {
            "command": " ".join(Path(c).name if c == sys.executable else c for c in api.command),
            "workers": args.workers,
            "threads": args.threads,
            "config": None if args.gunicorn_config == "none" else Path(args.gunicorn_config).name,
            "settings": "DEBUG=false, SECURE_SSL_REDIRECT=false, QUERY_COUNT_HEADER=true, "
            f"CACHE_URL={cache_url()}, rate limits on (Redis) with every bucket raised to "
            "1,000,000,000 per minute; GRAPHQL_READ_CACHE=false on `api`, true on `api-cached`",
        }
        info["client"] = {
            "concurrency": args.concurrency,
            "single_requests": args.requests,
            "saturation_seconds": args.seconds,
            "kind": "asyncio HTTP/1.1, one process, same machine",
        }
        sampler = RssSampler(servers)
        sampler.start()
        only = set(args.only.split(",")) if args.only else None
        for scenario in SCENARIOS:
            if only and scenario.name not in only:
                continue
            if scenario.auth:
                get_tokens(api, pools)  # fresh: access tokens live 5 minutes
            ok, why = scenario.available(pools)
            if not ok:
                skipped.append({"name": scenario.name, "reason": why})
                log(f"skip {scenario.name}: {why}")
                continue
            if args.quick and not scenario.quick:
                continue
            server = by_name[scenario.server]
            log(f"run  {scenario.name}")
            if scenario.flow == "checkout":
                result = asyncio.run(drive_checkout(scenario, server, pools, args, url))
            elif scenario.flow == "checkout-contended":
                result = asyncio.run(drive_contended(scenario, server, pools, args, url))
            else:
                result = asyncio.run(drive(scenario, server, pools, args))
            if scenario.explain is not None and scenario.operation:
                result["explain"] = explain(scenario, pools, url)
            results.append(result)
            s = result["single"]
            log(
                f"     p50 {s['p50_ms']} ms p95 {s['p95_ms']} ms; {result['keepalive']['rps']} req/s keep-alive, "
                f"{result['close']['rps']} req/s close; queries {result['queries']}; "
                + ("PROBLEMS: " + "; ".join(result["problems"]) if result["problems"] else "ok")
            )
        # Other processes on the machine take CPU from the run: say how much.
        wall = time.monotonic() - wall_start
        ours = our_cpu_seconds(servers, url) - ours_start
        busy = _busy_seconds() - busy_start
        info["machine"]["cpu_of_others"] = {
            "cores": round(max(0.0, busy - ours) / wall, 2) if wall else None,
            "run_cores": round(ours / wall, 2) if wall else None,
            "note": "average cores busy with other processes (and with this run) while the run lasted",
        }
    finally:
        if sampler is not None:
            sampler.stopping.set()
            sampler.join(timeout=5)
        for server in servers:
            server.stop()
        delete_queue(api_env)
        flush_cache()
        if args.quick and not args.keep_db:
            drop_database(base_url, url)
    info["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    info["memory"] = sampler.result() if sampler else {}
    info["results"] = results
    info["skipped"] = skipped
    info["floor_ratios"] = floor_ratios(results)
    info["seconds"] = round(time.monotonic() - started, 1)
    report.write(info, args.json, args.markdown)
    log(
        f"wrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json} and "
        f"{args.markdown.relative_to(ROOT) if args.markdown.is_relative_to(ROOT) else args.markdown} in {info['seconds']} s"
    )
    failed = [r["name"] for r in results if r["problems"]]
    if failed:
        log("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
