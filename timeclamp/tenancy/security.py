"""Denied access is recorded exactly once, where it is decided (ASVS V7.1.3, reliability-notes I11).

Every refusal goes to the ``timeclamp.security`` log (user, method, path, reason: never a token, a
code or a state value). A member refused a page above their role also gets a row in their
organisation's audit trail; a non-member's probe is not written into the probed organisation's trail
(anyone signed in could fill it), only to the security log.
"""

import logging

from django.http import HttpRequest

security_logger = logging.getLogger("timeclamp.security")


def access_denied(request: HttpRequest, *, reason: str) -> None:
    user = getattr(request, "user", None)
    security_logger.warning(
        "Access denied: %s (user %s, %s %s)",
        reason,
        user.pk if user is not None and user.is_authenticated else "anonymous",
        request.method,
        request.path,
    )
