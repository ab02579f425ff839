"""Two (or more) checkouts of the code, A/B, on a small database: ``python bench/ab_commits.py``.

What ``make bench`` would take 15 minutes and a 100,000-product database to say about a change in a
read's server cost, this says in a minute or two on a small database, and with less noise:

- ``prepare CHECKOUT...``: for each checkout (a ``git worktree`` of some commit), a database
  ``<prefix>_<sha>`` copied from a template database (``createdb -T``) and migrated by that
  checkout's own migrations. Seed the template once, with the oldest checkout's code
  (``manage.py migrate`` then ``manage.py seed_bench --designers 60 --products 1000 --orders 300
  --order-lines 750 --until 2026-12-01``): every checkout then serves the same rows, whatever its
  seeder does, and the script checks that their answers are byte-identical.
- ``run CHECKOUT...``: rounds; in each round every checkout in turn (A, B, A, B...: load from other
  processes hits them alike) starts a fresh Python process in its own tree that

  1. takes the environment that checkout's own ``bench/run.py`` gives the benchmarked server
     (``server_env``: ``DEBUG=false``, rate limits on with raised limits, the anonymous read cache
     off, ...), with Redis and the database pointed at this script's;
  2. loads ``shop.wsgi.application`` and does what that checkout's ``gunicorn.conf.py`` does after a
     worker starts (warm-up, ``gc.freeze()``, its GC thresholds);
  3. answers each operation through the WSGI application (every middleware, as gunicorn calls
     it): warm-up requests, then ``--requests`` timed ones, each timed with ``time.process_time``;
     then one more under ``cProfile`` (its total function call count is deterministic: the
     noise-free measure of the work done), with the SQL statement count from the
     ``X-Query-Count`` header. ``floor-products-*`` are the same lists answered by that
     checkout's floor (``bench/floor.py``) in the same process.

  The report gives per operation and checkout the median CPU ms (the median of the rounds'
  medians), the mean, the wall time (SQL included), the call count, the SQL count and the
  response's hash and size; ``--ratio`` adds each list's ratio to its floor, ``--verbose`` the
  garbage collections (count, CPU, objects freed) and threads; with ``--profile-dir`` each
  checkout's profile of each operation is kept (``.prof``, for ``pstats`` or ``diff``). A checkout
  given as ``PATH@DATABASE`` is run against another database (the same code on another seed).
- ``serve CHECKOUT...``: the same comparison under gunicorn, over loopback: each checkout's API and
  floor started as ``bench/run.py`` starts them (its ``gunicorn.conf.py`` and ``server_env``, one
  worker of 4 threads), one client sending the product list to each server in turn; p50 wall time,
  the ratio to that checkout's floor, and the worker's CPU per request (psutil, GC included).
- ``diff A.prof B.prof``: which functions are called more or less often (by file and name: code that
  only moved does not show).

Findings of its first use (bdb0dd6 against main, issue 15) are in docs/benchmarks.md. Run it with
the shared virtualenv; each checkout needs ``.venv`` (a symlink is enough). Redis: the
``--redis`` URL's database 12 (cache, rate limits) and 13 (broker: nothing is queued by reads).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

OPERATIONS = {
    # name: (operation file, variables; None: filled in by the child)
    "products-100": ("storefront/Products.graphql", {"first": 100}),
    "products-32": ("storefront/Products.graphql", {"first": 32}),
    "product-by-slug": ("storefront/ProductBySlug.graphql", None),
    # the same product lists from the floor (bench/floor.py: hand-written SQL, bare WSGI), in process
    "floor-products-100": ("storefront/Products.graphql", {"first": 100}),
    "floor-products-32": ("storefront/Products.graphql", {"first": 32}),
}


def _sha(checkout: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


def _database(args, checkout: Path, name: str | None = None) -> str:
    return _with_database(args.database_url, name or f"{args.prefix}_{_sha(checkout)}")


def _checkout(text: str) -> tuple[Path, str | None]:
    """``PATH`` or ``PATH@DATABASE`` (another database than the checkout's own)."""
    path, _, database = text.partition("@")
    return Path(path).resolve(), database or None


# --- prepare ----------------------------------------------------------------------------------------


def prepare(args) -> None:
    parts = urlparse(args.database_url)
    for checkout in args.checkouts:
        url = _database(args, checkout)
        name = urlparse(url).path.lstrip("/")
        base = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
        subprocess.run(["dropdb", *base, "--if-exists", name], check=True)
        subprocess.run(["createdb", *base, "-T", args.template, name], check=True)
        env = {**os.environ, "DEBUG": "true", "DATABASE_URL": url, "BENCH_APP": "true"}
        subprocess.run(
            [str(checkout / ".venv/bin/python"), "manage.py", "migrate", "--noinput", "-v0"],
            cwd=checkout,
            env=env,
            check=True,
        )
        print(f"{checkout}: {name} ready", file=sys.stderr)


# --- the child: one checkout, one process -------------------------------------------------------------


def child(args) -> None:
    checkout = Path.cwd()
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [str(checkout)] + [p for p in sys.path if p != here]
    from bench import run as bench_run  # the checkout's own harness

    os.environ["BENCH_CACHE_URL"] = _with_redis_db(args.redis, 12)
    os.environ["BENCH_CELERY_BROKER_URL"] = _with_redis_db(args.redis, 13)
    env = bench_run.server_env(args.database_url, queue="ab-commits")
    # `make bench` exports BENCH_APP=true (the bench app: always installed before it was optional).
    env.update({"ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "BENCH_APP": "true"})
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

    import cProfile
    import gc
    import pstats
    import runpy
    import time

    from bench import floor
    from shop.wsgi import application

    conf = runpy.run_path(str(checkout / "gunicorn.conf.py"))
    if conf.get("GC_FREEZE", True) and "warm_up" in conf:
        conf["warm_up"]()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*conf["GC_THRESHOLDS"])

    import threading

    gc_log: list[tuple[int, float, int]] = []  # generation, CPU ms, objects collected
    gc_started: list[float] = []

    def on_gc(phase, info):
        if phase == "start":
            gc_started[:] = [time.process_time()]
        elif gc_started:
            gc_log.append((info["generation"], (time.process_time() - gc_started[0]) * 1000, info["collected"]))

    gc.callbacks.append(on_gc)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.slug FROM catalog_product p JOIN designers_designer d ON d.id = p.designer_id"
            " WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED' ORDER BY p.id LIMIT 1"
        )
        slug = cursor.fetchone()[0]

    import orjson

    results = {}
    for op in args.ops:
        path, variables = OPERATIONS[op]
        if variables is None:
            variables = {"slug": slug}
        document = (checkout / "graphql" / "operations" / path).read_text()
        body = orjson.dumps({"query": document, "variables": variables})

        app = floor.application if op.startswith("floor-") else application

        def request(body=body, app=app):
            environ = {
                "REQUEST_METHOD": "POST",
                "SCRIPT_NAME": "",
                "PATH_INFO": "/graphql/",
                "QUERY_STRING": "",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(body)),
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "REMOTE_PORT": "40000",
                "HTTP_HOST": "127.0.0.1:8000",
                "HTTP_ACCEPT": "application/json",
                "HTTP_CONNECTION": "keep-alive",
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
            }
            answer = {}

            def start_response(status_line, header_list, exc_info=None):
                answer["status"] = status_line
                answer["headers"] = dict(header_list)

            response = app(environ, start_response)
            try:
                content = b"".join(response)
            finally:
                if hasattr(response, "close"):
                    response.close()
            return answer["status"], answer["headers"], content

        for _ in range(args.warmup):
            status, headers, content = request()
        if not status.startswith("200") or b'"errors"' in content:
            raise SystemExit(f"{op}: {status} {content[:300]!r}")
        if args.callgrind:
            # Under valgrind --tool=callgrind --instr-atstart=no: only these requests are counted.
            subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=True)
            for _ in range(args.requests):
                request()
            subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=True)
            results[op] = {"sha": hashlib.sha256(content).hexdigest()[:12]}
            continue
        unfrozen_before = len(gc.get_objects())
        gc_log.clear()
        times, walls = [], []
        for _ in range(args.requests):
            wall = time.perf_counter()
            start = time.process_time()
            request()
            times.append((time.process_time() - start) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
        profile = cProfile.Profile()
        profile.enable()
        status, headers, content = request()
        profile.disable()
        stats = pstats.Stats(profile)
        if args.profile_dir:
            Path(args.profile_dir).mkdir(parents=True, exist_ok=True)
            stats.dump_stats(str(Path(args.profile_dir) / f"{args.label}-{op}.prof"))
        results[op] = {
            "cpu_ms": times,
            "wall_ms": walls,
            "gc": {
                "frozen": gc.get_freeze_count(),
                "unfrozen_before": unfrozen_before,
                "collections": [sum(1 for g, _ms, _n in gc_log if g == gen) for gen in range(3)],
                "cpu_ms_per_request": sum(ms for _g, ms, _n in gc_log) / args.requests,
                "collected_per_request": sum(n for _g, _ms, n in gc_log) / args.requests,
            },
            "threads": sorted(t.name for t in threading.enumerate()),
            "calls": stats.total_calls,
            "sql": int(headers.get("X-Query-Count", headers.get("x-query-count", -1))),
            "sha": hashlib.sha256(content).hexdigest()[:12],
            "bytes": len(content),
        }
    print(json.dumps(results))


def _with_redis_db(url: str, db: int) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{db}"))


# --- run: the rounds --------------------------------------------------------------------------------


def run(args) -> None:
    checkouts = [(c, _sha(c) + (f"@{db}" if db else ""), db) for c, db in map(_checkout, args.checkouts)]
    collected = {
        sha: {op: {"medians": [], "calls": set(), "sql": set(), "sha": set()} for op in args.ops}
        for _c, sha, _db in checkouts
    }
    for round_ in range(args.rounds):
        order = checkouts if round_ % 2 == 0 else list(reversed(checkouts))
        for checkout, sha, db in order:
            command = [
                str(checkout / ".venv/bin/python"),
                str(Path(__file__).resolve()),
                "child",
                "--database-url",
                _database(args, checkout, db),
                "--redis",
                args.redis,
                "--requests",
                str(args.requests),
                "--warmup",
                str(args.warmup),
                "--label",
                sha,
                "--ops",
                ",".join(args.ops),
            ]
            if args.profile_dir:
                command += ["--profile-dir", args.profile_dir]
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_", "DJANGO_"))}
            out = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"{sha}: child failed\n{out.stderr[-3000:]}")
            results = json.loads(out.stdout.strip().splitlines()[-1])
            for op, r in results.items():
                c = collected[sha][op]
                c["medians"].append(statistics.median(r["cpu_ms"]))
                c["calls"].add(r["calls"])
                c["sql"].add(r["sql"])
                c["sha"].add(r["sha"])
                c.setdefault("means", []).append(statistics.fmean(r["cpu_ms"]))
                c.setdefault("walls", []).append(statistics.median(r["wall_ms"]))
                c.setdefault("gc", []).append(r["gc"])
                c["threads"] = r["threads"]
                c["bytes"] = r["bytes"]
            line = "  ".join(f"{op} {statistics.median(r['cpu_ms']):.2f} ms" for op, r in results.items())
            print(f"round {round_ + 1} {sha}: {line}", file=sys.stderr, flush=True)
    base = checkouts[0][1]
    print(
        f"\n| operation | commit | CPU ms/request (median of {args.rounds} rounds) | vs {base} | mean CPU ms"
        " | wall ms | calls | SQL | response |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for op in args.ops:
        base_ms = statistics.median(collected[base][op]["medians"])
        for _c, sha, _db in checkouts:
            c = collected[sha][op]
            ms = statistics.median(c["medians"])
            calls = "/".join(str(x) for x in sorted(c["calls"]))
            sql = "/".join(str(x) for x in sorted(c["sql"]))
            print(
                f"| {op} | {sha} | {ms:.2f} (min {min(c['medians']):.2f}) | {ms / base_ms:.3f}"
                f" | {statistics.median(c['means']):.2f} | {statistics.median(c['walls']):.2f} | {calls} | {sql} |"
                f" {'/'.join(sorted(c['sha']))} ({c['bytes']} B) |"
            )
    if args.ratio:
        print("\n| operation | commit | CPU ratio to floor | wall ratio to floor |")
        print("| --- | --- | ---: | ---: |")
        for op in args.ops:
            if f"floor-{op}" not in args.ops:
                continue
            for _c, sha, _db in checkouts:
                api, fl = collected[sha][op], collected[sha][f"floor-{op}"]
                cpu = [a / f for a, f in zip(api["medians"], fl["medians"], strict=True)]
                wall = [a / f for a, f in zip(api["walls"], fl["walls"], strict=True)]
                print(f"| {op} | {sha} | {statistics.median(cpu):.2f} | {statistics.median(wall):.2f} |")
    if args.verbose:
        for _c, sha, _db in checkouts:
            for op in args.ops:
                c = collected[sha][op]
                print(f"{sha} {op}: gc {c['gc'][-1]} threads {c['threads']}")


# --- instructions: the CPU work, counted ---------------------------------------------------------------


def instructions(args) -> None:
    """Instructions executed per request (valgrind's callgrind, counting only the requests: the
    start-up and the warm-up run uninstrumented). Deterministic to a few parts in 10,000 where CPU
    time on a shared machine moves by 10 % or more, and it sees work in C (JSON, regexes, the
    database driver, the garbage collector) that a Python profiler's call count does not."""
    import re as re_

    checkouts = [(c, _sha(c) + (f"@{db}" if db else ""), db) for c, db in map(_checkout, args.checkouts)]
    rows = {}
    for op in args.ops:
        for checkout, label, db in checkouts:
            command = [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                "--callgrind-out-file=/dev/null",
                str(checkout / ".venv/bin/python"),
                str(Path(__file__).resolve()),
                "child",
                "--callgrind",
                "--database-url",
                _database(args, checkout, db),
                "--redis",
                args.redis,
                "--requests",
                str(args.requests),
                "--warmup",
                str(args.warmup),
                "--label",
                label,
                "--ops",
                op,
            ]
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_", "DJANGO_"))}
            env["PYTHONHASHSEED"] = "0"
            out = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
            found = re_.search(r"Collected : (\d+)", out.stderr)
            if out.returncode or not found:
                raise SystemExit(f"{label} {op}: valgrind failed\n{out.stderr[-3000:]}")
            rows[op, label] = int(found.group(1)) / args.requests
            print(f"{op} {label}: {rows[op, label] / 1e6:.2f} M instructions per request", file=sys.stderr, flush=True)
    base = checkouts[0][1]
    print(f"\n| operation | commit | instructions per request ({args.requests} requests) | vs {base} |")
    print("| --- | --- | ---: | ---: |")
    for op in args.ops:
        for _c, label, _db in checkouts:
            print(f"| {op} | {label} | {rows[op, label] / 1e6:.2f} M | {rows[op, label] / rows[op, base]:.4f} |")


# --- serve: the same under gunicorn, over loopback ---------------------------------------------------

_SERVER_ENV = """
import json, os, sys
sys.path.insert(0, os.getcwd())
os.environ["BENCH_CACHE_URL"] = sys.argv[2]
os.environ["BENCH_CELERY_BROKER_URL"] = sys.argv[3]
from bench.run import server_env
env = server_env(sys.argv[1], queue="ab-commits")
env["BENCH_APP"] = "true"
print(json.dumps(env))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args) -> None:
    """Each checkout's API and floor as ``bench/run.py`` starts them (gunicorn with the checkout's
    ``gunicorn.conf.py`` and ``server_env``; one worker, 4 threads), then one client sending the
    product list to each server in turn, request by request: wall time per request (p50), and the
    worker's CPU time (psutil, over all the requests: GC included) per request."""
    import http.client
    import signal
    import time

    import psutil

    checkouts = [(c, _sha(c) + (f"@{db}" if db else ""), db) for c, db in map(_checkout, args.checkouts)]
    if args.nice:
        os.nice(args.nice)
    servers = []
    try:
        for checkout, label, db in checkouts:
            url = _database(args, checkout, db)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_", "DJANGO_"))}
            out = subprocess.run(
                [
                    str(checkout / ".venv/bin/python"),
                    "-c",
                    _SERVER_ENV,
                    url,
                    _with_redis_db(args.redis, 12),
                    _with_redis_db(args.redis, 13),
                ],
                cwd=checkout,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            env.update(json.loads(out.stdout))
            for kind, app in (("api", "shop.wsgi:application"), ("floor", "bench.floor:application")):
                port = _free_port()
                command = [
                    str(checkout / ".venv/bin/python"),
                    "-m",
                    "gunicorn",
                    app,
                    "--config",
                    "gunicorn.conf.py",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                    "--no-control-socket",
                ]
                process = subprocess.Popen(
                    command,
                    cwd=checkout,
                    env=env,
                    start_new_session=True,
                    preexec_fn=(lambda: os.nice(args.nice)) if args.nice else None,
                )
                servers.append({"label": label, "kind": kind, "port": port, "process": process})
        for server in servers:
            deadline = time.monotonic() + 60
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
                    conn.request("GET", "/health/" if server["kind"] == "api" else "/")
                    conn.getresponse().read()
                    server["conn"] = conn
                    break
                except OSError:
                    if time.monotonic() > deadline or server["process"].poll() is not None:
                        raise SystemExit(f"{server['label']} {server['kind']} did not start") from None
                    time.sleep(0.3)
            server["worker"] = psutil.Process(server["process"].pid).children()[0]
        document = (checkouts[0][0] / "graphql/operations/storefront/Products.graphql").read_text()
        for first in args.first:
            body = json.dumps({"query": document, "variables": {"first": first}, "operationName": None}).encode()
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            for server in servers:
                server["walls"], server["bodies"] = [], set()
            for i in range(args.warmup + args.requests):
                if i == args.warmup:
                    for server in servers:
                        server["cpu0"] = sum(server["worker"].cpu_times()[:2])
                order = servers if i % 2 == 0 else list(reversed(servers))
                for server in order:
                    start = time.perf_counter()
                    server["conn"].request("POST", "/graphql/", body, headers)
                    response = server["conn"].getresponse()
                    content = response.read()
                    wall = (time.perf_counter() - start) * 1000
                    if response.status != 200:
                        raise SystemExit(f"{server['label']} {server['kind']}: {response.status} {content[:300]!r}")
                    if i >= args.warmup:
                        server["walls"].append(wall)
                        server["bodies"].add(hashlib.sha256(content).hexdigest()[:12])
            print(
                f"\nproducts first: {first}, {args.requests} requests per server, interleaved"
                f" (nice {args.nice}, load average {os.getloadavg()[0]:.1f})"
            )
            print(
                "| server | commit | p50 wall ms | mean wall ms | worker CPU ms/request | ratio to floor (p50) | response |"
            )
            print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
            for server in servers:
                server["cpu"] = (sum(server["worker"].cpu_times()[:2]) - server["cpu0"]) * 1000 / args.requests
            for server in servers:
                floor = next(s for s in servers if s["label"] == server["label"] and s["kind"] == "floor")
                ratio = statistics.median(server["walls"]) / statistics.median(floor["walls"])
                print(
                    f"| {server['kind']} | {server['label']} | {statistics.median(server['walls']):.2f}"
                    f" | {statistics.fmean(server['walls']):.2f} | {server['cpu']:.2f} | {ratio:.2f}"
                    f" | {'/'.join(sorted(server['bodies']))} |"
                )
    finally:
        for server in servers:
            if server["process"].poll() is None:
                server["process"].send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server["process"].wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server["process"].pid, signal.SIGKILL)


# --- diff: where the extra calls go -----------------------------------------------------------------


def diff(args) -> None:
    import pstats

    lines = args.lines

    def calls(path):
        stats = pstats.Stats(path).stats
        out = {}
        for (filename, line, name), (_cc, nc, tt, _ct, _callers) in stats.items():
            where = f"{_short(filename)}:{line}" if lines else _short(filename)
            key = f"{where}({re.sub(r' at 0x[0-9a-f]+', '', name)})"
            out[key] = (out.get(key, (0, 0.0))[0] + nc, out.get(key, (0, 0.0))[1] + tt)
        return out

    a, b = calls(args.a), calls(args.b)
    rows = []
    for key in set(a) | set(b):
        na, nb = a.get(key, (0, 0))[0], b.get(key, (0, 0))[0]
        if na != nb:
            rows.append((nb - na, na, nb, key))
    rows.sort(key=lambda r: -abs(r[0]))
    print(f"total calls: {sum(v[0] for v in a.values())} -> {sum(v[0] for v in b.values())}")
    for delta, na, nb, key in rows[: args.top]:
        print(f"{delta:+8d} {na:8d} {nb:8d}  {key}")


def _short(filename: str) -> str:
    """A path without its checkout's directory."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    for top in ("/shop/", "/bench/", "/designers/", "/payments/"):
        if top in filename:
            return top[1:] + filename.split(top, 1)[1]
    return filename


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    default_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

    p = sub.add_parser("prepare", help="a migrated copy of the template database per checkout")
    p.add_argument("checkouts", nargs="+", type=lambda s: Path(s).resolve())
    p.add_argument("--template", required=True, help="the seeded database to copy")
    p.add_argument("--database-url", default=default_url, help="server and user (the database name is replaced)")
    p.add_argument("--prefix", default="ab")

    r = sub.add_parser("run", help="the rounds, A, B, A, B...")
    r.add_argument("checkouts", nargs="+", help="PATH or PATH@DATABASE")
    r.add_argument("--database-url", default=default_url)
    r.add_argument("--prefix", default="ab")
    r.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    r.add_argument("--rounds", type=int, default=6)
    r.add_argument("--requests", type=int, default=40)
    r.add_argument("--warmup", type=int, default=10)
    r.add_argument("--ops", type=lambda s: s.split(","), default=list(OPERATIONS))
    r.add_argument("--ratio", action="store_true", help="also each list's ratio to its floor (CPU and wall)")
    r.add_argument("--profile-dir")
    r.add_argument("--verbose", action="store_true", help="GC and thread details of each checkout's last round")

    c = sub.add_parser("child")
    c.add_argument("--database-url", required=True)
    c.add_argument("--redis", required=True)
    c.add_argument("--requests", type=int, required=True)
    c.add_argument("--warmup", type=int, required=True)
    c.add_argument("--label", required=True)
    c.add_argument("--ops", type=lambda s: s.split(","), required=True)
    c.add_argument("--profile-dir")
    c.add_argument("--callgrind", action="store_true")

    i = sub.add_parser("instructions", help="instructions per request, counted by valgrind (callgrind)")
    i.add_argument("checkouts", nargs="+", help="PATH or PATH@DATABASE")
    i.add_argument("--database-url", default=default_url)
    i.add_argument("--prefix", default="ab")
    i.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    i.add_argument("--requests", type=int, default=3)
    i.add_argument("--warmup", type=int, default=3)
    i.add_argument("--ops", type=lambda s: s.split(","), default=list(OPERATIONS))

    v = sub.add_parser("serve", help="each checkout's API and floor under gunicorn, one client, interleaved")
    v.add_argument("checkouts", nargs="+", help="PATH or PATH@DATABASE")
    v.add_argument("--database-url", default=default_url)
    v.add_argument("--prefix", default="ab")
    v.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    v.add_argument("--requests", type=int, default=300)
    v.add_argument("--warmup", type=int, default=30)
    v.add_argument("--first", type=lambda s: [int(x) for x in s.split(",")], default=[100, 32])
    v.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of the servers and the client (negative, as root: a machine shared with other work"
        " served as if it were quiet, PostgreSQL apart)",
    )

    d = sub.add_parser("diff", help="per-function call counts of two profiles")
    d.add_argument("a")
    d.add_argument("b")
    d.add_argument("--top", type=int, default=40)
    d.add_argument(
        "--lines", action="store_true", help="tell functions apart by line too (code that moved shows twice)"
    )

    args = parser.parse_args(argv)
    {
        "prepare": prepare,
        "run": run,
        "child": child,
        "instructions": instructions,
        "serve": serve,
        "diff": diff,
    }[args.command](args)


if __name__ == "__main__":
    main()
