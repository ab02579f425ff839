"""shop/gunicorn_worker.py: a gthread worker accepts a new connection only while a thread is free,
so keep-alive clients that connect together are spread over the workers."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from shop.gunicorn_worker import BalancedThreadWorker

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn():
    """gunicorn.conf.py's worker class, 2 workers x 1 thread, serving tests/bench/slow_app.py."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tests.bench.slow_app:application",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            "2",
            "--threads",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "GC_FREEZE": "false", "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    pids: set[str] = set()
    while time.monotonic() < deadline and len(pids) < 1:
        try:
            pids.add(_get(port))
        except OSError:
            time.sleep(0.1)
    assert pids, process.stderr.read1().decode() if process.poll() is not None else "gunicorn did not start"
    time.sleep(1.0)  # both workers booted
    yield port
    process.terminate()
    process.wait(timeout=30)


def _get(port: int, pause: float = 0.0, conn: http.client.HTTPConnection | None = None) -> str:
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/?{pause}")
    return conn.getresponse().read().decode()


def test_keep_alive_clients_that_arrive_together_go_to_different_workers(gunicorn):
    # Four rounds of two keep-alive clients connecting at once, each holding its worker's only
    # thread for 0.3 s. A worker with no free thread leaves the second connection to the other.
    for _round in range(4):
        conns = [http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=10) for _ in range(2)]
        pids: list[str] = [""] * 2

        def first_request(i: int, pids=pids, conns=conns) -> None:
            pids[i] = _get(gunicorn, 0.3, conns[i])

        threads = [threading.Thread(target=first_request, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert pids[0] and pids[1] and pids[0] != pids[1], pids
        # ... and each connection stays with its worker (keep-alive).
        assert [_get(gunicorn, 0, conns[i]) for i in range(2)] == pids
        for conn in conns:
            conn.close()


def test_a_worker_stops_accepting_while_every_thread_is_busy():
    worker = BalancedThreadWorker.__new__(BalancedThreadWorker)
    worker.cfg = SimpleNamespace(threads=2)
    worker.busy, worker.nr_conns = 0, 5
    worker.worker_connections = 1000
    assert worker.nr_conns < worker.worker_connections  # idle: accepts
    worker.busy = 1
    assert worker.nr_conns < worker.worker_connections  # one thread free: accepts
    worker.busy = 2
    assert not worker.nr_conns < worker.worker_connections  # all busy: leaves it to the others
    worker.busy, worker.nr_conns = 0, 1000
    assert not worker.nr_conns < worker.worker_connections  # the configured cap still holds
