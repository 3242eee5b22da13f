"""Settings shared by every environment; everything that differs comes from the environment.

Development needs no variables at all (`make run`): DEBUG defaults on, SQLite under var/,
local-memory cache, console email. Production sets DJANGO_DEBUG=0 and the variables below.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MARKETPLACE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

# Keys the HMAC of citizen ID numbers (producers.citizen_id). Never SECRET_KEY: the two are
# rotated for different reasons. Changing it makes every stored hash unmatchable.
CITIZEN_ID_HASH_KEY = os.environ.get("CITIZEN_ID_HASH_KEY", "")
if not CITIZEN_ID_HASH_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("CITIZEN_ID_HASH_KEY must be set when DJANGO_DEBUG is off.")
    CITIZEN_ID_HASH_KEY = "development-only-citizen-id-hash-key"
if CITIZEN_ID_HASH_KEY == SECRET_KEY:
    raise ImproperlyConfigured("CITIZEN_ID_HASH_KEY must differ from DJANGO_SECRET_KEY.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Buyer API (api/): requests per key in each fixed window of API_RATE_WINDOW seconds.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "120"))
API_RATE_WINDOW = 60

INSTALLED_APPS = [
    "marketplace",
    "producers",
    "buyers",
    "referrals",
    "orders",
    "income",
    "api",
    "ninja",  # django-ninja: its bundled Swagger UI templates and static files (no CDN)
    "cms",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "marketplace.apps.UsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks.backends.database",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "marketplace.apps.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "config",  # the project package: its commands (seed_demo) span every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers anonymous visitors from the page cache before anything below runs (cms.cache).
    "cms.cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.middleware.LanguageMiddleware",
    "marketplace.middleware.AuditContextMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "marketplace.middleware.StaffIdleTimeoutMiddleware",
    "marketplace.middleware.AdminMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace.middleware.ContentSecurityPolicyMiddleware",
    # An upload meeting an unreachable object store: a clear 503 page, not a server error.
    "marketplace.middleware.StorageUnavailableMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.site",
                "buyers.context_processors.buyer_portal",
                "orders.context_processors.cart_link",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'marketplace.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one failing
        # with "database is locked" half-way through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# The page cache and its generation, the API's and allauth's rate limits are kept in the cache:
# with several app servers it must be shared (Redis). If Redis goes away the site serves uncached
# and logs it (marketplace.cache); production without REDIS_URL is a warning (marketplace.checks).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "marketplace.cache.FaultTolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "marketplace"),
        }
    }
else:
    # Product cards and page fragments of a large catalogue outgrow the default 300 entries.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "marketplace",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "marketplace.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "marketplace.backends.MembershipPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "marketplace.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
# A password change ends the user's other sessions (Django's session auth hash no longer
# matches them); the session that made the change continues under a new key.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    # Failed password and TOTP attempts (allauth counts both as login_failed): ten a minute from one
    # address, five per account (email, or the user's TOTP) in five minutes. Beyond that the
    # answer is 429 (marketplace.adapters), even to the right password. The admin sign-in pages
    # send everyone here (config.urls, admin_site), so they cannot get around it.
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "marketplace.adapters.AccountAdapter"
# The client address for the per-address limits: behind the TLS proxy (production) the last
# X-Forwarded-For entry, the one our proxy appended; the audit log takes the same (audit.client_ip).
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0" if DEBUG else "1"))
# Staff, superusers and coordinators are signed out after this long without a request
# (marketplace.middleware.StaffIdleTimeoutMiddleware).
STAFF_SESSION_IDLE_SECONDS = int(os.environ.get("STAFF_SESSION_IDLE_SECONDS", str(30 * 60)))
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Community Offtake Marketplace"
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
# Ours first; then Thai for the Wagtail admin strings Wagtail ships untranslated (Wagtail's own).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_wagtail"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
PRIVATE_MEDIA_ROOT = Path(os.environ.get("DJANGO_PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Personal documents (consent evidence): never under MEDIA_URL; served only by audited views.
    "private": {
        "BACKEND": "marketplace.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Object storage (several app servers) ---------------------------------------------------
# With S3_ENDPOINT_URL and S3_BUCKET set, media live in S3-compatible storage (django-storages):
# public media (Wagtail images and renditions) in S3_BUCKET, readable by anyone at its URL (or
# S3_PUBLIC_URL, a CDN or proxy in front of it); personal documents in S3_PRIVATE_BUCKET, which
# must not be public: the audited views stream them. `manage.py ensure_buckets` creates both.
# Short timeouts: an unreachable store fails an upload in seconds with a message, never hangs.
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
S3_BUCKET = os.environ.get("S3_BUCKET", "")
S3_PRIVATE_BUCKET = os.environ.get("S3_PRIVATE_BUCKET", f"{S3_BUCKET}-private" if S3_BUCKET else "")
S3_PUBLIC_URL = os.environ.get("S3_PUBLIC_URL", "").rstrip("/")
if S3_ENDPOINT_URL and S3_BUCKET:
    from botocore.config import Config as _BotoConfig

    _S3_OPTIONS = {
        "endpoint_url": S3_ENDPOINT_URL,
        "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        "region_name": os.environ.get("S3_REGION", "us-east-1"),
        "addressing_style": "path",
        "signature_version": "s3v4",
        "file_overwrite": False,
        "default_acl": None,
        "client_config": _BotoConfig(
            connect_timeout=3, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"}
        ),
    }
    STORAGES["default"] = {
        "BACKEND": "marketplace.storage.PublicS3Storage",
        "OPTIONS": {
            **_S3_OPTIONS,
            "bucket_name": S3_BUCKET,
            "querystring_auth": False,
            **({"custom_domain": S3_PUBLIC_URL.split("://", 1)[-1]} if S3_PUBLIC_URL else {}),
        },
    }
    STORAGES["private"] = {
        "BACKEND": "marketplace.storage.PrivateS3Storage",
        "OPTIONS": {
            **_S3_OPTIONS,
            "bucket_name": S3_PRIVATE_BUCKET,
            "querystring_auth": True,
            "querystring_expire": 60,
        },
    }

# --- Wagtail --------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "ตลาดชุมชนพ้นจน"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# The Wagtail admin signs in through allauth, so its rate limits and MFA apply there too.
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
# Email changes go through allauth, which verifies the new address.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
# SQLite FTS5 or PostgreSQL full-text search. On PostgreSQL the text search configuration is pinned
# rather than left to the server's default_text_search_config: "english" stems English names
# ("baskets" finds "basket") and keeps Thai words whole (PyThaiNLP has cut them already; Thai has
# no stemmer or stop words there). Changing it needs `manage.py update_index`.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database", "SEARCH_CONFIG": "english"}}

# --- Image uploads --------------------------------------------------------------------------
# Producers upload phone photos: 10 MB and 40 megapixels cover any phone camera. Beyond that a
# file is refused with a message; a small file that claims huge dimensions (a decompression
# bomb) is refused from its header, before it is decoded.
# HEIC: what iPhones take (opened through pillow-heif; renditions are JPEG).
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "heic", "jpg", "jpeg", "png", "webp"]
# An upload meeting an unreachable object store: an error on the form (marketplace.image_forms).
WAGTAILIMAGES_IMAGE_FORM_BASE = "marketplace.image_forms.ImageForm"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
# Pillow's own guard (it warns above the limit and refuses twice it) applies wherever an image
# is opened: renditions, demo data, imports. Same limit, so no path decodes more than uploads may.
PILImage.MAX_IMAGE_PIXELS = WAGTAILIMAGES_MAX_IMAGE_PIXELS

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@marketplace.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Stripe (empty in development: the offline gateway is used) -----------------------------
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# The offline fake's webhook secret is written in the source, so anyone can sign a "payment" with
# it. It answers only with DEBUG on or on a demo site that says so here; otherwise production
# refuses to start without the Stripe keys (orders.checks).
STRIPE_OFFLINE_DEMO = env_bool("STRIPE_OFFLINE_DEMO", False)
# Without keys the offline fake answers; the demo keeps its state in the database so `seed_demo`,
# every app server and the worker see the same sessions and invoices (orders.stripe_fake).
STRIPE_FAKE_IN_DATABASE = True

# --- Orders ---------------------------------------------------------------------------------
# Deliveries the buyer leaves unanswered this many days are accepted in full
# (`manage.py auto_accept_deliveries`, run daily by cron).
ORDERS_AUTO_ACCEPT_DAYS = int(os.environ.get("ORDERS_AUTO_ACCEPT_DAYS", "7"))
# A referral still unanswered this many days after its expected date goes to the area's
# coordinators (referrals.services.referrals_escalate; agencies are reminded before that).
REFERRALS_ESCALATE_AFTER_DAYS = int(os.environ.get("REFERRALS_ESCALATE_AFTER_DAYS", "7"))

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = []
if not DEBUG and not SECURE_HSTS_PRELOAD:
    # Preload is a one-way commitment for the whole domain; it is an operator's decision.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

_MEDIA_ORIGINS = [origin for origin in [S3_PUBLIC_URL or (S3_ENDPOINT_URL if S3_BUCKET else "")] if origin]
# Content Security Policy: no inline scripts on our pages. The Wagtail and Django admins still
# carry inline scripts and styles of their own, so ContentSecurityPolicyMiddleware relaxes
# script/style sources for those paths only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Public media come from the object store when it is not behind our own host.
        "img-src": ["'self'", "data:", "blob:", *_MEDIA_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/")
# Pages of households' personal data: nobody who must have a second factor (access.requires_mfa)
# reaches them before setting one up (marketplace.middleware.AdminMFAMiddleware).
MFA_PATH_PREFIXES = (*ADMIN_PATH_PREFIXES, "/field/", "/agency/")

# --- Logging to stdout ----------------------------------------------------------------------
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "faker": {"level": "WARNING"},
    },
}
