"""The one place a Xero HTTP response becomes data or a typed error (used by client.py and oauth.py)."""

import json
import logging

import requests

from .errors import (
    XeroAuthError,
    XeroBadResponse,
    XeroError,
    XeroForbidden,
    XeroNotFound,
    XeroRateLimited,
    XeroUnavailable,
    XeroValidationError,
)

logger = logging.getLogger("integrations.xero")


def send(session: requests.Session, method: str, url: str, *, timeout: float, **kwargs) -> requests.Response:
    """Send with a forced timeout; transport failures become XeroUnavailable.

    A timeout or a connection dropped after the request went out leaves the outcome unknown for a POST.
    """
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise XeroUnavailable(
            f"Xero did not answer within {timeout:g} s.", outcome_unknown=method != "GET"
        ) from exc
    except requests.ConnectionError as exc:
        raise XeroUnavailable("Could not reach Xero.", outcome_unknown=method != "GET") from exc


def _json(response: requests.Response):
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def _validation_messages(body) -> tuple[list[str], list[dict]]:
    """Walk a 400 body for every ValidationErrors[].Message (Xero's placement varies)."""
    messages: list[str] = []
    items: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            errors = node.get("ValidationErrors")
            if isinstance(errors, list) and errors:
                item_messages = [e.get("Message", "") for e in errors if isinstance(e, dict)]
                messages.extend(m for m in item_messages if m)
                items.append(
                    {
                        "element": {k: v for k, v in node.items() if k != "ValidationErrors"},
                        "messages": item_messages,
                    }
                )
            for key, value in node.items():
                if key != "ValidationErrors":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return messages, items


def raise_for_status(response: requests.Response) -> None:
    status = response.status_code
    correlation_id = response.headers.get("Xero-Correlation-Id", "")
    if 200 <= status < 300:
        return
    body = _json(response)
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("Detail") or body.get("Message") or body.get("error") or "")
    text = detail or (response.text[:200] if response.text else response.reason or "")
    logger.info("Xero answered %s (correlation id %s)", status, correlation_id or "-")
    common = {"status": status, "correlation_id": correlation_id}
    if status == 401:
        raise XeroAuthError(text or "Unauthorized", **common)
    if status == 403:
        raise XeroForbidden(text or "AuthenticationUnsuccessful", **common)
    if status == 404:
        raise XeroNotFound(text or "Not found", **common)
    if status == 429:
        try:
            retry_after = float(response.headers.get("Retry-After", "60"))
        except ValueError:
            retry_after = 60.0
        problem = response.headers.get("X-Rate-Limit-Problem", "minute").lower()
        raise XeroRateLimited(
            f"Xero's {problem} rate limit was reached.", retry_after=retry_after, problem=problem, **common
        )
    if status == 400:
        messages, items = _validation_messages(body) if body is not None else ([], [])
        if not messages:
            messages = [text or "Xero rejected the request."]
        raise XeroValidationError(messages[0], messages=messages, items=items, **common)
    if status >= 500:
        raise XeroUnavailable(text or f"Xero error {status}", **common)
    raise XeroError(text or f"Unexpected Xero response {status}", **common)


def json_body(response: requests.Response):
    body = _json(response)
    if body is None:
        raise XeroBadResponse(
            "Xero answered with something that is not JSON.",
            status=response.status_code,
            correlation_id=response.headers.get("Xero-Correlation-Id", ""),
        )
    return body
