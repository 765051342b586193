"""The one settings module. Every value comes from the environment with a safe local default.

Run without any environment and you get DEBUG off, which refuses to start without a
SECRET_KEY: production-safe by default. `make demo` sets DEBUG=true for a local run.
The README lists every variable.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from helpdesk import schedules

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Local state: the default SQLite file, uploads and the broker-free task queue.
VAR_DIR = Path(env.str("HELPDESK_VAR_DIR", default=str(BASE_DIR / "var")))


def _decimal(name: str, default: str) -> Decimal:
    raw = env.str(name, default=default)
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name} must be a decimal number, got {raw!r}") from exc
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative, got {raw!r}")
    return value


DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for a local development run."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "accounts",
    "tickets",
    "channels_intake",
    "metrics",
    "integrations",
    "knowledge",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

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
                "accounts.context_processors.role",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# PostgreSQL in production (DATABASE_URL=postgres://...); a SQLite file under var/ otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # so a fresh checkout's first `manage.py migrate` just works
    # WAL and immediate transactions let the web process and the worker write side by side.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache -------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without Redis, Celery uses kombu's filesystem transport: a folder under var/ that the web
# process writes to and the worker started by `make demo` reads from. No broker to install.
# (The host part means nothing to this transport; naming one keeps kombu from warning on every send.)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    (_queue_dir / "queue").mkdir(parents=True, exist_ok=True)  # kombu expects the folder to exist
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),  # else kombu writes ./control in the working directory
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-way runs again; tasks are idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fa", _("Persian")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:587 (use submission:// or smtp+tls:// for STARTTLS,
# smtp+ssl:// for implicit TLS); consolemail:// prints mail to the terminal.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Support <support@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# An inbound attachment bigger than this is not kept as a file (the raw message still is, whole);
# the ticket gets a note saying so.
HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES = env.int("HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES", default=25 * 1024 * 1024)

# --- Inbound email webhooks (django-anymail) ----------------------------------------------
# Providers POST received mail to /inbound/email/<provider>/inbound/ (Mandrill: /inbound/email/mandrill/,
# CloudMailin: /inbound/email/cloudmailin/). Put ANYMAIL_WEBHOOK_SECRET ("user:password") in the URL you give
# the provider (https://user:password@host/...): it is the only check for Postmark, SendGrid, Amazon SES
# (plus SNS signatures) and CloudMailin. Mailgun and Mandrill also sign each post with their own key.
# Amazon SES with an S3 action reads the message with boto3's usual AWS_* credentials.
# An empty value is left out, so anymail refuses a signed provider's posts rather than trusting an empty key;
# without WEBHOOK_SECRET every inbound webhook is closed (channels_intake/email/webhook_urls.py).
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
        "MANDRILL_WEBHOOK_KEY": env.str("MANDRILL_WEBHOOK_KEY", default=""),
        # The exact URL entered at Mandrill (it is signed); empty: the URL the request came to.
        "MANDRILL_WEBHOOK_URL": env.str("MANDRILL_WEBHOOK_URL", default=""),
        # Sending through a provider (EMAIL_BACKEND below) needs its API key.
        "MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default=""),
        "MANDRILL_API_KEY": env.str("MANDRILL_API_KEY", default=""),
        "POSTMARK_SERVER_TOKEN": env.str("POSTMARK_SERVER_TOKEN", default=""),
        "SENDGRID_API_KEY": env.str("SENDGRID_API_KEY", default=""),
    }.items()
    if value
}
# Send through a provider's API instead of EMAIL_URL's SMTP, e.g. anymail.backends.mailgun.EmailBackend.
if env.str("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")

# --- Security -----------------------------------------------------------------------------
# With DEBUG off, cookies only travel over HTTPS and browsers are told to stay on HTTPS.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# TLS is usually ended at a proxy, which also redirects http to https.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Django REST framework ----------------------------------------------------------------
# API tokens first, so a call without credentials gets 401 with WWW-Authenticate; our own pages use the session.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RoleAndScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.RequestRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "UNICODE_JSON": True,
}
# The OpenAPI schema at /api/schema/ and its documentation pages; their scripts come from our static files.
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    # The description is the walk-through in api/guide.md, added by the hook below.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_guide"],
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs describe tokens only; the browser session of a logged-in user works on the docs page as well.
    "AUTHENTICATION_WHITELIST": ["api.authentication.TokenAuthentication"],
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "tickets.models.Channel",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "TicketPriorityEnum": "tickets.models.Ticket.Priority",
        "IdentityKindEnum": "tickets.models.CustomerIdentity.Kind",
        "MessageDirectionEnum": "tickets.models.Message.Direction",
        "DeliveryStatusEnum": "tickets.models.Message.DeliveryStatus",
        "SurveyQuestionEnum": "metrics.models.SurveyQuestion",
        "TimeSourceEnum": "tickets.models.TimeEntry.Source",
        "TokenScopeEnum": "api.models.Scope",
        "ArticleStatusEnum": "knowledge.models.Article.Status",
        "WebhookDeliveryStatusEnum": "integrations.models.WebhookDelivery.Status",
    },
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "displayOperationId": False, "tryItOutEnabled": True},
}

# --- The helpdesk itself ------------------------------------------------------------------
# Loaded cost of one agent minute, used for cost per ticket when an agent has no own figure.
HELPDESK_DEFAULT_COST_PER_MINUTE = _decimal("HELPDESK_DEFAULT_COST_PER_MINUTE", "1.60")
# Dashboards read daily rollup tables kept by a beat task; false reads every figure live from the tables.
HELPDESK_METRICS_ROLLUPS = env.bool("HELPDESK_METRICS_ROLLUPS", default=True)
# Region used to read phone numbers written without a country code (0912 ... -> +98 912 ...).
HELPDESK_PHONE_REGION = env.str("HELPDESK_PHONE_REGION", default="IR").upper()
# Solved tickets become closed (no longer reopened by a reply) after this many days.
HELPDESK_AUTO_CLOSE_DAYS = env.int("HELPDESK_AUTO_CLOSE_DAYS", default=4)
if HELPDESK_AUTO_CLOSE_DAYS < 1:
    raise ImproperlyConfigured("HELPDESK_AUTO_CLOSE_DAYS must be at least 1")
# Where customers reach this site: absolute links in mail (survey invitations) start with it.
HELPDESK_BASE_URL = env.str("HELPDESK_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not HELPDESK_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"HELPDESK_BASE_URL must start with http:// or https://, got {HELPDESK_BASE_URL!r}")
# A satisfaction survey link works for this many days after the invitation.
HELPDESK_SURVEY_LINK_DAYS = env.int("HELPDESK_SURVEY_LINK_DAYS", default=30)
if HELPDESK_SURVEY_LINK_DAYS < 1:
    raise ImproperlyConfigured("HELPDESK_SURVEY_LINK_DAYS must be at least 1")

# --- The REST API, the change log and webhooks ----------------------------------------------
# Requests per minute for each API token (a token may set its own) and each logged-in user.
HELPDESK_API_REQUESTS_PER_MINUTE = env.int("HELPDESK_API_REQUESTS_PER_MINUTE", default=600)
# Requests per minute from one address without a token (the public knowledge-base endpoints).
HELPDESK_API_ANONYMOUS_REQUESTS_PER_MINUTE = env.int("HELPDESK_API_ANONYMOUS_REQUESTS_PER_MINUTE", default=60)
# An attachment sent through the API may be at most this big.
HELPDESK_API_MAX_ATTACHMENT_BYTES = env.int("HELPDESK_API_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
# A POST repeated with the same Idempotency-Key within this many hours returns the first answer.
HELPDESK_API_IDEMPOTENCY_HOURS = env.int("HELPDESK_API_IDEMPOTENCY_HOURS", default=24)
# The change log behind the incremental export and webhooks keeps this many days.
HELPDESK_CHANGES_KEEP_DAYS = env.int("HELPDESK_CHANGES_KEEP_DAYS", default=30)
# Webhooks: seconds to wait for the receiver; first retry after this many seconds (then x4 each time);
# attempts before a delivery is given up; failed attempts in a row before a subscription pauses itself.
HELPDESK_WEBHOOK_TIMEOUT_SECONDS = env.int("HELPDESK_WEBHOOK_TIMEOUT_SECONDS", default=10)
HELPDESK_WEBHOOK_RETRY_SECONDS = env.int("HELPDESK_WEBHOOK_RETRY_SECONDS", default=30)
HELPDESK_WEBHOOK_MAX_ATTEMPTS = env.int("HELPDESK_WEBHOOK_MAX_ATTEMPTS", default=8)
HELPDESK_WEBHOOK_PAUSE_AFTER_FAILURES = env.int("HELPDESK_WEBHOOK_PAUSE_AFTER_FAILURES", default=20)
# Deliver webhooks to private, loopback and link-local addresses (an intranet receiver). Off: a
# subscription cannot be used to reach services inside your network.
HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
for _name in (
    "HELPDESK_API_REQUESTS_PER_MINUTE",
    "HELPDESK_API_ANONYMOUS_REQUESTS_PER_MINUTE",
    "HELPDESK_API_MAX_ATTACHMENT_BYTES",
    "HELPDESK_API_IDEMPOTENCY_HOURS",
    "HELPDESK_CHANGES_KEEP_DAYS",
    "HELPDESK_WEBHOOK_TIMEOUT_SECONDS",
    "HELPDESK_WEBHOOK_RETRY_SECONDS",
    "HELPDESK_WEBHOOK_MAX_ATTEMPTS",
    "HELPDESK_WEBHOOK_PAUSE_AFTER_FAILURES",
):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1")

# Periodic work: the beat schedule lives in its own module, helpdesk/schedules.py.
CELERY_BEAT_SCHEDULE = schedules.BEAT_SCHEDULE

# The ticket page's background pings: presence (collision warning), time tracking, and how long
# without keyboard or mouse input counts as idle. Fixed here; tests shorten them.
HELPDESK_PRESENCE_PING_SECONDS = 10
HELPDESK_TIME_PING_SECONDS = 30
HELPDESK_IDLE_SECONDS = 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
