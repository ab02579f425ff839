"""SECURITY.md names the test that proves each protection: every name it cites must exist."""
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_every_test_cited_in_security_md_exists():
    text = (ROOT / "SECURITY.md").read_text()
    cited = set(re.findall(r"\btest_[a-z0-9_]+\b", text)) - {"test_query_limits", "test_rate_limits", "test_settings",
                                                           "test_permission_matrix", "test_fuzz", "test_admin_browser",
                                                           "test_accounts", "test_account_security", "test_password_reset",
                                                           "test_api", "test_designers"}
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.MULTILINE))
    assert len(cited) > 30
    assert not sorted(cited - defined), f"SECURITY.md cites tests that do not exist: {sorted(cited - defined)}"
