import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, load demo data and serve the API (plus a Celery worker when a broker is configured)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, addr, port, **options):
        # SIGTERM ends like Ctrl-C, so that the worker and the embedded PostgreSQL stop too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo")
        worker = None
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(f"Starting a Celery worker on {settings.CELERY_BROKER_URL} ...")
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "shop",
                    "worker",
                    "--beat",
                    "--loglevel",
                    "WARNING",
                    "--concurrency",
                    "2",
                ],
                env=os.environ.copy(),
            )
        else:
            self.stdout.write("No CELERY_BROKER_URL: background tasks run inline (demo mode).")
        from shop.core.ratelimit import store_is_shared

        if not store_is_shared():
            self.stdout.write(
                "No RATE_LIMIT_CACHE_URL or CACHE_URL: rate limits are counted in local memory (demo only)."
            )
        self.stdout.write(
            f"GraphQL API and GraphiQL: http://{addr}:{port}/graphql/   Admin: http://{addr}:{port}/admin/"
        )
        try:
            call_command("runserver", f"{addr}:{port}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
