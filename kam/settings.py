"""Settings for KAM, read from the environment with safe defaults.

Embedded default (nothing set): DEBUG on, SQLite file, Celery tasks run in-process.
Production: DEBUG off, and then SECRET_KEY and ALLOWED_HOSTS must be given.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    # Development only: a fixed, obviously unsafe key and local hosts.
    SECRET_KEY = SECRET_KEY or "dev-insecure-secret-key-do-not-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
else:
    # As strict as Django's deploy check (security.W009), but refusing to start: at least
    # 50 characters, 5 different ones, and not a key Django generated for development.
    if (not SECRET_KEY or SECRET_KEY.startswith(("dev-insecure", "django-insecure-"))
            or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
        raise ImproperlyConfigured(
            "DEBUG is off: set SECRET_KEY to a random value of at least 50 characters "
            "(at least 5 different ones, not starting with django-insecure-)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS (comma-separated).")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "kam.views.csrf_failure"  # a friendly, translated page

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "accounts",
    "notifications",
    "integrations",
    "records",
    "customers",
    "teams",
    "projects",
    "satisfaction",
    "jobs",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy of every answer but static files (served just above).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TenantMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that a locked-out login answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"
ASGI_APPLICATION = "kam.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://…) or an SQLite file next to the project.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend plus the tenant: every query tells PostgreSQL's row-level security
    # which tenant it runs for (kam/postgresql, kam/db_rls.py).
    DATABASES["default"]["ENGINE"] = "kam.postgresql"
# The owner of the tables, for migrations (kam/db_roles.py): then DATABASE_URL's role owns
# nothing and is granted only reads and writes. Unset, DATABASE_URL's role does both.
DATABASE_OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")
if DATABASE_OWNER_URL and (dj_database_url.parse(DATABASE_OWNER_URL)["NAME"]
                           != DATABASES["default"]["NAME"]):
    raise ImproperlyConfigured("DATABASE_OWNER_URL must name the database of DATABASE_URL.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # An address that failed too often, whatever the usernames (accounts.throttling).
    "accounts.throttling.IPLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
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

# The addresses (or networks, "10.0.0.0/8") of the proxies in front of the site, which
# append the client's address to X-Forwarded-For; from anyone else the header is ignored
# (accounts.throttling.client_ip). Empty: clients connect directly.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_error}") from _error
# Login throttling: lock a username+IP pair after repeated failures, the IP being the
# client's (behind a trusted proxy, the one it forwards), not the proxy's.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# And lock an IP, whatever the usernames, after this many failures within the cool-off:
# one password tried against many accounts. Higher than the per-username limit, as one
# office behind one address shares it (accounts.throttling).
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("LOGIN_IP_FAILURE_LIMIT", "20"))
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One unambiguous date style and thousands separators per language (kam/formats/).
FORMAT_MODULE_PATH = ["kam.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Uploaded files (attachments): local disk under MEDIA_ROOT, or an S3-compatible bucket
# when S3_BUCKET is set. Never served from a public URL: every download goes through an
# authorised view, so the bucket stays private (no public ACL; its URLs are never handed out).
S3_BUCKET = os.environ.get("S3_BUCKET", "")
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
S3_REGION = os.environ.get("S3_REGION", "")
S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
S3_PREFIX = os.environ.get("S3_PREFIX", "")  # a folder of the bucket, when it is shared
_media_storage = (
    {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": S3_BUCKET,
        "endpoint_url": S3_ENDPOINT_URL or None,
        "region_name": S3_REGION or None,
        # Empty: the SDK's own chain (instance role, environment, config files).
        "access_key": S3_ACCESS_KEY_ID or None,
        "secret_key": S3_SECRET_ACCESS_KEY or None,
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "location": S3_PREFIX,
    }}
    if S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Development and tests serve static files straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# Mail: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=bool(EMAIL_HOST))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "KAM <kam@localhost>")
# The public address of the site, for links in e-mails sent by jobs (no request to ask).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Security: strict when DEBUG is off; TLS is terminated by the proxy in front.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less form field; harmless
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# Content-Security-Policy (django-csp): everything from our own origin, the vendored
# assets included; no inline script, no eval. Inline styles: a <style> element needs the
# page's nonce (`<style nonce="{{ request.csp_nonce }}">`), while style attributes are
# allowed, because templates size bars and charts with them and ECharts and Bootstrap
# write them; a style cannot run code. `style-src` is the fallback of browsers without
# the -elem / -attr directives. Images may be data: URIs (Bootstrap's icons in its CSS).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# REST API
# Requests per token (per user for a browser session) and window: reads and writes have
# budgets of their own (kam.rate_limits); over it, a 429 with Retry-After.
API_RATE_LIMITS = {
    "read": os.environ.get("API_RATE_LIMIT", "1200/minute"),
    "write": os.environ.get("API_WRITE_RATE_LIMIT", "300/minute"),
}
# An Idempotency-Key's first answer is replayed this long (integrations.idempotency).
IDEMPOTENCY_KEY_HOURS = 24
# Tombstones of deleted rows (`GET /api/v1/deletions/`) are kept this many days; the
# resources they are written for are those of the API's router (integrations.deletions).
API_ROUTER = "kam.api_urls.router"
DELETION_RETENTION_DAYS = int(os.environ.get("DELETION_RETENTION_DAYS", "90"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kam.api.CapabilityPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["kam.rate_limits.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "kam.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        # Document `search` and `ordering` only where a view has them; refuse unknown fields.
        "kam.filters.SearchFilter",
        "kam.filters.OrderingFilter",
        # ?code= and ?external_id= where rows have them (kam.sync).
        "kam.sync.NaturalKeyFilter",
        # Last: with ?updated_since= the order is (updated_at, id), whatever `ordering` says.
        "kam.sync.UpdatedSinceFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "kam.schema.AutoSchema",
    # Bodies are JSON only (the schema then offers one request content type, which generated
    # clients need); the parser answers every unusable body with a 400.
    "DEFAULT_PARSER_CLASSES": ["kam.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "kam.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KAM API",
    "DESCRIPTION": "Key account management: customers and tiers, account teams, APQP "
    "programmes, satisfaction and the OPL. Authenticate with `Authorization: Bearer <token>`."
    f"\n\nRate limits per token: {API_RATE_LIMITS['read'].replace('/', ' per ')} reads and "
    f"{API_RATE_LIMITS['write'].replace('/', ' per ')} writes; over them a 429 with "
    "`Retry-After` (seconds). Every POST takes an optional `Idempotency-Key` header: the "
    f"first answer is replayed for {IDEMPOTENCY_KEY_HOURS} h. Every list takes "
    "`updated_since`; deleted rows are listed by `GET /api/v1/deletions/`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes the API's shape only, no tenant data: anyone may read it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One stable name per choice set, so generated clients get readable types.
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "customers.models.Tier",
        "DepartmentEnum": "customers.models.Department",
        "InteractionKindEnum": "customers.models.InteractionKind",
        "ContactLevelEnum": "customers.models.Level",
        "InitiativeStatusEnum": "customers.models.Initiative.Status",
        "MilestoneKindEnum": "projects.models.MilestoneKind",
        "MilestoneStatusEnum": "projects.models.MilestoneStatus",
        "RiskStatusEnum": "projects.models.RiskStatus",
        "OplItemStatusEnum": "satisfaction.models.OplItem.Status",
        "OplProposalStatusEnum": "satisfaction.models.OplProposal.Status",
        "WebhookEventEnum": "integrations.events.EVENT_NAMES",
    },
}

# Celery: Redis when REDIS_URL is set, otherwise tasks run in-process (embedded default).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest a task may run: the hard limit kills it at 15 minutes, the soft one (a
# minute earlier) lets it record why it stopped.
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# The longest wait before a retry (kam.celery.TenantTask); the worker holds a retried
# message unacked for its countdown.
TASK_RETRY_BACKOFF_MAX = 5 * 60
# A late-acked task not acked within the visibility timeout is redelivered: that is how the
# task of a worker killed outright (kill -9, out of memory) comes back. It must exceed the
# longest a message is held unacked — the retry countdown plus the hard time limit, 20
# minutes — or a task still running is delivered a second time; five minutes more for the
# clocks and the pool's start-up: 25 minutes.
CELERY_BROKER_VISIBILITY_TIMEOUT = (
    TASK_RETRY_BACKOFF_MAX + CELERY_TASK_TIME_LIMIT + 5 * 60)
# A task delivered more often than this (killed every time, say by running out of memory)
# is given up and recorded as failed instead of being redelivered forever (kam.celery).
TASK_MAX_DELIVERIES = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_timeout": 5,
    "socket_connect_timeout": 3,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when Redis is away.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# A nightly scoring run stores an assessment per customer; after this many days only the
# rows that changed a tier (the tier history) are kept, and the latest run whole.
ASSESSMENT_RETENTION_DAYS = int(os.environ.get("ASSESSMENT_RETENTION_DAYS", "400"))

# The executive dashboard's figures are recomputed when older than this many seconds
# (0: always live, no cache); writes make them recompute at once (dashboards.caching).
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "120"))

# Webhook deliveries (integrations.delivery): seconds one POST may take (less in-process,
# where the request that made the change waits), the claim's lease (a worker killed while
# sending leaves the row due again after it; longer than a batch's sends), a task's time
# before it queues itself again, and POSTs sent at once.
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
# The delivery log keeps finished deliveries this long (the integrations-cleanup job).
WEBHOOK_DELIVERY_RETENTION_DAYS = int(os.environ.get("WEBHOOK_DELIVERY_RETENTION_DAYS", "30"))
WEBHOOK_EAGER_TIMEOUT = float(os.environ.get("WEBHOOK_EAGER_TIMEOUT", "3"))
WEBHOOK_LEASE_SECONDS = int(os.environ.get("WEBHOOK_LEASE_SECONDS", "120"))
WEBHOOK_TASK_BUDGET = float(os.environ.get("WEBHOOK_TASK_BUDGET", "240"))
WEBHOOK_EAGER_BUDGET = float(os.environ.get("WEBHOOK_EAGER_BUDGET", "3"))
WEBHOOK_SEND_THREADS = int(os.environ.get("WEBHOOK_SEND_THREADS", "4"))
# Whether webhooks may target this machine or a private network (loopback, 10/8, …): for
# development and tests; off in production, so that a workspace admin cannot make the
# server post to its neighbours (integrations.services.url_errors, delivery.post).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# After a write, the worker refills the cached dashboard this much later, so that a
# burst of writes costs one refill.
DASHBOARD_REFILL_DELAY_SECONDS = float(os.environ.get("DASHBOARD_REFILL_DELAY_SECONDS", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Survey links carry their token in the path: every line is written with it masked.
    "filters": {"secret_paths": {"()": "kam.log_filters.MaskSecretPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["secret_paths"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (its request warnings, the development server's request
        # lines) would write the raw path: these go to the masking handler above instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
