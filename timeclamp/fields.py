"""EncryptedTextField: secrets are encrypted by the field, so no caller can forget.

Keys come from settings.TOKEN_ENCRYPTION_KEYS (Fernet keys): the first encrypts, every key decrypts,
so keys rotate without downtime (`manage.py rotate_token_keys` re-encrypts under the first key).
A value that no key can decrypt raises: we never hand a half-read secret to an HTTP call.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class DecryptionError(Exception):
    """Stored ciphertext could not be decrypted with any configured key."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = [k for k in settings.TOKEN_ENCRYPTION_KEYS if k]
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty: cannot store or read Xero tokens.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from exc


@receiver(setting_changed)
def _reset_keys(*, setting, **kwargs):
    if setting == "TOKEN_ENCRYPTION_KEYS":
        _fernet.cache_clear()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored secret could not be decrypted with TOKEN_ENCRYPTION_KEYS.") from exc


def rotate(token: str) -> str:
    """Re-encrypt ciphertext under the first (current) key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored secret could not be decrypted with TOKEN_ENCRYPTION_KEYS.") from exc


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees plaintext. Empty string and None are stored as is."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def value_to_string(self, obj):  # dumpdata/serialisation never sees plaintext
        return "<encrypted>"
