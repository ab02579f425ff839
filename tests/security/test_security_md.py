"""SECURITY.md names the test that proves each protection: every name it cites must exist, as a test
function or as a test module (``tests/**/test_*.py``)."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_every_test_cited_in_security_md_exists():
    text = (ROOT / "SECURITY.md").read_text()
    cited = set(re.findall(r"\btest_[a-z0-9_]+\b", text))
    functions, modules = set(), set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        modules.add(path.stem)
        functions |= set(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.MULTILINE))
    assert len(cited - modules) > 30
    assert not sorted(cited - functions - modules), (
        f"SECURITY.md cites tests that do not exist: {sorted(cited - functions - modules)}"
    )
    # every cited path names a file that exists
    paths = set(re.findall(r"`((?:tests|shop|designers|payments)/[\w/]+\.py)", text))
    assert paths and not sorted(p for p in paths if not (ROOT / p).exists()), sorted(
        p for p in paths if not (ROOT / p).exists()
    )
