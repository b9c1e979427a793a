"""Checks on free text that every app shares."""

import re

# An opening or closing tag, a comment or a doctype: what a browser would read as markup.
MARKUP_RE = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>")


def has_markup(value: str | None) -> bool:
    """Whether ``value`` holds HTML tags (free text shown on public pages is plain)."""
    return bool(MARKUP_RE.search(value or ""))
