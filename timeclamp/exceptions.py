class ApplicationError(Exception):
    """Base of every domain error: a message a user can read, plus optional structured detail."""

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
