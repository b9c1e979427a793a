"""Hostile input: a catalogue of bad values, and which of them each kind of field gets.

The form and API tests (``test_input_forms.py``, ``test_input_api.py``) take the fields
from the forms and serializers themselves and try every value that fits the field's
kind, so a field added later is tried too. Each value says what must become of it:

- ``REFUSED``: never valid here (a NUL byte, a megabyte, text just over the limit, a
  list where text belongs): a clear error naming the field, and nothing stored;
- ``REFUSED_IF_REQUIRED``: empty or blank, refused where the field is required;
- ``TEXT``: something a person could type (markup, SQL, a formula, control or
  direction characters). A free-text field may refuse it (opinions are plain text and
  say so) or keep it, and then it is stored exactly as typed and shown escaped.

Markup and SQL are never valid in a field that is not free text (a code, a choice, a
date, a number, an id): there every value of the catalogue is ``REFUSED``.
"""

from dataclasses import dataclass
from typing import Any

from liaison.forms import SUBMISSION_KEY_RE  # noqa: F401  (the forms' one-time keys)

REFUSED = "refused"
REFUSED_IF_REQUIRED = "refused if required"
TEXT = "text"

SCRIPT = "<script>alert(1)</script>"
IMG_ONERROR = '"><img src=x onerror=alert(1)>'
SVG_ONLOAD = "<svg/onload=alert(1)>"
JS_URL = "javascript:alert(document.cookie)"
SQL_DROP = "'; DROP TABLE suggestions_case; --"
SQL_OR = "1 OR 1=1"
SQL_QUOTE = "' OR '1'='1' --"
FORMULA = '=HYPERLINK("http://evil.example/","点此查看")'
TEMPLATE = "{{ request.user.password }}{% debug %}"
CONTROL = "路面\x07坏了\x1b[31m"
RTL_OVERRIDE = "村口\u202egpj.exe"
NUL = "路面\x00坏了"
MEGABYTE = "a" * (1024 * 1024)

# The strings a browser must never receive unescaped, and how they look escaped.
MARKUP = (SCRIPT, IMG_ONERROR, SVG_ONLOAD)


@dataclass(frozen=True)
class Bad:
    id: str
    value: Any
    outcome: str

    def __str__(self) -> str:
        return self.id


def over(limit: int) -> Bad:
    """Text one character over ``limit`` (a Chinese character: counted as one)."""
    return Bad(f"over-{limit}", "字" * (limit + 1), REFUSED)


EMPTY = [
    Bad("empty", "", REFUSED_IF_REQUIRED),
    Bad("spaces", "   ", REFUSED_IF_REQUIRED),
    Bad("blank-lines", "\r\n\t\u3000\r\n", REFUSED_IF_REQUIRED),
]
OVERSIZED = [Bad("megabyte", MEGABYTE, REFUSED)]
MALFORMED_TEXT = [
    Bad("nul", NUL, REFUSED),
    Bad("control", CONTROL, TEXT),
    Bad("rtl-override", RTL_OVERRIDE, TEXT),
]
SCRIPT_TEXT = [
    Bad("script", SCRIPT, TEXT),
    Bad("img-onerror", IMG_ONERROR, TEXT),
    Bad("svg-onload", SVG_ONLOAD, TEXT),
    Bad("javascript-url", JS_URL, TEXT),
    Bad("template", TEMPLATE, TEXT),
    Bad("formula", FORMULA, TEXT),
]
SQL_TEXT = [
    Bad("sql-drop", SQL_DROP, TEXT),
    Bad("sql-or", SQL_OR, TEXT),
    Bad("sql-quote", SQL_QUOTE, TEXT),
]

# Values that no code, choice, id, date or number accepts.
NOT_A_CHOICE = [
    Bad("unknown", "no-such-choice", REFUSED),
    Bad("nul", "1\x00", REFUSED),
    Bad("script", SCRIPT, REFUSED),
    Bad("sql-or", SQL_OR, REFUSED),
    Bad("huge-id", "9" * 30, REFUSED),
]
NOT_A_DATE = [
    Bad("feb-30", "2025-02-30", REFUSED),
    Bad("year-0", "0000-01-01", REFUSED),
    Bad("year-99999", "99999-01-01", REFUSED),
    Bad("words", "yesterday", REFUSED),
    Bad("nul", "2025-01-01\x00", REFUSED),
    Bad("sql-or", SQL_OR, REFUSED),
]
NOT_A_NUMBER = [
    Bad("words", "twelve", REFUSED),
    Bad("nan", "NaN", REFUSED),
    Bad("infinity", "-Infinity", REFUSED),
    Bad("huge", "9" * 40, REFUSED),
    Bad("nul", "1\x00", REFUSED),
]

TEXT_VALUES = EMPTY + OVERSIZED + MALFORMED_TEXT + SCRIPT_TEXT + SQL_TEXT

# --- JSON only: values no form can send ---------------------------------------------------

WRONG_TYPES = [
    Bad("list", ["路面坏了"], REFUSED),
    Bad("object", {"text": "路面坏了"}, REFUSED),
    # DRF reads a number sent for text as its digits ("12345"): text, harmless.
    Bad("number", 12345, TEXT),
    Bad("boolean", True, REFUSED),
]
NULL = Bad("null", None, REFUSED_IF_REQUIRED)
LONE_SURROGATE = Bad("lone-surrogate", "路面\ud800坏了", REFUSED)
WRONG_TYPES_FOR_ID = [
    Bad("string", "abc", REFUSED),
    Bad("float", 1.5, REFUSED),
    Bad("list", [1], REFUSED),
    Bad("object", {"id": 1}, REFUSED),
    Bad("huge", 10**30, REFUSED),
    Bad("negative", -1, REFUSED),
    Bad("boolean", True, REFUSED),
    Bad("sql-or", SQL_OR, REFUSED),
]
NOT_A_LIST = [
    Bad("string", "D000001", REFUSED),
    Bad("object", {"0": "D000001"}, REFUSED),
    Bad("list-of-nul", ["D\x00"], REFUSED),
    Bad("list-of-lists", [["D000001"]], REFUSED),
    Bad("list-of-script", [SCRIPT], REFUSED),
    Bad("thousand-items", [str(n) for n in range(1000)], REFUSED),
]

# Raw bodies a JSON parser must refuse with a 400, never a 500.
RAW_BODIES = {
    "invalid-utf8": b'{"title": "\xff\xfe\xfd"}',
    "lone-surrogate-escape": b'{"title": "\\ud800"}',
    "nul-escape-in-key": b'{"ti\\u0000tle": "x"}',
    "truncated": b'{"title": "',
    "nested-deep": b"[" * 5000,
    "not-an-object": b'"just a string"',
    "utf16": '{"title": "路"}'.encode("utf-16"),
    "nan": b'{"title": NaN}',
}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def escaped(value: str) -> str:
    """How Django's autoescape writes ``value`` into a page."""
    from django.utils.html import escape

    return str(escape(value))
