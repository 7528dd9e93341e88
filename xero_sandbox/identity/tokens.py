"""Issuing and verifying the sandbox's tokens (owned by the identity side).

INTERFACE (used by gateway.py and the payroll API; keep these signatures):

    verify_access_token(token: str) -> AccessClaims        # raises InvalidToken(detail)
    issue_token_set(*, grant, scopes, auth_event_id, nonce="") -> dict   # token endpoint body
"""

import datetime
from dataclasses import dataclass


class InvalidToken(Exception):
    """Missing, malformed, expired or revoked bearer token. ``detail`` is Xero's 401 ``Detail`` text."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class AccessClaims:
    jti: str
    grant_id: int
    user_id: int
    xero_userid: str
    client_id: str
    scopes: tuple[str, ...]
    authentication_event_id: str
    expires_at: datetime.datetime


def verify_access_token(token: str) -> AccessClaims:  # pragma: no cover - replaced by the identity work
    raise InvalidToken("AuthenticationUnsuccessful")


def issue_token_set(*, grant, scopes, auth_event_id, nonce: str = "") -> dict:  # pragma: no cover
    raise NotImplementedError
