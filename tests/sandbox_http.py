"""Route `requests` into the Xero sandbox without sockets (stack-notes §10).

``SandboxAdapter`` sends a requests.PreparedRequest through django.test.Client, so the sandbox's real
views, middleware and CSRF rules run, and no database connection is closed under the test. Mount it on
the sandbox's test host (SITE_URL in the pytest env is https://xero-sandbox.test). ``responses``-based
forwarding (for sessions built inside libraries such as Authlib) is in ``sandbox_over_responses``.
"""

import re
from urllib.parse import urlsplit

import requests
import responses
from django.test import Client
from requests.adapters import BaseAdapter
from requests.models import Response
from requests.structures import CaseInsensitiveDict

SANDBOX_ORIGIN = "https://xero-sandbox.test"


class SandboxAdapter(BaseAdapter):
    def __init__(self):
        super().__init__()
        self.client = Client(enforce_csrf_checks=True)

    def _forward(self, method: str, url: str, headers, body) -> tuple[int, str, dict, bytes]:
        parts = urlsplit(url)
        skip = {"content-type", "content-length", "host", "cookie"}
        extra = {k: v for k, v in headers.items() if k.lower() not in skip}
        if isinstance(body, str):
            body = body.encode()
        response = self.client.generic(
            method,
            parts.path,
            data=body or b"",
            content_type=headers.get("Content-Type", "application/octet-stream"),
            secure=parts.scheme == "https",
            headers=extra,
            QUERY_STRING=parts.query,
            SERVER_NAME=parts.hostname,
        )
        return response.status_code, response.reason_phrase, dict(response.headers.items()), response.content

    def send(self, request, **kwargs):
        status, reason, headers, content = self._forward(
            request.method, request.url, request.headers, request.body
        )
        resp = Response()
        resp.status_code, resp.reason = status, reason
        resp.headers = CaseInsensitiveDict(headers)
        resp._content, resp.url, resp.request = content, request.url, request
        resp.encoding = requests.utils.get_encoding_from_headers(resp.headers)
        return resp

    def close(self):
        pass


def sandbox_session() -> requests.Session:
    session = requests.Session()
    session.mount(SANDBOX_ORIGIN + "/", SandboxAdapter())
    return session


class XeroTraffic:
    """Counts every request the product sends towards Xero, as (method, path): use ``session`` as
    ``xero_factory.http_session_factory``."""

    def __init__(self):
        self.requests: list[tuple[str, str]] = []

    def session(self) -> requests.Session:
        session = sandbox_session()
        adapter = session.get_adapter(SANDBOX_ORIGIN + "/")
        forward = adapter.send

        def send(request, **kwargs):
            self.requests.append((request.method, urlsplit(request.url).path))
            return forward(request, **kwargs)

        adapter.send = send
        return session

    @property
    def token_calls(self) -> int:
        return sum(1 for _method, path in self.requests if path.endswith("/connect/token"))

    @property
    def total(self) -> int:
        return len(self.requests)

    def clear(self) -> None:
        self.requests.clear()


def forward_with_responses(rsps: responses.RequestsMock) -> None:
    """Register callbacks on a RequestsMock that forward every sandbox URL into the sandbox."""
    adapter = SandboxAdapter()

    def callback(request):
        status, _reason, headers, content = adapter._forward(
            request.method, request.url, request.headers, request.body
        )
        return status, headers, content

    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        rsps.add_callback(method, re.compile(re.escape(SANDBOX_ORIGIN) + r"/.*"), callback=callback)
