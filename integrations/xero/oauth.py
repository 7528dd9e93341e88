"""XeroOAuth: the authorization-code flow, refresh, revocation and connections, on Authlib.

Separate from XeroClient: different hosts, no tenant header. Authlib's requests OAuth2Session does
the protocol work (PKCE S256, client_secret_basic, token parsing); this module adds Xero's specifics
(authEventId from the access token, connections, typed errors). No Django, no settings.
"""

import base64
import datetime
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from . import http
from .errors import XeroBadResponse, XeroError, XeroInvalidGrant, XeroUnavailable
from .types import TokenSet, XeroTenant


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    url: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class XeroOAuthConfig:
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scopes: tuple[str, ...]
    login_url: str  # https://login.xero.com
    identity_url: str  # https://identity.xero.com
    api_url: str  # https://api.xero.com
    timeout: float = 20.0


def _jwt_claims(token: str) -> dict:
    """Read a JWT's claims without verifying it: it came straight from Xero's token endpoint over TLS
    (OIDC core 3.1.3.7 allows TLS server validation in place of a signature check for this case)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


class XeroOAuth:
    def __init__(
        self, config: XeroOAuthConfig, *, session_factory: Callable[[], requests.Session] | None = None
    ):
        self.config = config
        self._session_factory = session_factory  # tests mount transport adapters through this
        self.calls = 0

    def __repr__(self) -> str:
        return f"XeroOAuth(client_id={self.config.client_id!r})"

    def _oauth_session(self, **kwargs) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name, not a secret
            code_challenge_method="S256",
            **kwargs,
        )
        if self._session_factory is not None:
            for prefix, adapter in self._session_factory().adapters.items():
                session.mount(prefix, adapter)
        return session

    @property
    def _token_url(self) -> str:
        return f"{self.config.identity_url.rstrip('/')}/connect/token"

    # --- authorize --------------------------------------------------------------------------------
    def authorization_request(self) -> AuthorizationRequest:
        session = self._oauth_session(
            scope=" ".join(self.config.scopes), redirect_uri=self.config.redirect_uri
        )
        code_verifier = secrets.token_urlsafe(64)
        url, state = session.create_authorization_url(
            f"{self.config.login_url.rstrip('/')}/identity/connect/authorize",
            code_verifier=code_verifier,
        )
        return AuthorizationRequest(url=url, state=state, code_verifier=code_verifier)

    # --- tokens -----------------------------------------------------------------------------------
    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        session = self._oauth_session(redirect_uri=self.config.redirect_uri)
        return self._token_call(
            lambda: session.fetch_token(
                self._token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=self.config.timeout,
            )
        )

    def refresh(self, *, refresh_token: str) -> TokenSet:
        session = self._oauth_session()
        return self._token_call(
            lambda: session.refresh_token(
                self._token_url, refresh_token=refresh_token, timeout=self.config.timeout
            )
        )

    def revoke(self, *, refresh_token: str) -> None:
        """Revokes the whole grant: every connection of that Xero user to our app goes (Xero's rule)."""
        session = self._oauth_session()
        self.calls += 1
        try:
            response = session.revoke_token(
                f"{self.config.identity_url.rstrip('/')}/connect/revocation",
                token=refresh_token,
                token_type_hint="refresh_token",  # noqa: S106
                timeout=self.config.timeout,
            )
        except requests.RequestException as exc:
            raise XeroUnavailable("Could not reach Xero's identity service.") from exc
        http.raise_for_status(response)

    def _token_call(self, call) -> TokenSet:
        self.calls += 1
        try:
            token = call()
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise XeroInvalidGrant(exc.description or "invalid_grant") from exc
            raise XeroError(f"Xero refused the token request: {exc.error}") from exc
        except requests.Timeout as exc:
            raise XeroUnavailable("Xero's identity service did not answer.", outcome_unknown=True) from exc
        except requests.RequestException as exc:
            raise XeroUnavailable("Could not reach Xero's identity service.", outcome_unknown=True) from exc
        except ValueError as exc:  # a non-JSON body (an HTML error page, a proxy)
            raise XeroBadResponse("Xero's identity service answered with something unreadable.") from exc
        if not token.get("access_token") or not token.get("refresh_token"):
            raise XeroBadResponse("Xero's token response has no access or refresh token (offline_access?).")
        claims = _jwt_claims(token["access_token"])
        expires_at = datetime.datetime.fromtimestamp(
            token.get("expires_at")
            or (datetime.datetime.now(datetime.UTC).timestamp() + token.get("expires_in", 1800)),
            tz=datetime.UTC,
        )
        scope = token.get("scope") or claims.get("scope") or ()
        scopes = tuple(scope.split() if isinstance(scope, str) else scope)
        return TokenSet(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=expires_at,
            scopes=scopes,
            auth_event_id=str(claims.get("authentication_event_id") or ""),
            xero_userid=str(claims.get("xero_userid") or ""),
            id_token_claims=_jwt_claims(token["id_token"]) if token.get("id_token") else {},
        )

    # --- connections ------------------------------------------------------------------------------
    def _api_session(self) -> requests.Session:
        return self._session_factory() if self._session_factory else requests.Session()

    def list_connections(self, *, access_token: str, auth_event_id: str = "") -> list[XeroTenant]:
        self.calls += 1
        response = http.send(
            self._api_session(),
            "GET",
            f"{self.config.api_url.rstrip('/')}/connections",
            timeout=self.config.timeout,
            params={"authEventId": auth_event_id} if auth_event_id else None,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        http.raise_for_status(response)
        body = http.json_body(response)
        if not isinstance(body, list):
            raise XeroBadResponse("Xero's connections answer is not a list.")
        return [XeroTenant.from_api(item) for item in body]

    def delete_connection(self, *, access_token: str, connection_id: str) -> None:
        self.calls += 1
        response = http.send(
            self._api_session(),
            "DELETE",
            f"{self.config.api_url.rstrip('/')}/connections/{connection_id}",
            timeout=self.config.timeout,
            headers={"Authorization": f"Bearer {access_token}"},
        )
        http.raise_for_status(response)
