"""The front door of every sandbox API call (owned by the payroll side).

INTERFACE (used by the connections views and the payroll views; keep this signature):

    @xero_api_view(scopes={"payroll.employees", "payroll.employees.read"}, tenant=True)
    def employees(request): ...          # request.xero_claims (AccessClaims), request.xero_organisation

What it does, in order, as Xero does: log the request (RequestLog), apply fault rules, add the
configured latency, authenticate the bearer token (401 with Xero's body), check Xero-Tenant-Id
against a live connection of the token's grant and the user's payroll rights (403
AuthenticationUnsuccessful), check scopes (401/403 as Xero), enforce rate limits and the in-flight
limit (429 + Retry-After + X-Rate-Limit-Problem), honour Idempotency-Key on POST, and add the
X-*-Remaining headers to every response.
"""
