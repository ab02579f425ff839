"""gunicorn.conf.py: production settings, and the worker's garbage-collector set-up after start-up."""

from __future__ import annotations

import gc
import importlib.util
import logging
from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture
def conf(monkeypatch):
    def load(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        spec = importlib.util.spec_from_file_location(
            "gunicorn_conf_under_test", Path(settings.BASE_DIR) / "gunicorn.conf.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    thresholds = gc.get_threshold()
    yield load
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class FakeWorker:
    log = logging.getLogger("gunicorn.error")


def test_production_defaults(conf):
    module = conf()
    assert (
        module.worker_class == "shop.gunicorn_worker.BalancedThreadWorker"
        and module.workers == 2
        and module.threads == 4
    )
    assert module.control_socket_disable is True and module.max_requests == 0


def test_environment_overrides(conf):
    module = conf(WEB_CONCURRENCY="3", GUNICORN_THREADS="8", GUNICORN_MAX_REQUESTS="5000", GC_THRESHOLDS="1000,20,30")
    assert (module.workers, module.threads, module.max_requests, module.max_requests_jitter) == (3, 8, 5000, 500)
    assert module.GC_THRESHOLDS == (1000, 20, 30)


def test_worker_start_freezes_what_start_up_built_and_raises_thresholds(conf, db):
    module = conf(GC_THRESHOLDS="40000,30,60")
    gc.unfreeze()
    module.post_worker_init(FakeWorker())
    assert gc.get_freeze_count() > 10_000  # modules, the schema, the URL resolver
    assert gc.get_threshold() == (40000, 30, 60)


def test_freeze_can_be_turned_off(conf):
    module = conf(GC_FREEZE="false")
    gc.unfreeze()
    before = gc.get_threshold()
    module.post_worker_init(FakeWorker())
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
