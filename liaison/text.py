"""Checks on free text that every app shares."""

import re

# An opening or closing tag, a comment or a doctype: what a browser would read as markup.
MARKUP_RE = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>")


def has_markup(value: str | None) -> bool:
    """Whether ``value`` holds HTML tags (free text shown on public pages is plain)."""
    return bool(MARKUP_RE.search(value or ""))


def storable(value: str) -> bool:
    """Whether ``value`` can be stored as text: PostgreSQL refuses a NUL, and UTF-8
    cannot carry a lone surrogate (which JSON can: ``"\\ud800"``). Forms and serializers
    refuse both in their fields; text parsed by hand is checked with this."""
    return "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)
