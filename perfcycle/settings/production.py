"""Production settings: HTTPS everywhere, a required secret key, a database-backed task worker.

Behind a TLS-terminating proxy that sets ``X-Forwarded-Proto``; set ``SECURE_SSL_REDIRECT=0``
only when the proxy already redirects plain HTTP.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production.")

DEBUG = env_bool("DEBUG", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The TLS proxy appends the client's address to X-Forwarded-For (sign-in throttle).
PERFCYCLE_PROXY_COUNT = int(os.environ.get("PERFCYCLE_PROXY_COUNT", "1"))
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
