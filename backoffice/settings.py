"""Settings, all driven by environment variables so one codebase serves demo, tests and production."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BACKOFFICE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


# DJANGO_ENV=production switches on the production checks: a real secret key, no debug,
# secure cookies, explicit allowed hosts.
PRODUCTION = os.environ.get("DJANGO_ENV", "development").lower() == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-not-for-production"

ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # A year, for every subdomain, and eligible for the browsers' preload list (`manage.py check --deploy` clean).
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_object_actions",
    "django_celery_beat",
    "django_fsm_log",
    "axes",
    "csp",
    "disputes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes in the address, API bodies over their limit: 400 before anything reads them.
    "disputes.middleware.RefuseMalformedRequestsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: django-axes locks an account and address out of the admin after repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Admin login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# both are locked out for AXES_COOLOFF_TIME hours; a successful login resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_IPWARE_PROXY_COUNT", "0"))

# Content-Security-Policy (django-csp): scripts and everything else from the site itself only. Styles also allow
# inline style attributes, which the admin's badges and Django's own admin templates use; no inline script runs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
ASGI_APPLICATION = "backoffice.asgi.application"

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
            ],
        },
    },
]

# DATABASE_URL picks PostgreSQL (postgres://...) in CI and production; the embedded
# default is a SQLite file so that a newcomer needs no server.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# In production the application connects as a PostgreSQL role that owns nothing, and migrations run as the
# owner of the tables. Set DATABASE_APP_ROLE when migrating (as the owner) and `migrate` grants that role its
# privileges on every table, the ledgers append-only (disputes.sql.roles). See the README.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server, worker and beat share the file: wait for locks instead of failing, and
    # take the write lock at BEGIN so that a read-then-write transaction cannot deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters travel separately from the SQL (psycopg 3 server-side binding): the sweeps pass
    # arrays of thousands of values, which client-side quoting spent most of a second on.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
DATABASES["default"].setdefault("TEST", {})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
# Evidence and other uploads live outside any web root; staff and parties fetch them
# through views that check who is asking.
MEDIA_ROOT = Path(os.environ.get("BACKOFFICE_MEDIA_ROOT", VAR_DIR / "private-media"))
MEDIA_URL = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 26_214_400

LOGIN_URL = "admin:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "disputes.api.pagination.CheckedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, listing each operation's refusal codes (disputes.api.error_codes).
    "DEFAULT_SCHEMA_CLASS": "disputes.api.schema.ErrorContractSchema",
    "EXCEPTION_HANDLER": "disputes.api.errors.exception_handler",
    # Writes take JSON; an operation that takes files says so itself (multipart/form-data, disputes.api.base), and
    # the OpenAPI document offers exactly what each one parses: any other body type is a 415.
    "DEFAULT_PARSER_CLASSES": ["disputes.api.parsers.SafeJSONParser"],
    # APIClient (tests, and anyone scripting against the API with DRF's client) sends what the API takes.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Rate limits over the shared cache (CACHES below), answered 429 with Retry-After: per API token (the calling
    # user), per client address for every call (checked before the token, so bad tokens are limited too), and
    # for calls without a valid token. Values like "600/min"; see the README.
    "DEFAULT_THROTTLE_CLASSES": [
        "disputes.api.throttles.TokenRateThrottle",
        "disputes.api.throttles.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_RATE_PER_TOKEN", "600/min"),
        "address": os.environ.get("API_RATE_PER_ADDRESS", "1200/min"),
        "anonymous": os.environ.get("API_RATE_ANONYMOUS", "60/min"),
    },
    # How many proxies in front add X-Forwarded-For: 0 trusts only the connection's address (not spoofable).
    "NUM_PROXIES": int(os.environ.get("API_NUM_PROXIES", "0")),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "After-sales back office API",
    "DESCRIPTION": "Merchant, service-provider and buyer API for one-click help, refunds and disputes.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # In production the schema and its UI answer signed-in callers only (an API token or a staff session).
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.IsAuthenticated" if PRODUCTION else "rest_framework.permissions.AllowAny"
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # English whatever the active language (the site's default is 简体中文): see EnglishSchemaGenerator.
    "DEFAULT_GENERATOR_CLASS": "disputes.api.schema.EnglishSchemaGenerator",
    # Enum components, then what a generated client needs (disputes.api.schema_hooks).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "disputes.api.schema_hooks.client_friendly",
    ],
    # The UI's assets ship in drf-spectacular-sidecar: the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Refund enums share field names (state, status) with help-request ones: name both sides apart.
    "ENUM_NAME_OVERRIDES": {
        "HelpStateEnum": "disputes.models.help_requests.HelpState",
        "RefundStateEnum": "disputes.models.refunds.RefundState",
        "RefundExpressStatusEnum": "disputes.models.refunds.ExpressStatus",
        # The intervention API calls a case's state its "stage"; a refund's list of its cases says "state".
        "StageEnum": "disputes.models.interventions.CaseState",
        "WebhookDeliveryStatusEnum": "disputes.models.webhooks.DeliveryStatus",
        "WebhookEventTypeEnum": "disputes.api.merchant.webhook_serializers.EVENT_TYPE_CHOICES",
        "DeadlineEnum": "disputes.models.help_requests.DeadlineKind",
        "AtRiskDeadlineEnum": "disputes.selectors.at_risk.DEADLINES",
        "AtRiskOrderEnum": "disputes.selectors.at_risk.ORDERS",
        # The buyer's points entries and order items (disputes.api.buyer.money_serializers): fields named kind,
        # status, type and reason there hold other choices than elsewhere.
        "EntryKindEnum": "disputes.models.ledger.EntryKind",
        "ServiceKindEnum": "disputes.choices.ServiceKind",
        "OrderStatusEnum": "disputes.models.orders.OrderStatus",
        "CaseTypeEnum": "disputes.selectors.points.CASE_TYPE_CHOICES",
        "RaiseActionEnum": "disputes.selectors.order_items.ACTION_CHOICES",
        "RaiseRefusalEnum": "disputes.selectors.order_items.REFUSAL_CODES",
        # ... so the names these had before stay theirs: a refund's reason, a complaint's violation kind.
        "ReasonEnum": "disputes.models.refunds.RefundReason",
        "KindEnum": "disputes.models.violations.ViolationKind",
        # The merchant's money (disputes.api.merchant.money_serializers).
        "PenaltyKindEnum": "disputes.api.merchant.money_serializers.PENALTY_KIND_CHOICES",
        "PenaltyStatusEnum": "disputes.selectors.money.PENALTY_STATUSES",
        "ViolationStatusEnum": "disputes.models.violations.ViolationStatus",
        "ViolationAppealOutcomeEnum": "disputes.api.merchant.money_serializers.APPEAL_OUTCOMES",
        "OutcomeEnum": "disputes.models.interventions.Outcome",  # a judgment's; its name before the appeal's came
    },
}

# The shared cache (rate-limit counters): Redis when CACHE_URL, or else a Redis CELERY_BROKER_URL, names one; a
# per-process memory cache on the embedded default.
CACHE_URL = os.environ.get("CACHE_URL") or (
    os.environ.get("CELERY_BROKER_URL", "") if os.environ.get("CELERY_BROKER_URL", "").startswith("redis://") else ""
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "bo"}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "backoffice"}
}

# Celery: CELERY_BROKER_URL picks Redis in CI and production. The embedded default is
# kombu's filesystem transport, which needs no server (folders under var/celery). It has no
# host, but kombu warns on every connection when the URL names none.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "out"),
        "data_folder_out": str(_celery_dir / "out"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("out", "processed", "control"):
        (_celery_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# Every log line carries its time (in Beijing time: Django sets the processes' time zone to TIME_ZONE), except
# under honcho (`make demo` sets LOG_TIMES=0), which starts each line with the time and the process already.
LOG_TIMES = env_bool("LOG_TIMES", True)
if not LOG_TIMES:
    CELERY_WORKER_LOG_FORMAT = "%(levelname)s %(message)s"
    CELERY_WORKER_TASK_LOG_FORMAT = "%(levelname)s %(task_name)s %(message)s"

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": ("%(asctime)s " if LOG_TIMES else "") + "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # One line per webhook request otherwise; the delivery log (admin) has every attempt.
        "httpx": {"level": "WARNING"},
    },
}
if not LOG_TIMES:
    # The development server's request lines carry their own "[02/Dec/2026 08:09:07]" (Django's default format).
    LOGGING["formatters"]["request"] = {"format": "%(message)s"}
    LOGGING["handlers"]["request"] = {"class": "logging.StreamHandler", "formatter": "request"}
    LOGGING["loggers"]["django.server"] = {"handlers": ["request"], "level": "INFO", "propagate": False}

# Idempotency keys on API writes (disputes.api.idempotency): how long an answer is kept for replay, and how long
# a retry waits for the answer of a request still in flight before it is told so (409).
IDEMPOTENCY_TTL_SECONDS = int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", str(24 * 3600)))
IDEMPOTENCY_WAIT_SECONDS = float(os.environ.get("IDEMPOTENCY_WAIT_SECONDS", "10"))

# Evidence uploads: checked by content; this caps each file and each image's pixel count
# (a small PNG that inflates to gigapixels is refused before it is decoded).
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
# The largest API body accepted (400 request_too_large above it, before it is read): JSON and form bodies, and
# multipart uploads (room for the most files an operation takes at the evidence limit each, plus the fields).
API_MAX_JSON_BYTES = int(os.environ.get("API_MAX_JSON_BYTES", str(256 * 1024)))
API_MAX_UPLOAD_BYTES = int(os.environ.get("API_MAX_UPLOAD_BYTES", str(10 * EVIDENCE_MAX_BYTES + 1024 * 1024)))
EVIDENCE_MAX_IMAGE_PIXELS = int(os.environ.get("EVIDENCE_MAX_IMAGE_PIXELS", str(40_000_000)))

# Email (buyers told of decisions and penalties, staff of deadlines at risk on their cases, merchants of a disabled
# webhook endpoint): SMTP in production (EMAIL_HOST, default localhost; EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS); otherwise, unless EMAIL_HOST names a server, the embedded default writes each
# message as a file under var/mail, where a developer reads it.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "售后服务 <aftersales@example.com>")
if os.environ.get("EMAIL_HOST") or PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# Webhooks (disputes.webhooks): each delivery's time limits, connect and read (seconds); and whether endpoints may
# be on loopback, private, link-local or otherwise non-public addresses (never in production: a merchant's URL must
# not reach the platform's own network; on in development and tests, which receive on 127.0.0.1).
WEBHOOK_TIMEOUT_SECONDS = (
    float(os.environ.get("WEBHOOK_CONNECT_TIMEOUT_SECONDS", "3")),
    float(os.environ.get("WEBHOOK_READ_TIMEOUT_SECONDS", "10")),
)
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", DEBUG and not PRODUCTION)
