"""Typed failures of a Xero call. Services decide what each means for the user."""


class XeroError(Exception):
    def __init__(self, message: str, *, status: int | None = None, correlation_id: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.correlation_id = correlation_id


class XeroAuthError(XeroError):
    """401: the access token is missing, expired or invalid (refresh once, then give up)."""


class XeroInvalidGrant(XeroError):
    """The token endpoint said invalid_grant: the refresh token is dead. Only a reconnect helps."""


class XeroForbidden(XeroError):
    """403 AuthenticationUnsuccessful: tenant disconnected, access revoked or payroll rights lost."""


class XeroNotFound(XeroError):
    """404."""


class XeroValidationError(XeroError):
    """400 with Xero's validation messages; ``items`` holds per-element messages when Xero gave them."""

    def __init__(self, message: str, *, messages: list[str], items: list[dict] | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.messages = messages
        self.items = items or []


class XeroRateLimited(XeroError):
    """429: wait ``retry_after`` seconds; ``problem`` names the limit (minute, day, concurrent, appminute)."""

    def __init__(self, message: str, *, retry_after: float, problem: str, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.problem = problem


class XeroUnavailable(XeroError):
    """5xx, timeout or connection failure. ``outcome_unknown`` is True when the request may have been
    processed by Xero (the response was lost): re-read before sending again."""

    def __init__(self, message: str, *, outcome_unknown: bool = False, **kwargs):
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown


class XeroBadResponse(XeroError):
    """Xero answered with something we cannot read (not JSON, wrong shape)."""
