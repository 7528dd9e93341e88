"""The RSA key(s) that sign the sandbox's access and id tokens, and their JWKS.

A key is created on first use. Every stored key is published (so tokens signed before a rotation
keep verifying); the newest one signs.
"""

import uuid

from joserfc.jwk import KeySet, RSAKey

from xero_sandbox.models import SigningKey

ALGORITHM = "RS256"


# Parsed keys by (kid, PEM): importing a PEM costs as much as generating a key.
_CACHE: dict[tuple[str, str], RSAKey] = {}
_CACHE_SIZE = 32


def _parameters(kid: str) -> dict:
    return {"kid": kid, "use": "sig", "alg": ALGORITHM}


def _remember(kid: str, pem: str, key: RSAKey) -> RSAKey:
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[(kid, pem)] = key
    return key


def _key(row: SigningKey) -> RSAKey:
    cached = _CACHE.get((row.kid, row.private_pem))
    if cached is not None:
        return cached
    return _remember(
        row.kid, row.private_pem, RSAKey.import_key(row.private_pem, parameters=_parameters(row.kid))
    )


def create_signing_key() -> SigningKey:
    # Xero's kids are upper-case hex thumbprints; a random one is just as opaque.
    kid = uuid.uuid4().hex.upper()
    key = RSAKey.generate_key(2048, parameters=_parameters(kid), private=True)
    row = SigningKey.objects.create(kid=kid, private_pem=key.as_pem(private=True).decode())
    _remember(kid, row.private_pem, key)
    return row


def current_signing_key() -> tuple[str, RSAKey]:
    row = SigningKey.objects.order_by("-created_at", "-id").first()
    if row is None:
        row = create_signing_key()
    return row.kid, _key(row)


def key_for_kid(kid: str) -> RSAKey | None:
    row = SigningKey.objects.filter(kid=kid).first()
    return _key(row) if row else None


def public_jwks() -> dict:
    if not SigningKey.objects.exists():
        create_signing_key()
    keys = [_key(row) for row in SigningKey.objects.order_by("created_at", "id")]
    return KeySet(keys).as_dict(private=False)
