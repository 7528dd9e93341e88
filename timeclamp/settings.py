"""The one settings module. Every difference between environments is an environment variable.

Defaults give a working local app with no services: SQLite, an embedded filesystem broker for
Celery, and the Xero sandbox. Production sets DATABASE_URL, CELERY_BROKER_URL and the XERO_* keys.
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# --- paths / env -------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():  # the real environment always wins over .env
    env.read_env(BASE_DIR / ".env")

# --- core --------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-secret-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "testserver"])
# make run PORT=8001 gives every process WEB_PORT: the Xero redirect URI and the sandbox's URLs follow it.
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env.int('WEB_PORT', default=8000)}")
ROOT_URLCONF = "timeclamp.urls"
WSGI_APPLICATION = "timeclamp.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- apps --------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "csp",
    "timeclamp",
    "staff",
    "timesheets",
    "integrations",
]

# --- middleware --------------------------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "timeclamp.tenancy.middleware.OrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "timeclamp.context_processors.navigation",
                "integrations.context_processors.xero_banner",
            ],
        },
    },
]

# --- database ----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",  # serialises writers: select_for_update is a no-op on SQLite
        timeout=20,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- auth --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- i18n / time -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-au"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_ORGANIZATION_TIMEZONE = "Australia/Sydney"

# --- static / media ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "timeclamp" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STAFF_IMPORT_MAX_BYTES = 2 * 1024 * 1024
STAFF_IMPORT_MAX_ROWS = 5000

# --- security ----------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# __Host-: the browser keeps the cookie only if it is Secure, for Path=/ and without Domain, so a
# sibling subdomain can neither set nor read it (ASVS V3.4.4). Plain names over plain HTTP (make run).
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *env.list("CSP_FORM_ACTION_EXTRA", default=[])],
    },
}

# --- email -------------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_CONFIG = env.email("EMAIL_URL", default="smtp://localhost:25")
vars().update({k: v for k, v in EMAIL_CONFIG.items() if k != "EMAIL_BACKEND"})
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Timeclamp <no-reply@timeclamp.local>")

# --- logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- celery ------------------------------------------------------------------------------------
# No broker configured: an embedded filesystem broker, so `make run` needs no Redis but still runs a
# real worker. Tests set CELERY_TASK_ALWAYS_EAGER.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".celerybeat-schedule")
)
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"integrations.*": {"queue": "xero"}}
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=120)  # seconds, for /readyz
CELERY_BEAT_SCHEDULE = {
    # Keep idle Xero connections alive (60-day refresh-token expiry) and detect revocation before
    # payday. 17:00 UTC is 3-4 am in eastern Australia.
    "xero-connections-daily": {
        "task": "integrations.xero_connections_daily",
        "schedule": crontab(hour=17, minute=0),
    },
    # Liveness of the workers on each queue (read by /readyz).
    "worker-heartbeat-celery": {
        "task": "timeclamp.worker_heartbeat",
        "schedule": 30.0,
        "kwargs": {"queue": "celery"},
        "options": {"queue": "celery", "expires": 25},
    },
    "worker-heartbeat-xero": {
        "task": "timeclamp.worker_heartbeat",
        "schedule": 30.0,
        "kwargs": {"queue": "xero"},
        "options": {"queue": "xero", "expires": 25},
    },
    # Resume parked pushes, re-enqueue lost ones, pick up pushes of a worker that died.
    "payroll-push-watchdog": {"task": "integrations.payroll_push_watchdog", "schedule": 60.0},
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _fs_root = Path(env("CELERY_FS_ROOT", default=str(BASE_DIR / ".celery-fs")))
    for _folder in ("queue", "processed", "control"):
        (_fs_root / _folder).mkdir(parents=True, exist_ok=True)  # kombu does not create them
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_fs_root / "queue"),
        "data_folder_out": str(_fs_root / "queue"),
        "processed_folder": str(_fs_root / "processed"),
        "store_processed": False,
        "control_folder": str(_fs_root / "control"),
        "polling_interval": 0.2,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# --- tenancy -----------------------------------------------------------------------------------
# Models that are deliberately not tenant-scoped (timeclamp.checks flags any other unscoped model).
TENANT_GLOBAL_MODELS = {"staff.Organization", "staff.User", "staff.Membership", "staff.Invitation"}

# --- xero --------------------------------------------------------------------------------------
# Fernet keys (comma separated): the first encrypts, all decrypt. Generate one with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[])
if not TOKEN_ENCRYPTION_KEYS and DEBUG:
    # Local runs only: a key derived from the (dev) secret key, so `make run` needs no set-up.
    # Production must set TOKEN_ENCRYPTION_KEYS (a deploy check warns when it is empty).
    TOKEN_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(f"tokens:{SECRET_KEY}".encode()).digest()).decode()
    ]
XERO_CLIENT_ID = env("XERO_CLIENT_ID", default="")
# The local Xero stand-in (xero_sandbox/) is mounted at /xero-sandbox/ only when enabled: by default
# in a DEBUG run with no real Xero app configured (`make run`). Product code never imports it; it
# reaches it only through the three base URLs below, exactly as it reaches real Xero.
XERO_SANDBOX = env.bool("XERO_SANDBOX", default=DEBUG and not XERO_CLIENT_ID)


def _xero_default(path: str, real: str) -> str:
    return f"{SITE_URL}/xero-sandbox/{path}" if XERO_SANDBOX else real


XERO_LOGIN_URL = env("XERO_LOGIN_URL", default=_xero_default("login", "https://login.xero.com"))
XERO_IDENTITY_URL = env("XERO_IDENTITY_URL", default=_xero_default("identity", "https://identity.xero.com"))
XERO_API_URL = env("XERO_API_URL", default=_xero_default("api", "https://api.xero.com"))
if XERO_SANDBOX and not XERO_CLIENT_ID:
    XERO_CLIENT_ID = "timeclamp-local"
XERO_CLIENT_SECRET = env("XERO_CLIENT_SECRET", default="timeclamp-local-secret" if XERO_SANDBOX else "")
XERO_REDIRECT_URI = env("XERO_REDIRECT_URI", default=f"{SITE_URL}/integrations/xero/callback/")
XERO_SCOPES = env.list(
    "XERO_SCOPES",
    default=[
        "openid",
        "profile",
        "email",
        "offline_access",
        "payroll.employees",
        "payroll.timesheets",
        "payroll.settings.read",
    ],
)
XERO_TIMEOUT_SECONDS = env.float("XERO_TIMEOUT_SECONDS", default=20.0)

if XERO_SANDBOX:
    INSTALLED_APPS.append("xero_sandbox")
    DATABASES["xero_sandbox"] = env.db(
        "XERO_SANDBOX_DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'xero_sandbox.sqlite3'}"
    )
    if DATABASES["xero_sandbox"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["xero_sandbox"].setdefault("OPTIONS", {}).update(
            transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL;"
        )
    DATABASE_ROUTERS = ["xero_sandbox.router.SandboxRouter"]
    ALLOWED_HOSTS.append("xero-sandbox.test")  # the in-process test mount
# Sandbox behaviour (only read by xero_sandbox/): Xero's real limits by default.
XERO_SANDBOX_LIMITS = {
    "tenant_per_minute": env.int("XERO_SANDBOX_TENANT_PER_MINUTE", default=60),
    "tenant_in_flight": env.int("XERO_SANDBOX_TENANT_IN_FLIGHT", default=5),
    "tenant_per_day": env.int("XERO_SANDBOX_TENANT_PER_DAY", default=5000),
    "app_per_minute": env.int("XERO_SANDBOX_APP_PER_MINUTE", default=10000),
    "latency_ms": env.int("XERO_SANDBOX_LATENCY_MS", default=0),
}
