"""Rich text from users (product descriptions): sanitised on input with nh3 to a small allow-list,
so that what is stored can be rendered as HTML as it is."""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li", "h3", "h4", "blockquote", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(value: str | None) -> str:
    """Keep the allow-listed tags and safe links; drop everything else (scripts and styles with
    their content, event handlers, javascript: URLs, comments)."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    ).strip()


def html_to_text(value: str | None) -> str:
    """Plain text of sanitised HTML (for the search document)."""
    if not value:
        return ""
    return " ".join(html.unescape(nh3.clean(value.replace("<", " <"), tags=set())).split())
