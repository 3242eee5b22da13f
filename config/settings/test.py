"""Test settings: the base settings, made fast and isolated. DATABASE_URL still chooses the
database, so the same suite runs on SQLite and on PostgreSQL."""

import tempfile

from .base import *  # noqa: F403
from .base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="marketplace-test-media-")
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {
        "BACKEND": "marketplace.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="marketplace-test-private-")},
    },
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
WAGTAILADMIN_BASE_URL = "http://testserver"

STRIPE_FAKE_IN_DATABASE = False  # the fake keeps its state in memory; tests reset it
# pytest runs with DEBUG off: the suite is a demo site as far as payments go.
STRIPE_OFFLINE_DEMO = True
