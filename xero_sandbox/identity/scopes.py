"""The scopes the sandbox knows, and how the consent page words them.

Source: xero-api-notes.md section 1.7. Accounting scopes are deliberately unknown here: the sandbox
only simulates Payroll AU, so asking for them fails like any other unknown scope.
"""

IDENTITY_SCOPES = ("openid", "profile", "email")
OFFLINE_ACCESS = "offline_access"

# Plain-English wording on the consent page, in the order it is shown.
SCOPE_DESCRIPTIONS = {
    "openid": "Confirm who you are in Xero",
    "profile": "See your name and Xero user ID",
    "email": "See your email address",
    "payroll.employees": "View and manage your payroll employees",
    "payroll.employees.read": "View your payroll employees",
    "payroll.timesheets": "View and manage your payroll timesheets",
    "payroll.timesheets.read": "View your payroll timesheets",
    "payroll.settings": "View and manage your payroll settings",
    "payroll.settings.read": "View your payroll settings",
    "payroll.payruns": "View and manage your pay runs",
    "payroll.payruns.read": "View your pay runs",
    "payroll.payslip": "View and manage your payslips",
    "payroll.payslip.read": "View your payslips",
    "offline_access": "Keep access to this data when you are not signed in to the app",
}
KNOWN_SCOPES = frozenset(SCOPE_DESCRIPTIONS)


def parse_scope(value: str) -> list[str]:
    """Space-separated scope string -> list in the order given, duplicates dropped."""
    seen: list[str] = []
    for scope in value.split():
        if scope not in seen:
            seen.append(scope)
    return seen


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in KNOWN_SCOPES]


def needs_organisation(scopes: list[str]) -> bool:
    """Data scopes need a tenant to be picked; sign-in-only scopes (openid profile email
    offline_access) do not.
    Assumption: as in Xero's "Sign in with Xero" flow, no organisation picker without a data scope."""
    return any(scope not in IDENTITY_SCOPES and scope != OFFLINE_ACCESS for scope in scopes)


def merge(existing: list[str], new: list[str]) -> list[str]:
    """Scopes are additive across consents (xero-api-notes.md 1.7)."""
    return list(existing) + [scope for scope in new if scope not in existing]


def describe(scopes: list[str]) -> list[str]:
    return [SCOPE_DESCRIPTIONS[scope] for scope in SCOPE_DESCRIPTIONS if scope in scopes]
