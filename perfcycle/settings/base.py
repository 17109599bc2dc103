"""Settings shared by every environment; everything that varies comes from the environment.

- ``PERFCYCLE_DATA_DIR``: where the embedded database, secret key and collected static
  files live (default ``./perfcycle-data``).
- ``DATABASE_URL``: PostgreSQL (``postgres://...``, psycopg 3) or SQLite; when unset,
  an SQLite file in the data folder with WAL and ``IMMEDIATE`` transactions.
  ``CONN_MAX_AGE``: seconds a server connection is kept (default 60).
- ``DATABASE_REPLICA_URL``: optional read replica that reports read from.
- ``SECRET_KEY``: when unset outside production, one is generated once and kept in the
  data folder.
- ``ALLOWED_HOSTS``: comma-separated; ``DEBUG``: ``1``/``true`` to switch on.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean from the environment (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list from the environment."""
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("PERFCYCLE_DATA_DIR") or "perfcycle-data").resolve()


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "perfcycle.core",
    "perfcycle.accounts",
    "perfcycle.audit",
    "perfcycle.org",
    "perfcycle.access",
    "perfcycle.imports",
    "perfcycle.cycles",
    "perfcycle.planning",
    "perfcycle.monitoring",
    "perfcycle.evaluation",
    "perfcycle.synth",
    "perfcycle.calibration",
    "perfcycle.rewards",
    "perfcycle.proposals",
    "perfcycle.improvement",
    "perfcycle.retrospective",
    "perfcycle.insights",
    "perfcycle.dashboards",
    "perfcycle.notifications",
    "perfcycle.privacy",
    "perfcycle.api",
    "perfcycle.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "perfcycle.accounts.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "perfcycle.accounts.middleware.UserLanguageMiddleware",
    "perfcycle.audit.middleware.AuditContextMiddleware",
    "perfcycle.access.middleware.RefusalLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "perfcycle.accounts.security.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "perfcycle.urls"
WSGI_APPLICATION = "perfcycle.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "perfcycle.navigation.navigation",
                "perfcycle.notifications.context_processors.notifications",
            ],
        },
    },
]


def _server_database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    if "postgresql" in config["ENGINE"] and not env_bool("PERFCYCLE_PG_JIT", False):
        # PostgreSQL's JIT compiler spends 0.5–2.5 s compiling each large query (scoring
        # a cycle, a report over 100,000 people) that it then runs in about as long: off
        # unless asked for (PERFCYCLE_PG_JIT=1), or set in DATABASE_URL's own options.
        options.setdefault("options", "-c jit=off")
    return config


def _databases() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = _server_database(url)
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "perfcycle.sqlite3"),
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-64000;"
                ),
            }
        )
    return {"default": config}


DATABASES = _databases()
# A read replica for reports (docs/deploy.md): only code in
# ``perfcycle.core.dbrouter.reading_from_replica()`` reads from it; writes never do.
PERFCYCLE_REPORT_DATABASE: str | None = None
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = _server_database(os.environ["DATABASE_REPLICA_URL"])
    PERFCYCLE_REPORT_DATABASE = "replica"
DATABASE_ROUTERS = ["perfcycle.core.dbrouter.ReportReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# ISO dates first in Chinese too: a browser's date field reads no other (perfcycle/formats).
FORMAT_MODULE_PATH = ["perfcycle.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or DATA_DIR / "static")
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or DATA_DIR / "media")

# Sessions (perfcycle/accounts/security.py): signed out after this long without a request,
# and this long after signing in however active.
PERFCYCLE_SESSION_IDLE_MINUTES = int(os.environ.get("PERFCYCLE_SESSION_IDLE_MINUTES", "30"))
PERFCYCLE_SESSION_MAX_HOURS = int(os.environ.get("PERFCYCLE_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * PERFCYCLE_SESSION_MAX_HOURS
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# The sign-in throttle (perfcycle/accounts/throttle.py): this many failures for one login
# name, or from one address, within the lockout period lock it for the lockout period.
PERFCYCLE_LOGIN_FAILURES = int(os.environ.get("PERFCYCLE_LOGIN_FAILURES", "5"))
PERFCYCLE_LOGIN_IP_FAILURES = int(os.environ.get("PERFCYCLE_LOGIN_IP_FAILURES", "30"))
PERFCYCLE_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("PERFCYCLE_LOGIN_LOCKOUT_MINUTES", "15"))
# How many proxies in front append to X-Forwarded-For: the client's address is read that
# many entries from the right (0: REMOTE_ADDR). Production assumes one (the TLS proxy).
PERFCYCLE_PROXY_COUNT = int(os.environ.get("PERFCYCLE_PROXY_COUNT", "0"))

# Headers. Nothing inline: scripts and styles come from /static/ only.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERFCYCLE_CSP = os.environ.get(
    "PERFCYCLE_CSP",
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'",
)
PERFCYCLE_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# Uploads: spreadsheets are read in memory up to this size; larger files are refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
PERFCYCLE_IMPORT_MAX_BYTES = int(os.environ.get("PERFCYCLE_IMPORT_MAX_BYTES", 50 * 1024 * 1024))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "perfcycle@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# The site's address, for links in emails.
PERFCYCLE_SITE_URL = os.environ.get("PERFCYCLE_SITE_URL", "http://localhost:8000")

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Monitoring: may colleagues (not only managers) log observations about a person? Their
# observations are always private to the person's managers and HR.
PERFCYCLE_COLLEAGUE_OBSERVATIONS = env_bool("PERFCYCLE_COLLEAGUE_OBSERVATIONS", False)
# Public holidays (ISO dates, comma-separated) that do not count as working days, e.g. for
# the appeal window: "2026-10-01,2026-10-02".
PERFCYCLE_HOLIDAYS = [
    d.strip() for d in os.environ.get("PERFCYCLE_HOLIDAYS", "").split(",") if d.strip()
]

# The API.
PERFCYCLE_API_PAGE_SIZE = 50
PERFCYCLE_API_MAX_PAGE_SIZE = 500
