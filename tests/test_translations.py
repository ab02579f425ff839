"""The Vietnamese catalog stays whole and the committed django.mo matches it, checked without any
gettext tool (a fresh machine may have none): the .po is read by tests/po.py and the .mo by Python's
own gettext module. When one of these fails, run `make messages`, translate, and commit both files."""

import ast
import gettext
import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests import po

LOCALE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"
PO_FILE, MO_FILE = LOCALE / "django.po", LOCALE / "django.mo"
SOURCE_DIRS = ("shop", "designers", "payments")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


@pytest.fixture(scope="module")
def entries():
    return po.parse(PO_FILE)


@pytest.fixture(scope="module")
def messages(entries):
    return [e for e in entries if e.msgid]


def test_settings_promise_vietnamese_by_default_and_english():
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in settings.LANGUAGES] == ["vi", "en"]
    assert LOCALE.parent.parent in [Path(p) for p in settings.LOCALE_PATHS]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_the_catalog_is_vietnamese(entries):
    meta = po.header(entries)
    assert meta["Language"] == "vi"
    assert meta["Plural-Forms"] == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in meta["Content-Type"]


def test_every_entry_is_translated_and_none_is_fuzzy(entries, messages):
    assert len(messages) > 150
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if e.fuzzy]
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in messages if not e.translated]
    assert not fuzzy, "fuzzy entries (check the translation, then remove the flag):\n" + "\n".join(fuzzy)
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)


def test_translations_keep_their_placeholders(messages):
    """``%(name)s`` in the English must be in the Vietnamese too (and nothing else), or the message
    fails to format at run time."""
    wrong = []
    for entry in messages:
        for translated in [entry.msgstr] if entry.msgid_plural is None else entry.msgstr_plural.values():
            if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(translated)):
                wrong.append(f"{entry.msgid!r} -> {translated!r}")
    assert not wrong, "\n".join(wrong)


def test_translations_are_written_in_vietnamese(messages):
    """A cheap guard against an English msgstr copied over: most translations carry Vietnamese
    letters, and none equals its source except technical names kept as they are."""

    def vietnamese(text: str) -> bool:  # a diacritic or đ
        return "đ" in text.lower() or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))

    same = [e.msgid for e in messages if e.msgstr == e.msgid]
    assert same == [], same
    without = [e.msgstr for e in messages if not vietnamese(e.msgstr)]
    assert len(without) <= len(messages) // 20, without


def test_the_committed_mo_matches_the_po(entries):
    """django.mo is committed (no gettext tools needed to run the app); it must say exactly what
    django.po says: same entries, same translations, same header."""
    assert MO_FILE.exists(), "locale/vi/LC_MESSAGES/django.mo is missing: run `make messages`"
    with MO_FILE.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)._catalog
    expected = {}
    for entry in entries:
        if entry.fuzzy and entry.msgid:
            continue  # msgfmt leaves fuzzy entries out
        if entry.msgid_plural is not None:
            for index, text in entry.msgstr_plural.items():
                expected[(entry.key, index)] = text
        elif entry.msgstr or not entry.msgid:
            expected[entry.key] = entry.msgstr
    # msgfmt leaves the extraction date out of the compiled header
    for catalog in (expected, compiled):
        catalog[""] = "".join(
            line for line in catalog.get("", "").splitlines(True) if not line.startswith("POT-Creation-Date:")
        )
    stale = sorted(str(k) for k in set(expected) ^ set(compiled))
    stale += sorted(str(k) for k in set(expected) & set(compiled) if expected[k] != compiled[k])
    assert not stale, "django.mo is stale relative to django.po (run `make messages`):\n" + "\n".join(stale[:20])


def _source_messages() -> dict[str, str]:
    """Every string literal passed to gettext in our apps -> where it is."""
    found = {}
    for directory in SOURCE_DIRS:
        for path in sorted((Path(settings.BASE_DIR) / directory).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if name not in GETTEXT_NAMES or not node.args:
                    continue
                index = 1 if name.startswith("pgettext") else 0
                if (
                    len(node.args) > index
                    and isinstance(node.args[index], ast.Constant)
                    and isinstance(node.args[index].value, str)
                ):
                    found.setdefault(node.args[index].value, f"{path.relative_to(settings.BASE_DIR)}:{node.lineno}")
    return found


def test_every_message_in_the_code_is_in_the_catalog(messages):
    """A message added to the code without `make messages` would reach Vietnamese clients in English."""
    in_catalog = {e.msgid for e in messages}
    source = _source_messages()
    assert len(source) > 150
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in source.items() if msgid not in in_catalog)
    assert not missing, "not in locale/vi/LC_MESSAGES/django.po (run `make messages` and translate):\n" + "\n".join(
        missing
    )


# Calls whose message argument reaches API clients: (name, position of the message argument).
MESSAGE_CALLS = {
    "ServiceError": 1,
    "FieldError": 1,
    "Problem": 1,
    "PermissionDenied": 0,
    "permission_denied": 0,
    "NotFound": 0,
    "GraphQLError": 0,
    "BadRequest": 0,
    "limit_error": 0,
    "_error_response": 0,
    "MoneyError": 0,
}
# Machine-facing: the payment provider's webhooks and gateway plumbing, the Django admin's login.
NOT_CLIENT_FACING = {"payments/webhooks.py", "payments/gateways", "shop/accounts/backends.py", "shop/settings.py"}


def _literal_messages():
    for directory in SOURCE_DIRS:
        for path in sorted((Path(settings.BASE_DIR) / directory).rglob("*.py")):
            relative = path.relative_to(settings.BASE_DIR).as_posix()
            if "migrations" in path.parts or any(relative.startswith(skip) for skip in NOT_CLIENT_FACING):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                position = MESSAGE_CALLS.get(name)
                if position is None:
                    continue
                args = list(node.args)
                argument = (
                    args[position]
                    if len(args) > position
                    else next((k.value for k in node.keywords if k.arg == "message"), None)
                )
                if isinstance(argument, ast.JoinedStr) or (
                    isinstance(argument, ast.Constant) and isinstance(argument.value, str) and " " in argument.value
                ):
                    yield f"{relative}:{node.lineno}: {ast.unparse(argument)[:80]}"


def test_no_client_facing_message_is_left_untranslatable():
    """Messages are passed through gettext where they are made: a plain literal or an f-string
    given to ServiceError, PermissionDenied, GraphQLError, ... would stay English for everyone."""
    found = list(_literal_messages())
    assert not found, 'wrap these in gettext (`_("...") % {...}`, not f-strings):\n' + "\n".join(found)


def test_english_is_the_source_and_vietnamese_the_default():
    with translation.override("en"):
        assert translation.gettext("Order not found.") == "Order not found."
    with translation.override("vi"):
        assert translation.gettext("Order not found.") == "Không tìm thấy đơn hàng."
    previous = translation.get_language()
    translation.deactivate()  # nothing activated (a Celery task, a shell): LANGUAGE_CODE
    try:
        assert translation.gettext("Order not found.") == "Không tìm thấy đơn hàng."
    finally:
        if previous:
            translation.activate(previous)
