"""One helper per job: slugs and languages (shop.core.text, shop.core.languages)."""

import pytest
from django.test import RequestFactory
from django.utils import translation
from graphql_relay import to_global_id

from shop.catalog.models import Category
from shop.core.errors import ServiceError
from shop.core.ids import MAX_PK, decode_id, parse_global_id
from shop.core.languages import request_language, supported_language
from shop.core.text import choose_slug


def _error(call) -> tuple[str, str, str]:
    with pytest.raises(ServiceError) as raised:
        call()
    (error,) = raised.value.errors
    return error.code, error.field, error.message


@pytest.mark.django_db
def test_a_slug_is_made_from_the_name_and_numbered_until_free():
    taken = Category.objects.all()
    assert choose_slug(None, "Gốm Bát Tràng", taken=taken, fallback="category") == "gom-bat-trang"
    Category.objects.create(name="Gốm Bát Tràng", slug="gom-bat-trang")
    Category.objects.create(name="Gốm Bát Tràng", slug="gom-bat-trang-2")
    assert choose_slug("", "Gốm Bát Tràng", taken=taken, fallback="category") == "gom-bat-trang-3"
    assert choose_slug(None, "!!! ???", taken=taken, fallback="category") == "category"
    # The row itself is left out of ``taken`` when it keeps or changes its own slug.
    own = Category.objects.get(slug="gom-bat-trang")
    assert choose_slug("gom-bat-trang", "x", taken=taken.exclude(pk=own.pk), fallback="category") == "gom-bat-trang"


@pytest.mark.django_db
def test_an_asked_for_slug_is_lower_cased_checked_and_unique():
    Category.objects.create(name="Áo dài", slug="ao-dai")
    taken = Category.objects.all()
    assert choose_slug("  Gom-Su ", "x", taken=taken, fallback="category") == "gom-su"
    with translation.override("en"):
        assert _error(lambda: choose_slug("Ao-Dai", "x", taken=taken, fallback="category")) == (
            "UNIQUE",
            "slug",
            "This slug is already taken.",
        )
        assert _error(lambda: choose_slug("not a slug", "x", taken=taken, fallback="category")) == (
            "INVALID",
            "slug",
            "Use lower-case letters, digits and hyphens (at most 60).",
        )
        assert _error(lambda: choose_slug("a" * 61, "x", taken=taken, fallback="category"))[0] == "INVALID"
        # Products allow 80 characters: the limit is the caller's and the message says it.
        assert choose_slug("a" * 80, "x", taken=taken, fallback="product", max_length=80) == "a" * 80
        assert _error(lambda: choose_slug("a" * 81, "x", taken=taken, fallback="product", max_length=80))[2] == (
            "Use lower-case letters, digits and hyphens (at most 80)."
        )
    with translation.override("vi"):
        assert "tối đa 80" in _error(lambda: choose_slug("-", "x", taken=taken, fallback="p", max_length=80))[2]


@pytest.mark.parametrize(
    "code, language",
    [
        ("vi", "vi"),
        ("en", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("EN", "en"),
        ("vi-VN", "vi"),
        ("fr", "vi"),
        ("", "vi"),
        (None, "vi"),
        ("english", "vi"),
    ],
)
def test_one_language_helper_answers_only_languages_we_write_in(code, language):
    assert supported_language(code) == language


def test_the_request_language_is_one_of_ours():
    request = RequestFactory().get("/")
    assert request_language(request) == "vi"  # no LocaleMiddleware ran: the default
    request.LANGUAGE_CODE = "en"
    assert request_language(request) == "en"
    request.LANGUAGE_CODE = "de"
    assert request_language(request) == "vi"


def test_one_parser_reads_global_ids_for_mutations_and_node():
    """decode_id (mutations) and parse_global_id (node, queries) accept and refuse the same IDs."""
    good = to_global_id("Product", 12)
    assert decode_id(good, "Product") == 12 and parse_global_id(good, "Product") == ("Product", 12)
    for bad in [
        to_global_id("Product", " 12"),
        to_global_id("Product", "+12"),
        to_global_id("Product", "0"),
        to_global_id("Product", str(MAX_PK + 1)),
        to_global_id("Order", 12),
        "not base64 at all",
        "A" * 201,
        "",
    ]:
        assert parse_global_id(bad, "Product") is None, bad
        with pytest.raises(ServiceError):
            decode_id(bad, "Product")
