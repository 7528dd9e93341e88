import pytest
from cryptography.fernet import Fernet

from timeclamp.fields import DecryptionError, EncryptedTextField, decrypt, encrypt, rotate


def test_round_trip_and_ciphertext_hides_the_secret():
    token = encrypt("xero_test_tok_secret")
    assert "xero_test_tok_secret" not in token
    assert decrypt(token) == "xero_test_tok_secret"


def test_old_key_still_decrypts_and_rotate_moves_to_the_new_key(settings):
    old = settings.TOKEN_ENCRYPTION_KEYS[0]
    ciphertext = encrypt("refresh-me")
    new = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    assert decrypt(ciphertext) == "refresh-me"
    rotated = rotate(ciphertext)
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert decrypt(rotated) == "refresh-me"
    with pytest.raises(DecryptionError):
        decrypt(ciphertext)


def test_wrong_key_raises(settings):
    ciphertext = encrypt("secret")
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError):
        decrypt(ciphertext)


def test_field_encrypts_on_the_way_in_and_decrypts_on_the_way_out():
    field = EncryptedTextField()
    stored = field.get_prep_value("plain")
    assert stored != "plain"
    assert field.from_db_value(stored, None, None) == "plain"
    assert field.get_prep_value("") == ""
    assert field.from_db_value(None, None, None) is None
