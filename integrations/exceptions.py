from timeclamp.exceptions import ApplicationError


class XeroNotConnected(ApplicationError):
    """The organisation has no usable Xero connection."""


class XeroReconnectRequired(ApplicationError):
    """Xero refused our grant (revoked, expired, payroll rights lost): an admin must reconnect."""


class XeroTenantChoiceRequired(ApplicationError):
    """The consent granted several Xero organisations: the admin must pick one."""


class XeroTenantAlreadyLinked(ApplicationError):
    """That Xero organisation is already linked to another Timeclamp organisation."""
