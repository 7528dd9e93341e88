"""The sandbox keeps its state in its own database (alias ``xero_sandbox``).

Why: product code may hold a write transaction while it calls "Xero" over HTTP (a token refresh under
a row lock). On SQLite a shared file would make the sandbox wait on that lock: a deadlock no real Xero
would cause. A separate database behaves like a separate service.
"""

SANDBOX_DB = "xero_sandbox"


class SandboxRouter:
    def _is_sandbox(self, model) -> bool:
        return model._meta.app_label == "xero_sandbox"

    def db_for_read(self, model, **hints):
        return SANDBOX_DB if self._is_sandbox(model) else None

    def db_for_write(self, model, **hints):
        return SANDBOX_DB if self._is_sandbox(model) else None

    def allow_relation(self, obj1, obj2, **hints):
        if self._is_sandbox(obj1) or self._is_sandbox(obj2):
            return self._is_sandbox(obj1) and self._is_sandbox(obj2)
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "xero_sandbox":
            return db == SANDBOX_DB
        if db == SANDBOX_DB:
            return False
        return None
