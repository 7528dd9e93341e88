"""The API front door for the connections endpoints.

The real one is ``xero_sandbox.gateway.xero_api_view`` (owned by the payroll side: logging, faults,
limits). ``api_view`` uses it whenever it is there; ``local_api_view`` is a minimal stand-in used
only while the gateway does not provide it: bearer check (401 with Xero's body), request.xero_claims,
and a RequestLog row.
"""

import functools
import time
import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import tokens


def problem(status: int, title: str, detail: str | None = None) -> JsonResponse:
    """Xero's identity/API error body: {"Type","Title","Status","Detail","Instance","Extensions"}."""
    return JsonResponse(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
        status=status,
    )


def local_api_view(*, scopes: set[str] | None = None, tenant: bool = False):
    if tenant or scopes:  # the stand-in only covers what the connections endpoints need
        raise ValueError("local_api_view supports tenant=False, scopes=None only")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            from xero_sandbox.models import RequestLog

            started = time.monotonic()
            response = _authenticated(request) or view(request, *args, **kwargs)
            RequestLog.objects.create(
                method=request.method[:10],
                path=request.path[:500],
                query=request.META.get("QUERY_STRING", "")[:1000],
                status=response.status_code,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                response_body=response.content.decode("utf-8", errors="replace")[:20_000],
            )
            return response

        return csrf_exempt(login_not_required(wrapper))

    return decorator


def _authenticated(request: HttpRequest):
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return problem(401, "Unauthorized", tokens.UNSUCCESSFUL)
    try:
        request.xero_claims = tokens.verify_access_token(value.strip())
    except tokens.InvalidToken as exc:
        return problem(401, "Unauthorized", exc.detail)
    return None


def api_view(*, scopes: set[str] | None, tenant: bool):
    """The gateway's decorator when it exists, else the local stand-in."""
    try:
        from xero_sandbox.gateway import xero_api_view
    except ImportError:  # pragma: no cover - only before the gateway lands
        return local_api_view(scopes=scopes, tenant=tenant)
    return xero_api_view(scopes=scopes, tenant=tenant)
