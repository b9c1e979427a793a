"""Form helpers every app's pages share."""

import re
import secrets

from django import forms
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ServiceErrorsMixin:
    """Put a service's ValidationError on the form: on a field where the form has one,
    otherwise above the form."""

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            target = field if field in self.fields and field != NON_FIELD_ERRORS else None
            for item in errors:
                self.add_error(target, item)


# --- One submission per rendering of a form ----------------------------------------------

SUBMISSION_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,48}$")
# Long enough for a retry after a lost connection; a key is never offered twice.
SUBMISSION_KEY_SECONDS = 24 * 3600


def new_submission_key() -> str:
    """A fresh key for one rendering of a form: a double click sends it twice."""
    return secrets.token_urlsafe(24)


class SubmissionKeyMixin:
    """A hidden ``submission_key`` on a form whose rows have no column to keep one.

    A missing or altered key is replaced by a fresh one, so the form as shown again is
    still protected. The view claims the key with :func:`submission_claim` once the
    form is valid: the second post of a double click finds it taken and is answered with
    what the first one made, never with a second row.
    """

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not SUBMISSION_KEY_RE.match(data.get("submission_key", "")):
            data = data.copy()
            data["submission_key"] = new_submission_key()
        kwargs.setdefault("initial", {}).setdefault("submission_key", new_submission_key())
        super().__init__(data, *args, **kwargs)
        self.fields["submission_key"] = forms.CharField(required=False, widget=forms.HiddenInput)


def _claim_key(scope: str, key: str) -> str:
    return f"liaison:submission:{scope}:{key}"


def submission_claim(scope: str, key: str) -> tuple[bool, int | None]:
    """Claim a form's key for one write: ``(True, None)`` for the first post carrying
    it, ``(False, pk)`` for a repeat, with what the first one stored (``None`` while it
    is still being written).

    ``cache.add`` is atomic on the shared cache (Redis in production), so two posts
    racing each other cannot both win; with the local-memory cache of development the
    guard holds within one process.
    """
    if cache.add(_claim_key(scope, key), 0, SUBMISSION_KEY_SECONDS):
        return True, None
    return False, cache.get(_claim_key(scope, key)) or None


def submission_done(scope: str, key: str, pk: int) -> None:
    """Record what the claimed key made, for the repeats to answer with."""
    cache.set(_claim_key(scope, key), pk, SUBMISSION_KEY_SECONDS)


def submission_release(scope: str, key: str) -> None:
    """Give the key back after a refused write: the corrected form carries it again."""
    cache.delete(_claim_key(scope, key))
