"""Denied access is recorded exactly once, where it is decided (ASVS V7.1.3, reliability-notes I11).

Every refusal goes to the ``timeclamp.security`` log (user, method, path, reason: never a token, a
code or a state value). A refusal inside an organisation (a member asking for a page above their
role) is also sent as ``member_access_denied``; the staff app writes it into that organisation's
audit trail. A non-member's probe is never written into the probed organisation's trail (anyone
signed in could fill it), only to the security log.
"""

import logging

from django.dispatch import Signal
from django.http import HttpRequest

security_logger = logging.getLogger("timeclamp.security")

# sender: the Organization; kwargs: request, needs (role), has (role)
member_access_denied = Signal()


def access_denied(request: HttpRequest, *, reason: str) -> None:
    user = getattr(request, "user", None)
    security_logger.warning(
        "Access denied: %s (user %s, %s %s)",
        reason,
        user.pk if user is not None and user.is_authenticated else "anonymous",
        request.method,
        request.path,
    )
