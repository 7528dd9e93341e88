"""Validate sandbox traffic against Xero's own OpenAPI spec (shared/xero-openapi/, stack-notes §8).

The spec lives outside the repository, beside it: ``<repo>/../shared/xero-openapi/``. That holds on
a developer's machine and in CI (which clones the repo into another folder with a copy of shared/
beside it). When the folder is absent the conformance checks skip with a clear reason.

Workarounds from stack-notes §8: the servers are made relative (any host matches; the sandbox's
``/xero-sandbox/api`` mount prefix is added as a second server), oauth2 security is checked as a
bearer token, and ``date-time`` accepts Xero's offset-less 7-digit form.
"""

import functools
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "xero-openapi"
PAYROLL_AU = "xero-payroll-au.yaml"

_XERO_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$")


def _is_xero_datetime(value) -> bool:
    return isinstance(value, str) and bool(_XERO_DT.match(value))


def _parse_xero_datetime(value: str) -> datetime:
    base, frac, tz = re.match(r"^(.*?T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$", value).groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if tz in (None, "Z"):
        return datetime.fromisoformat(base).replace(microsecond=micro, tzinfo=UTC)
    return datetime.fromisoformat(base + tz).replace(microsecond=micro)


def spec_path(name: str = PAYROLL_AU) -> Path | None:
    path = SPEC_DIR / name
    return path if path.is_file() else None


def skip_reason(name: str = PAYROLL_AU) -> str:
    return (
        f"Xero's OpenAPI spec {name} not found at {SPEC_DIR} (the shared/ folder beside the repository); "
        "conformance checks need it"
    )


@functools.cache
def load_spec(name: str = PAYROLL_AU):
    """The spec as an openapi_core.OpenAPI, or None when shared/ is absent."""
    path = spec_path(name)
    if path is None:
        return None
    from openapi_core import Config, OpenAPI
    from openapi_core.security.exceptions import SecurityProviderError
    from openapi_core.security.factories import SecurityProviderFactory
    from openapi_core.security.providers import BaseProvider

    class BearerProvider(BaseProvider):
        def __call__(self, parameters):
            auth = parameters.header.get("Authorization", "")
            if not auth.startswith("Bearer "):
                raise SecurityProviderError("Missing bearer token.")
            return auth[7:]

    class XeroSecurityProviderFactory(SecurityProviderFactory):
        PROVIDERS = {
            **SecurityProviderFactory.PROVIDERS,
            "oauth2": BearerProvider,
            "openIdConnect": BearerProvider,
        }

    with path.open() as f:
        data = yaml.safe_load(f)
    mount = urlparse(settings.XERO_API_URL).path.rstrip("/")  # "/xero-sandbox/api" in tests
    servers = []
    for server in data["servers"]:
        relative = urlparse(server["url"]).path
        servers.append({"url": relative})
        if mount:
            servers.append({"url": mount + relative})
    data["servers"] = servers
    config = Config(
        security_provider_factory=XeroSecurityProviderFactory(),
        extra_format_validators={"date-time": _is_xero_datetime},
        extra_format_unmarshallers={"date-time": _parse_xero_datetime},
    )
    return OpenAPI.from_dict(data, config=config)


def require_spec(name: str = PAYROLL_AU):
    spec = load_spec(name)
    if spec is None:
        pytest.skip(skip_reason(name))
    return spec


def documented_statuses(spec, method: str, url: str) -> set[str]:
    """The response codes the spec documents for this call ("200", "400", ...), empty if unknown."""
    path = urlparse(url).path
    mount = urlparse(settings.XERO_API_URL).path.rstrip("/")
    if mount and path.startswith(mount):
        path = path[len(mount) :]
    path = path.removeprefix("/payroll.xro/1.0")
    paths = spec.spec / "paths"
    for template, item in paths.items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            operation = item.get(method.lower())
            if operation is None:
                return set()
            return set((operation / "responses").keys())
    return set()


def validate_exchange(response, *, spec=None, check_request: bool = True) -> bool:
    """Validate one requests.Response (and, when the sandbox accepted it, its request) against the
    Payroll AU spec. Raises on a mismatch; returns False when the call is outside the spec (a path it
    does not describe, or a status it does not document, such as 401/403/429/5xx)."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    spec = spec or load_spec()
    if spec is None or "/payroll.xro/1.0/" not in response.request.url:
        return False
    statuses = documented_statuses(spec, response.request.method, response.request.url)
    if str(response.status_code) not in statuses:
        return False
    openapi_request = RequestsOpenAPIRequest(response.request)
    if check_request and 200 <= response.status_code < 300:
        spec.validate_request(openapi_request)
    spec.validate_response(openapi_request, RequestsOpenAPIResponse(response))
    return True
