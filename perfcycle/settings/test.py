"""Test settings: fast hashing, plain static storage, in-memory email, a throwaway data folder."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("PERFCYCLE_DATA_DIR", tempfile.mkdtemp(prefix="perfcycle-test-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 30)

from .base import *  # noqa: F403
from .base import DATABASES, STATIC_ROOT

Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
LANGUAGE_CODE = "en"
DEBUG = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A throwaway database per test run; pytest-django makes it in memory.
    DATABASES["default"]["TEST"] = {"NAME": None}

# The replica alias mirrors the test database; reports read from it only in tests that
# switch PERFCYCLE_REPORT_DATABASE on (perfcycle/core/tests/test_dbrouter.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
PERFCYCLE_REPORT_DATABASE = None
