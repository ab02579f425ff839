"""`make audit`: start the API as production runs it (gunicorn, DEBUG off) on a free local port,
run the GraphQL-over-HTTP audit (graphql-http's auditServer, pinned in package.json) against it,
stop the server. Exits non-zero on any MUST or SHOULD failure (audit.mjs) or if the server does not
come up. Uses DATABASE_URL like the rest (the audit's requests touch no table)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "2",
            "LOG_LEVEL": "WARNING",
            "GRAPHQL_READ_CACHE": "false",
            # The audit's documents ask `__type(name:)`: introspection must answer them.
            "GRAPHQL_INTROSPECTION": "true",
        }
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shop.wsgi", "-c", "gunicorn.conf.py", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL if os.environ.get("AUDIT_QUIET", "1") == "1" else None,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                print("the server exited before it answered", file=sys.stderr)
                return 1
            try:
                urllib.request.urlopen(url + "?query=%7B__typename%7D", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    print("the server did not answer within 60 s", file=sys.stderr)
                    return 1
                time.sleep(0.3)
        return subprocess.run(["node", str(HERE / "audit.mjs"), url], cwd=HERE).returncode
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
