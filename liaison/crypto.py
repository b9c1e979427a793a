"""Constituents' personal data at rest and on screen (PIPL): encrypted columns, a keyed
index for exact lookups, and the masks every page shows.

- **Encryption.** ``EncryptedCharField`` / ``EncryptedTextField`` keep a Fernet token
  (AES-128-CBC with a random IV, authenticated by HMAC-SHA256) in a text column; the
  Python value is the plain string, so forms, serializers and templates are unchanged
  and ``max_length`` still limits the plain value. The keys come from
  ``LIAISON_FIELD_KEYS`` (comma-separated Fernet keys): the first encrypts, every one
  decrypts (``MultiFernet``). To rotate, put a new key first, run
  ``manage.py reencrypt_personal_data``, then drop the old key.
- **Lookups.** A token is random, so the same number never gives the same ciphertext
  twice and the column cannot be searched. An exact search by phone goes through a
  separate indexed column, ``PhoneIndexField``: HMAC-SHA256 of the normalised number
  under its own key, ``LIAISON_HMAC_KEY`` (a different key: whoever holds the index
  cannot decrypt, and whoever holds the tokens cannot test guesses against the index
  without the second key). The encrypted fields refuse every lookup but ``isnull`` and
  ``= ''``, so no reader filters ciphertext by mistake.
- **Development.** Without the variables both keys are derived from ``SECRET_KEY``, with
  a warning; ``check --deploy`` reports it as an error (liaison.E101–E103), since a
  production site whose ``SECRET_KEY`` changed would lose every name and number.
"""

import base64
import hashlib
import hmac
import logging
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.db.models.lookups import Exact
from django.dispatch import receiver

logger = logging.getLogger(__name__)

KEY_SETTINGS = ("LIAISON_FIELD_KEYS", "LIAISON_HMAC_KEY", "SECRET_KEY")
MIN_HMAC_KEY_LENGTH = 32


class DecryptionError(ImproperlyConfigured):
    """A stored value that none of the configured keys opens: a key is missing."""


# --- Keys ---------------------------------------------------------------------------


def _derived(purpose: str) -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"liaison.crypto.{purpose}".encode(), hashlib.sha256
    ).digest()


def _configured_field_keys() -> list[str]:
    keys = getattr(settings, "LIAISON_FIELD_KEYS", None) or []
    if isinstance(keys, str):
        keys = keys.split(",")
    return [key.strip() for key in keys if key and key.strip()]


@cache
def _fernet() -> MultiFernet:
    keys = _configured_field_keys()
    if not keys:
        logger.warning(
            "LIAISON_FIELD_KEYS is not set: personal data is encrypted with a key derived "
            "from SECRET_KEY. Fine for development; set it in production."
        )
        return MultiFernet([Fernet(base64.urlsafe_b64encode(_derived("field-key")))])
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "LIAISON_FIELD_KEYS holds a value that is not a Fernet key (32 url-safe "
            "base64-encoded bytes)."
        ) from exc


@cache
def _hmac_key() -> bytes:
    key = (getattr(settings, "LIAISON_HMAC_KEY", "") or "").strip()
    if not key:
        logger.warning(
            "LIAISON_HMAC_KEY is not set: the phone index uses a key derived from "
            "SECRET_KEY. Fine for development; set it in production."
        )
        return _derived("hmac-key")
    return key.encode()


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in KEY_SETTINGS:
        _fernet.cache_clear()
        _hmac_key.cache_clear()


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored personal value cannot be decrypted with LIAISON_FIELD_KEYS: the key "
            "it was written with is missing (or the value was written unencrypted)."
        ) from None


def is_encrypted(value: str) -> bool:
    """Whether ``value`` is a token one of the keys opens (a plain name never is)."""
    try:
        _fernet().decrypt(value.encode())
    except InvalidToken:
        return False
    return True


# --- The phone index ----------------------------------------------------------------


def normalise_phone(value: str) -> str:
    """Digits only, without a +86 / 0086 prefix: what people type varies."""
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 under LIAISON_HMAC_KEY, in hex: a stable hash of something personal
    that nobody without the key can test guesses against (a plain SHA-256 of a phone
    number falls to trying the ~10⁹ numbers there are)."""
    return hmac.new(_hmac_key(), text.encode(), hashlib.sha256).hexdigest()


def phone_index(value: str) -> str:
    """The keyed hash a phone is found by: of the normalised number, or "" when there is
    no number."""
    digits = normalise_phone(value)
    return keyed_hash(digits) if digits else ""


# --- Masks --------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """138****8000: enough to recognise a number, not to call it."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修 → 欧**: the surname tells who it is to someone who knows."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


# --- Fields -------------------------------------------------------------------------


class EmptyOnlyExact(Exact):
    """``field=''`` (or None) only: ciphertext equals nothing a reader could type."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(_refusal(self.lhs.output_field))
        return super().get_prep_lookup()


def _refusal(field) -> str:
    model = getattr(field, "model", None)
    where = f"{model.__name__}.{field.name}" if model else field.name
    return (
        f"{where} is encrypted: it cannot be filtered or searched. Find rows by their "
        "phone index (phone_index()) or read the row and compare in Python."
    )


class EncryptedMixin:
    """Stores a Fernet token in a text column; reads back the plain string."""

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return EmptyOnlyExact
        raise FieldError(_refusal(self))

    def get_transform(self, name):
        raise FieldError(_refusal(self))


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField whose value is encrypted at rest (``max_length`` limits the plain
    text; the column is ``text``, since a token is longer)."""


class EncryptedTextField(EncryptedMixin, models.TextField):
    """A TextField whose value is encrypted at rest."""


class PhoneIndexField(models.CharField):
    """The HMAC of the model's ``source`` phone field, filled on every insert and save
    (bulk_create too: the insert compiler calls ``pre_save``). ``PhoneIndexQuerySet``
    keeps it right in ``update()`` and ``bulk_update()``, and ``index_update_fields``
    in ``save(update_fields=…)``."""

    def __init__(self, *args, source: str = "phone", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        # Rows written by raw SQL (benchmarks, bulk seeds) without it get "".
        kwargs.setdefault("db_default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.source != "phone":
            kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = phone_index(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def _index_fields(model) -> list[PhoneIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, PhoneIndexField)]


def index_update_fields(model, update_fields):
    """``update_fields`` with the index of every phone field it names."""
    if update_fields is None:
        return None
    names = set(update_fields)
    names |= {f.name for f in _index_fields(model) if f.source in names}
    return names


class PhoneIndexQuerySet(models.QuerySet):
    """A queryset whose ``update`` and ``bulk_update`` refresh the phone index with the
    phone, so no bulk path leaves a stale index behind."""

    def update(self, **kwargs):
        for field in _index_fields(self.model):
            if field.source in kwargs and field.name not in kwargs:
                value = kwargs[field.source]
                if not isinstance(value, str):
                    raise FieldError(f"Set {field.source} to a string, not {value!r}.")
                kwargs[field.name] = phone_index(value)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        fields = list(fields)
        for field in _index_fields(self.model):
            if field.source in fields and field.name not in fields:
                fields.append(field.name)
                for obj in objs:
                    setattr(obj, field.attname, phone_index(getattr(obj, field.source)))
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


# --- Deploy checks ------------------------------------------------------------------


@checks.register(checks.Tags.security, deploy=True)
def check_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    keys = _configured_field_keys()
    if not keys:
        errors.append(
            checks.Error(
                "LIAISON_FIELD_KEYS is not set: constituents' names and phones would be "
                "encrypted with a key derived from SECRET_KEY, and lost if it changes.",
                hint='Set it to one or more keys from python -c "from cryptography.fernet '
                'import Fernet; print(Fernet.generate_key().decode())", newest first.',
                id="liaison.E101",
            )
        )
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                checks.Error(
                    "LIAISON_FIELD_KEYS holds a value that is not a Fernet key.",
                    id="liaison.E102",
                )
            )
            break
    hmac_key = (getattr(settings, "LIAISON_HMAC_KEY", "") or "").strip()
    if len(hmac_key) < MIN_HMAC_KEY_LENGTH:
        errors.append(
            checks.Error(
                "LIAISON_HMAC_KEY is not set or shorter than "
                f"{MIN_HMAC_KEY_LENGTH} characters: the phone index needs a key of its own.",
                hint='python -c "import secrets; print(secrets.token_urlsafe(32))"',
                id="liaison.E103",
            )
        )
    elif hmac_key in keys:
        errors.append(
            checks.Error(
                "LIAISON_HMAC_KEY must not be one of LIAISON_FIELD_KEYS.", id="liaison.E103"
            )
        )
    return errors
