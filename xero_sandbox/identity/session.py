"""Who is signed in on the sandbox's Xero login pages.

Kept in the Django session under its own keys: the sandbox never logs anyone into the product.
"""

import datetime
import uuid

from django.utils import timezone

from xero_sandbox.models import SandboxUser

USER_KEY = "xero_sandbox_user_id"
AUTH_TIME_KEY = "xero_sandbox_auth_time"
GLOBAL_SESSION_KEY = "xero_sandbox_global_session_id"


def sign_in(session, user: SandboxUser) -> None:
    """Record a sign-in on a session (``request.session``, or a test client's session)."""
    session[USER_KEY] = user.pk
    session[AUTH_TIME_KEY] = int(timezone.now().timestamp())
    session[GLOBAL_SESSION_KEY] = uuid.uuid4().hex


def sign_out(session) -> None:
    for key in (USER_KEY, AUTH_TIME_KEY, GLOBAL_SESSION_KEY):
        session.pop(key, None)


def signed_in_user(session) -> SandboxUser | None:
    user_id = session.get(USER_KEY)
    if user_id is None:
        return None
    user = SandboxUser.objects.filter(pk=user_id).first()
    if user is None:
        sign_out(session)
    return user


def auth_time(session) -> datetime.datetime:
    seconds = session.get(AUTH_TIME_KEY)
    if not isinstance(seconds, int):
        return timezone.now()
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def global_session_id(session) -> str:
    value = session.get(GLOBAL_SESSION_KEY)
    if not value:
        value = uuid.uuid4().hex
        session[GLOBAL_SESSION_KEY] = value
    return value
